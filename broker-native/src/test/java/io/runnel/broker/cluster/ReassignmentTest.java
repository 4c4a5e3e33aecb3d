package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static io.runnel.broker.cluster.ClusterClients.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Moving partitions and leaderships between three real brokers with Kafka's Admin API, as
 * {@code kafka-reassign-partitions} and {@code kafka-leader-election} do: a partition moves from
 * broker 1 to broker 3 under acks=all produce load without losing a record or a non-retriable
 * error; a preferred election gives a partition back to its first replica; and each mistake gets
 * Kafka's error code (a broker that does not exist, too many replicas, a stale leader epoch).
 */
class ReassignmentTest {
    @TempDir
    Path dataRoot;

    @Test
    void aPartitionMovesFromBroker1ToBroker3UnderLoadWithoutLoss() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of());
             Admin admin = admin(cluster.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("moving", Map.of(0, List.of(1))))).all().get();
            List<String> acked = Collections.synchronizedList(new ArrayList<>());
            List<Exception> nonRetriable = Collections.synchronizedList(new ArrayList<>());
            AtomicBoolean producing = new AtomicBoolean(true);
            Thread producer = new Thread(() -> produceUntilStopped(cluster.bootstrapServers(), "moving", producing, acked, nonRetriable));
            producer.start();
            awaitTrue("some records acknowledged", () -> acked.size() > 200);

            admin.alterPartitionReassignments(Map.of(new TopicPartition("moving", 0), Optional.of(new NewPartitionReassignment(List.of(3)))))
                    .all().get();
            awaitTrue("the reassignment completes", () -> {
                try {
                    TopicDescription d = admin.describeTopics(List.of("moving")).allTopicNames().get().get("moving");
                    return admin.listPartitionReassignments().reassignments().get().isEmpty()
                            && d.partitions().get(0).replicas().stream().map(Node::id).toList().equals(List.of(3));
                } catch (Exception e) {
                    return false;
                }
            });
            int before = acked.size();
            awaitTrue("records acknowledged by the new leader", () -> acked.size() > before + 200);
            producing.set(false);
            producer.join();

            TopicDescription moved = admin.describeTopics(List.of("moving")).allTopicNames().get().get("moving");
            assertThat(moved.partitions().get(0).leader().id()).isEqualTo(3);
            assertThat(moved.partitions().get(0).isr()).extracting(Node::id).containsExactly(3);
            awaitTrue("broker 1 deleted its copy", () -> cluster.node(1).replicaManager().partition(new TopicPartition("moving", 0)) == null);
            assertThat(nonRetriable).as("only retriable errors reach the producer").isEmpty();
            assertThat(readAll(cluster.bootstrapServers(), "moving", acked.size())).containsExactlyInAnyOrderElementsOf(acked);
        }
    }

    @Test
    void aThrottledReassignmentCopiesNoFasterThanTheThrottleAllows() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of());
             Admin admin = admin(cluster.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("throttled", Map.of(0, List.of(1))))).all().get();
            int recordBytes = 1024;
            int records = 300;
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < records; i++) producer.send(new ProducerRecord<>("throttled", "x".repeat(recordBytes)));
            }
            // What kafka-reassign-partitions --throttle sets: rates on every broker (each alter goes to that
            // broker, which forwards it to the active controller) and the throttled replicas on the topic.
            long rateBytesPerSecond = 100 * 1024;
            Map<org.apache.kafka.common.config.ConfigResource, java.util.Collection<org.apache.kafka.clients.admin.AlterConfigOp>> configs = new java.util.HashMap<>();
            for (int broker = 1; broker <= 3; broker++) {
                configs.put(new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.BROKER, Integer.toString(broker)),
                        List.of(set("leader.replication.throttled.rate", Long.toString(rateBytesPerSecond)),
                                set("follower.replication.throttled.rate", Long.toString(rateBytesPerSecond))));
            }
            configs.put(new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "throttled"),
                    List.of(set("leader.replication.throttled.replicas", "0:1"), set("follower.replication.throttled.replicas", "0:2")));
            admin.incrementalAlterConfigs(configs).all().get();
            awaitTrue("every broker sees the throttle", () -> cluster.runningIds().stream().allMatch(id ->
                    Long.toString(rateBytesPerSecond).equals(cluster.node(id).controller().image().brokerConfigs("2").get("follower.replication.throttled.rate"))));

            long started = System.nanoTime();
            admin.alterPartitionReassignments(Map.of(new TopicPartition("throttled", 0), Optional.of(new NewPartitionReassignment(List.of(1, 2)))))
                    .all().get();
            awaitTrue("broker 2 caught up and joined the ISR", () -> isr(admin, "throttled").contains(2));
            long tookMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
            // A lower bound, so a slow machine cannot fail it: ~300 KiB at 100 KiB/s cannot take under a second
            // (the throttle lets through at most one second's worth at once).
            assertThat(tookMs).as("copy time of %d bytes at %d bytes/s", records * recordBytes, rateBytesPerSecond).isGreaterThanOrEqualTo(1000);
        }
    }

    private static org.apache.kafka.clients.admin.AlterConfigOp set(String key, String value) {
        return new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry(key, value),
                org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET);
    }

    @Test
    void aPreferredElectionGivesThePartitionBackToItsFirstReplica() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            try (Admin admin = admin(cluster.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("preferred", Map.of(0, List.of(1, 2, 3))))).all().get();
                Throwable notNeeded = catchThrowable(() -> admin.electLeaders(ElectionType.PREFERRED, Set.of(new TopicPartition("preferred", 0)))
                        .partitions().get().get(new TopicPartition("preferred", 0)).ifPresent(e -> { throw new RuntimeException(e); }));
                assertThat(notNeeded).hasCauseInstanceOf(ElectionNotNeededException.class);
            }
            cluster.stop(1);
            cluster.start(1);
            try (Admin admin = admin(cluster.bootstrapServers())) {
                awaitTrue("broker 1 back in the ISR", () -> isr(admin, "preferred").size() == 3);
                assertThat(leader(admin, "preferred")).isNotEqualTo(1);
                var result = admin.electLeaders(ElectionType.PREFERRED, Set.of(new TopicPartition("preferred", 0))).partitions().get();
                assertThat(result.get(new TopicPartition("preferred", 0))).isEmpty();
                awaitTrue("broker 1 leads again", () -> leader(admin, "preferred") == 1);
            }
        }
    }

    @Test
    void mistakesGetKafkasErrorCodes() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of());
             Admin admin = admin(cluster.bootstrapServers())) {
            Throwable tooMany = catchThrowable(() -> admin.createTopics(List.of(new NewTopic("too-many", 1, (short) 4))).all().get());
            assertThat(tooMany).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidReplicationFactorException.class);

            admin.createTopics(List.of(new NewTopic("fenced-epochs", Map.of(0, List.of(1, 2))))).all().get();
            Throwable nowhere = catchThrowable(() -> admin.alterPartitionReassignments(Map.of(new TopicPartition("fenced-epochs", 0),
                    Optional.of(new NewPartitionReassignment(List.of(1, 9))))).all().get());
            assertThat(nowhere).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidReplicaAssignmentException.class);

            // A leader change bumps the leader epoch; a fetch still naming the old one is fenced.
            awaitTrue("both replicas in sync", () -> isr(admin, "fenced-epochs").size() == 2);
            cluster.stop(1);
            cluster.start(1);
            awaitTrue("a new leader", () -> leader(admin, "fenced-epochs") >= 0);
            int leader = leader(admin, "fenced-epochs");
            int epoch = cluster.node(leader).controller().image().topic("fenced-epochs").partition(0).leaderEpoch();
            assertThat(epoch).isGreaterThan(0);
            String[] hostPort = cluster.bootstrapServers(leader).split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                FetchRequestData fetch = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1024).setReplicaId(-1);
                fetch.topics().add(new FetchRequestData.FetchTopic().setTopic("fenced-epochs").setPartitions(List.of(
                        new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1024)
                                .setCurrentLeaderEpoch(epoch - 1))));
                var response = (FetchResponseData) raw.send(ApiKeys.FETCH, (short) 12, fetch);
                assertThat(Errors.forCode(response.responses().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.FENCED_LEADER_EPOCH);
            }
        }
    }

    private static List<Integer> isr(Admin admin, String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).isr().stream().map(Node::id).toList();
        } catch (Exception e) {
            return List.of();
        }
    }

    private static int leader(Admin admin, String topic) {
        try {
            Node leader = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0).leader();
            return leader == null ? -1 : leader.id();
        } catch (Exception e) {
            return -1;
        }
    }

    private static void produceUntilStopped(String bootstrap, String topic, AtomicBoolean producing, List<String> acked, List<Exception> nonRetriable) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; producing.get(); i++) {
                String value = "m" + i;
                producer.send(new ProducerRecord<>(topic, value), (metadata, error) -> {
                    if (error == null) acked.add(value);
                    else if (!(error instanceof RetriableException)) nonRetriable.add(error);
                });
                if (i % 50 == 0) producer.flush();
            }
            producer.flush();
        }
    }}
