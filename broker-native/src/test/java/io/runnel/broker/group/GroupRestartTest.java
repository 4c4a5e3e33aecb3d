package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker restart on the same data folder keeps every committed offset and group: the offsets
 * topic is replayed at start, a live consumer carries on in the same generation without a
 * rebalance and without reading anything twice, and a consumer that joins after the restart
 * starts at the committed offsets.
 */
class GroupRestartTest {
    @TempDir
    Path dataDir;

    @Test
    void committedOffsetsAndGroupsSurviveABrokerRestartAndConsumersResumeWhereTheyWere() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // a fixed port, so the clients find the broker again after the restart
        }
        String topic = "restart-topic";
        String group = "restart-group";
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, Map.of("listeners", "PLAINTEXT://127.0.0.1:" + port))) {
            String bootstrap = broker.bootstrapServers();
            Reads reads = new Reads();
            try (Admin admin = admin(bootstrap); var producer = producer(bootstrap); var consumer = consumer(bootstrap, group)) {
                createTopic(admin, topic, 2);
                produce(producer, topic, 2, 0, 100);
                consumer.subscribe(List.of(topic));
                pollUntil(List.of(consumer), reads, () -> reads.all().size() >= 100, true);
                ConsumerGroupDescription before = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                assertThat(before.groupState()).isEqualTo(GroupState.STABLE);

                broker.restart();

                produce(producer, topic, 2, 100, 100);
                pollUntil(List.of(consumer), reads, () -> reads.all().size() >= 200, true);
                assertThat(reads.all()).hasSize(200);
                assertThat(reads.distinctValues()).hasSize(200);
                Map<Integer, TreeSet<Long>> offsets = new HashMap<>();
                for (ConsumerRecord<String, String> r : reads.all()) offsets.computeIfAbsent(r.partition(), p -> new TreeSet<>()).add(r.offset());
                assertThat(offsets.get(0)).hasSize(100).first().isEqualTo(0L);
                assertThat(offsets.get(0).last()).isEqualTo(99L);

                ConsumerGroupDescription after = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                assertThat(after.groupState()).isEqualTo(GroupState.STABLE);
                // Same member, same assignment: the group came back from the log, no rebalance happened.
                assertThat(after.members()).extracting(m -> m.consumerId())
                        .containsExactlyElementsOf(before.members().stream().map(m -> m.consumerId()).toList());
            }

            broker.restart();

            try (Admin admin = admin(bootstrap); var next = consumer(bootstrap, group)) {
                var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                assertThat(committed).containsOnlyKeys(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
                assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(100));
                assertThat(admin.listConsumerGroups().all().get()).extracting(l -> l.groupId()).contains(group);
                next.subscribe(List.of(topic));
                try (var producer = producer(bootstrap)) {
                    produce(producer, topic, 2, 200, 10);
                }
                Reads more = new Reads();
                pollUntil(List.of(next), more, () -> more.all().size() >= 10, false);
                assertThat(more.all()).hasSize(10).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(100));
                assertThat(Set.copyOf(more.all().stream().map(ConsumerRecord::value).toList()))
                        .allSatisfy(v -> assertThat(Integer.parseInt(v.substring("value-".length()))).isGreaterThanOrEqualTo(200));
            }
        }
    }
    @Test
    void aConsumerProtocolGroupSurvivesABrokerRestartAndItsLiveMemberCarriesOnWithTheSameEpochAndNothingReadTwice() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String topic = "kip848-restart-topic";
        String group = "kip848-restart-group";
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, Map.of("listeners", "PLAINTEXT://127.0.0.1:" + port,
                "group.consumer.heartbeat.interval.ms", "200"))) {
            String bootstrap = broker.bootstrapServers();
            Reads reads = new Reads();
            try (Admin admin = admin(bootstrap); var producer = producer(bootstrap);
                 var consumer = modernConsumer(bootstrap, group, Map.of())) {
                createTopic(admin, topic, 2);
                produce(producer, topic, 2, 0, 100);
                consumer.subscribe(List.of(topic));
                pollUntil(List.of(consumer), reads, () -> reads.all().size() >= 100, true);
                ConsumerGroupDescription before = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                assertThat(before.type()).isEqualTo(org.apache.kafka.common.GroupType.CONSUMER);
                assertThat(before.groupState()).isEqualTo(GroupState.STABLE);

                broker.restart();

                produce(producer, topic, 2, 100, 100);
                pollUntil(List.of(consumer), reads, () -> reads.all().size() >= 200, true);
                assertThat(reads.all()).hasSize(200);
                assertThat(reads.distinctValues()).hasSize(200);
                ConsumerGroupDescription after = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                assertThat(after.groupState()).isEqualTo(GroupState.STABLE);
                // The member, its epoch and the group epoch came back from the log: no new join happened.
                assertThat(after.groupEpoch()).isEqualTo(before.groupEpoch());
                assertThat(after.members()).extracting(m -> m.consumerId() + "@" + m.memberEpoch())
                        .containsExactlyElementsOf(before.members().stream().map(m -> m.consumerId() + "@" + m.memberEpoch()).toList());
                var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(100));
            }
        }
    }
}
