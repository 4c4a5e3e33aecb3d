package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.runnel.operator.api.TopicSpec;

/** What the operator does to a topic, decided from the spec and what the brokers hold. */
class TopicPlanTest {
    private static TopicSpec spec(int partitions, int rf, Map<String, String> config) {
        TopicSpec s = new TopicSpec();
        s.cluster = "events";
        s.partitions = partitions;
        s.replicationFactor = rf;
        s.config.putAll(config);
        return s;
    }

    @Test
    void aMissingTopicIsCreatedWithItsConfigs() {
        TopicPlan p = TopicPlan.of(spec(6, 3, Map.of("retention.ms", "1000")), null);
        assertThat(p.create()).isTrue();
        assertThat(p.setConfigs()).containsEntry("retention.ms", "1000");
        assertThat(p.refusals()).isEmpty();
    }

    @Test
    void aMatchingTopicChangesNothing() {
        TopicPlan p = TopicPlan.of(spec(6, 3, Map.of("retention.ms", "1000")), new TopicPlan.Actual(6, 3, Map.of("retention.ms", "1000")));
        assertThat(p.changesNothing()).isTrue();
        assertThat(p.refusals()).isEmpty();
    }

    @Test
    void partitionsGrowAndConfigsAreSetAndResetToMatchTheSpec() {
        TopicPlan p = TopicPlan.of(spec(12, 3, Map.of("retention.ms", "2000")),
                new TopicPlan.Actual(6, 3, Map.of("retention.ms", "1000", "cleanup.policy", "compact")));
        assertThat(p.growPartitionsTo()).isEqualTo(12);
        assertThat(p.setConfigs()).containsExactly(Map.entry("retention.ms", "2000"));
        assertThat(p.resetConfigs()).containsExactly("cleanup.policy");
    }

    @Test
    void fewerPartitionsAndAnotherReplicationFactorAreRefusedNotHalfDone() {
        TopicPlan p = TopicPlan.of(spec(3, 1, Map.of()), new TopicPlan.Actual(6, 3, Map.of()));
        assertThat(p.growPartitionsTo()).isZero();
        assertThat(p.refusals()).containsExactly(
                "partitions cannot shrink from 6 to 3 (Kafka cannot remove partitions)",
                "replication factor cannot change from 3 to 1 (needs a partition reassignment, which Topic does not do yet)");
    }
}
