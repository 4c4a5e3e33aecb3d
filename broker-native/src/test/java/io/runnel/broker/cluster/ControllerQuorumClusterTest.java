package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three combined broker+controller nodes joined by {@code controller.quorum.voters}, driven by
 * Kafka's own Admin, producer and consumer: one metadata quorum with one leader, every node
 * registered and serving the same metadata, a broker-only node joining as an observer, topics spread over all brokers, and a quorum that
 * elects a new leader when the leader stops and catches the old one up when it returns.
 */
class ControllerQuorumClusterTest {
    @TempDir
    Path dataRoot;

    @Test
    void threeNodesFormOneQuorumABrokerOnlyNodeJoinsAndClientsUseThemAsOneCluster() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of());
             Admin admin = admin(cluster.bootstrapServers())) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
            assertThat(quorum.voters()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(quorum.leaderId()).isIn(1, 2, 3);
            var described = admin.describeCluster();
            assertThat(described.nodes().get()).extracting(Node::id).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(described.controller().get().id()).isEqualTo(quorum.leaderId());

            // A fourth, broker-only node joins the same quorum as an observer and takes partitions like any broker.
            cluster.startBrokerOnly(4);
            awaitTrue("the broker-only node is registered", () -> cluster.node(1).controller().image().brokers().containsKey(4));
            QuorumInfo withObserver = admin.describeMetadataQuorum().quorumInfo().get();
            assertThat(withObserver.voters()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(withObserver.observers()).extracting(QuorumInfo.ReplicaState::replicaId).contains(4);

            admin.createTopics(List.of(new NewTopic("spread", 8, (short) 1))).all().get();
            for (int id = 1; id <= 4; id++) {
                // Every node learns the topic from the replicated metadata log, whichever node's controller wrote it.
                int node = id;
                awaitTrue("node " + id + " sees the topic", () -> cluster.node(node).controller().image().topic("spread") != null);
                try (Admin direct = admin(cluster.bootstrapServers(id))) {
                    TopicDescription topic = direct.describeTopics(List.of("spread")).allTopicNames().get().get("spread");
                    assertThat(topic.partitions().stream().map(p -> p.leader().id()).distinct()).containsExactlyInAnyOrder(1, 2, 3, 4);
                }
            }

            List<String> sent = new ArrayList<>();
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrapServers())) {
                for (int i = 0; i < 60; i++) {
                    String value = "record-" + i;
                    producer.send(new ProducerRecord<>("spread", i % 8, null, value)).get();
                    sent.add(value);
                }
            }
            assertThat(consumeAll(cluster.bootstrapServers(), "spread", sent.size())).containsExactlyInAnyOrderElementsOf(sent);
        }
    }

    @Test
    void aNewLeaderIsElectedWhenTheLeaderStopsAndTheOldLeaderCatchesUpWhenItReturns() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            int oldLeader;
            long oldEpoch;
            try (Admin admin = admin(cluster.bootstrapServers())) {
                QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
                oldLeader = quorum.leaderId();
                oldEpoch = quorum.leaderEpoch();
                admin.createTopics(List.of(new NewTopic("before", 3, (short) 1))).all().get();
            }
            cluster.stop(oldLeader);
            List<Integer> remaining = cluster.runningIds();
            int survivor = remaining.get(0);
            String survivors = String.join(",", remaining.stream().map(cluster::bootstrapServers).toList());
            awaitTrue("a new leader among " + remaining, () -> remaining.contains(quorumLeader(cluster, survivor)));
            try (Admin admin = admin(survivors)) {
                QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get();
                assertThat(quorum.leaderId()).isIn(remaining).isNotEqualTo(oldLeader);
                assertThat(quorum.leaderEpoch()).isGreaterThan(oldEpoch);
                // The stopped broker asked to be fenced on its way out: clients are not sent to it.
                awaitTrue("the stopped broker is fenced", () -> cluster.node(survivor).controller().image().brokers().get(oldLeader).fenced());
                assertThat(admin.describeCluster().nodes().get()).extracting(Node::id).containsExactlyInAnyOrderElementsOf(remaining);
                admin.createTopics(List.of(new NewTopic("after", 2, (short) 2))).all().get();
                TopicDescription after = admin.describeTopics(List.of("after")).allTopicNames().get().get("after");
                for (TopicPartitionInfo p : after.partitions())
                    assertThat(p.replicas()).extracting(Node::id).doesNotContain(oldLeader);
            }

            cluster.start(oldLeader);
            assertThat(cluster.node(oldLeader).controller().image().topic("after")).as("caught up on start").isNotNull();
            try (Admin admin = admin(cluster.bootstrapServers())) {
                awaitTrue("the returning broker is unfenced", () -> {
                    try {
                        return admin.describeCluster().nodes().get().size() == 3;
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(admin.listTopics().names().get()).contains("before", "after");
            }
        }
    }

    private static int quorumLeader(RunningCluster cluster, int node) {
        try (Admin admin = admin(cluster.bootstrapServers(node))) {
            return admin.describeMetadataQuorum().quorumInfo().get().leaderId();
        } catch (Exception e) {
            return -1;
        }
    }
    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    static List<String> consumeAll(String bootstrap, String topic, int expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "cluster-test-" + topic);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
            }
        }
        return values;
    }}
