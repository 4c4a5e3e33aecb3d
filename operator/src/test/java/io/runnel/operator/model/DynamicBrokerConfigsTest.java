package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Which settings are applied to running brokers, and how the cluster-wide defaults follow the spec. */
class DynamicBrokerConfigsTest {

    @Test
    void topicDefaultsAreDynamicAndEverythingElseStatic() {
        Map<String, String> spec = Map.of("log.retention.ms", "1000", "num.partitions", "6", "min.insync.replicas", "2");
        assertThat(DynamicBrokerConfigs.dynamicPart(spec)).containsOnlyKeys("log.retention.ms", "min.insync.replicas");
        assertThat(DynamicBrokerConfigs.staticPart(spec)).containsOnlyKeys("num.partitions");
    }

    @Test
    void changedAndNewKeysAreSetAndKeysGoneFromTheSpecRemoved() {
        var changes = DynamicBrokerConfigs.changes(Map.of("log.retention.ms", "2000", "compression.type", "zstd"),
                Map.of("log.retention.ms", "1000", "min.insync.replicas", "2", "compression.type", "zstd"), false);
        assertThat(changes.set()).containsExactly(Map.entry("log.retention.ms", "2000"));
        assertThat(changes.remove()).containsExactly("min.insync.replicas");
    }

    @Test
    void throttleRatesStayWhileTheOperatorMovesPartitionsAndGoAfterwards() {
        Map<String, String> applied = Map.of("leader.replication.throttled.rate", "1000", "follower.replication.throttled.rate", "1000");
        assertThat(DynamicBrokerConfigs.changes(Map.of(), applied, true).isEmpty()).isTrue();
        assertThat(DynamicBrokerConfigs.changes(Map.of(), applied, false).remove())
                .containsExactlyInAnyOrder("leader.replication.throttled.rate", "follower.replication.throttled.rate");
    }

    @Test
    void aSpecMatchingTheBrokersChangesNothing() {
        assertThat(DynamicBrokerConfigs.changes(Map.of("log.retention.ms", "1000", "num.partitions", "3"), Map.of("log.retention.ms", "1000"), false)
                .isEmpty()).isTrue();
    }
}
