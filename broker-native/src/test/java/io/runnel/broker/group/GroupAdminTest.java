package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's Admin API over the coordinator: list (with a state filter), describe, list offsets,
 * alter offsets of a group with no members, delete offsets and delete groups — including the
 * refusals for a group that is live.
 */
@SuppressWarnings("deprecation") // listConsumerGroups: still what kafka-consumer-groups.sh calls on classic groups
class GroupAdminTest {
    static final String TOPIC = "admin-groups-topic";
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        broker = new GroupTestBroker(dataDir);
        admin = admin(broker.bootstrapServers());
        createTopic(admin, TOPIC, 2);
        try (var producer = producer(broker.bootstrapServers())) {
            produce(producer, TOPIC, 2, 0, 20);
        }
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    @Test
    void adminListsDescribesAltersAndDeletesGroupsAndTheirOffsets() throws Exception {
        TopicPartition p0 = new TopicPartition(TOPIC, 0);
        TopicPartition p1 = new TopicPartition(TOPIC, 1);
        try (var live = consumer(broker.bootstrapServers(), "admin-live")) {
            live.subscribe(List.of(TOPIC));
            Reads reads = new Reads();
            pollUntil(List.of(live), reads, () -> reads.all().size() >= 20, true);

            // alterConsumerGroupOffsets on a group nobody is in: a simple group is created.
            admin.alterConsumerGroupOffsets("admin-idle", Map.of(p0, new OffsetAndMetadata(5), p1, new OffsetAndMetadata(7, "seven"))).all().get();

            var listed = admin.listConsumerGroups().all().get();
            assertThat(listed).extracting(ConsumerGroupListing::groupId).contains("admin-live", "admin-idle");
            var stable = admin.listConsumerGroups(new ListConsumerGroupsOptions().inGroupStates(Set.of(GroupState.STABLE))).all().get();
            assertThat(stable).extracting(ConsumerGroupListing::groupId).contains("admin-live").doesNotContain("admin-idle");

            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of("admin-live")).all().get().get("admin-live");
            assertThat(description.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(description.members()).hasSize(1);
            assertThat(description.members().iterator().next().assignment().topicPartitions()).containsExactlyInAnyOrder(p0, p1);
            assertThat(description.partitionAssignor()).isNotEmpty();
            assertThat(description.coordinator().port()).isEqualTo(broker.port());

            var liveOffsets = admin.listConsumerGroupOffsets("admin-live").partitionsToOffsetAndMetadata().get();
            assertThat(liveOffsets).containsOnlyKeys(p0, p1);
            assertThat(liveOffsets.get(p0).offset() + liveOffsets.get(p1).offset()).isEqualTo(20);

            var idleOffsets = admin.listConsumerGroupOffsets("admin-idle").partitionsToOffsetAndMetadata().get();
            assertThat(idleOffsets.get(p0).offset()).isEqualTo(5);
            assertThat(idleOffsets.get(p1).offset()).isEqualTo(7);
            assertThat(idleOffsets.get(p1).metadata()).isEqualTo("seven");

            admin.deleteConsumerGroupOffsets("admin-idle", Set.of(p0)).all().get();
            assertThat(admin.listConsumerGroupOffsets("admin-idle").partitionsToOffsetAndMetadata().get()).containsOnlyKeys(p1);

            // A live group keeps the offsets of what it consumes, and cannot be deleted.
            assertThatThrownBy(() -> admin.deleteConsumerGroupOffsets("admin-live", Set.of(p0)).all().get())
                    .hasCauseInstanceOf(GroupSubscribedToTopicException.class);
            assertThatThrownBy(() -> admin.deleteConsumerGroups(List.of("admin-live")).all().get())
                    .hasCauseInstanceOf(GroupNotEmptyException.class);
        }

        admin.deleteConsumerGroups(List.of("admin-idle", "admin-live")).all().get();
        assertThat(admin.listConsumerGroups().all().get()).extracting(ConsumerGroupListing::groupId)
                .doesNotContain("admin-idle", "admin-live");
        assertThat(admin.listConsumerGroupOffsets("admin-live").partitionsToOffsetAndMetadata().get()).isEmpty();
    }
}
