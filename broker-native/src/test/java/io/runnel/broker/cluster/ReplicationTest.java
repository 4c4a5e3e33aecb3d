package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static io.runnel.broker.cluster.ClusterClients.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.partition.Partition;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Replication the Kafka way across three real brokers in one JVM, driven by Kafka's own clients:
 * followers copy the leader's log, acks=all waits for the whole ISR, a stopped leader hands over
 * to an ISR member without losing an acknowledged record, the returning broker catches up and
 * rejoins the ISR, the replicas' segment files hold identical batches up to the high watermark,
 * min.insync.replicas refuses what the ISR cannot cover, and a follower refuses produce.
 */
class ReplicationTest {
    @TempDir
    Path dataRoot;

    @Test
    void acknowledgedRecordsSurviveTheLeaderStoppingAndReplicasEndIdentical() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            try (Admin admin = admin(cluster.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            List<String> acked = new ArrayList<>(produce(cluster.bootstrapServers(), "replicated", 0, 300));
            awaitFullIsr(cluster, "replicated", 3);
            assertReplicasIdentical(cluster, "replicated", 3);
            awaitFollowerFetchSessions(cluster, "replicated");

            int leaderOfP0 = leaderOf(cluster, "replicated", 0);
            cluster.stop(leaderOfP0);
            try (Admin admin = admin(bootstrapOf(cluster))) {
                awaitTrue("partition 0 has a new leader", () -> {
                    int leader = describe(admin, "replicated").partitions().get(0).leader() == null ? -1
                            : describe(admin, "replicated").partitions().get(0).leader().id();
                    return leader >= 0 && leader != leaderOfP0;
                });
                for (TopicPartitionInfo p : describe(admin, "replicated").partitions())
                    assertThat(p.isr()).extracting(Node::id).doesNotContain(leaderOfP0);
            }
            acked.addAll(produce(bootstrapOf(cluster), "replicated", 300, 300));

            cluster.start(leaderOfP0);
            awaitFullIsr(cluster, "replicated", 3);
            acked.addAll(produce(cluster.bootstrapServers(), "replicated", 600, 100));
            awaitFullIsr(cluster, "replicated", 3);

            List<String> consumed = readAll(cluster.bootstrapServers(), "replicated", acked.size());
            assertThat(consumed).as("every acknowledged record exactly once").containsExactlyInAnyOrderElementsOf(acked);
            assertReplicasIdentical(cluster, "replicated", 3);
        }
    }

    @Test
    void acksAllIsRefusedWhenTheIsrIsSmallerThanMinInsyncReplicas() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            try (Admin admin = admin(cluster.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("strict", 1, (short) 3).configs(Map.of("min.insync.replicas", "3")))).all().get();
            }
            produce(cluster.bootstrapServers(), "strict", 0, 10);
            int follower = describeNow(cluster, "strict").partitions().get(0).replicas().stream().map(Node::id)
                    .filter(id -> id != leaderOf(cluster, "strict", 0)).findFirst().orElseThrow();
            cluster.stop(follower);
            try (Admin admin = admin(bootstrapOf(cluster))) {
                awaitTrue("the ISR shrinks to 2", () -> describe(admin, "strict").partitions().get(0).isr().size() == 2);
            }
            int leader = leaderOf(cluster, "strict", 0);
            var meters = cluster.registry(leader);
            awaitTrue("the leader reports the partition under min ISR", () -> meters.get("runnel.partitions.under.min.isr").gauge().value() == 1);
            assertThat(meters.get("runnel.partitions.under.replicated").gauge().value()).isEqualTo(1);
            assertThat(meters.get("runnel.isr.shrinks").counter().count()).isGreaterThanOrEqualTo(1);
            Properties p = producerProps(bootstrapOf(cluster));
            // No retries, so the broker's answer is what the send fails with (NOT_ENOUGH_REPLICAS is retriable).
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            p.put(ProducerConfig.RETRIES_CONFIG, "0");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                var failure = org.assertj.core.api.Assertions.catchThrowable(() -> producer.send(new ProducerRecord<>("strict", "x")).get());
                assertThat(failure).isInstanceOf(ExecutionException.class);
                assertThat(failure.getCause()).isInstanceOf(NotEnoughReplicasException.class);
            }
        }
    }

    @Test
    void aFollowerRefusesProduceWithNotLeaderOrFollower() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            try (Admin admin = admin(cluster.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("led", 1, (short) 3))).all().get();
            }
            awaitFullIsr(cluster, "led", 1);
            int leader = leaderOf(cluster, "led", 0);
            int follower = leader % 3 + 1;
            String[] hostPort = cluster.bootstrapServers(follower).split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(5000);
                ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("led");
                topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0)
                        .setRecords(MemoryRecords.withRecords(org.apache.kafka.common.compress.Compression.NONE, new SimpleRecord("v".getBytes()))));
                request.topicData().add(topic);
                var response = (ProduceResponseData) raw.send(ApiKeys.PRODUCE, (short) 9, request);
                assertThat(Errors.forCode(response.responses().iterator().next().partitionResponses().get(0).errorCode()))
                        .isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
            }
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    private static String bootstrapOf(RunningCluster cluster) {
        return String.join(",", cluster.runningIds().stream().map(cluster::bootstrapServers).toList());
    }

    private static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return p;
    }

    /** Sends {@code count} records (values "v<first+i>"), each waited for; returns the acknowledged values. */
    private static List<String> produce(String bootstrap, String topic, int first, int count) throws Exception {
        List<String> acked = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(), new StringSerializer())) {
            List<java.util.concurrent.Future<RecordMetadata>> sends = new ArrayList<>();
            for (int i = first; i < first + count; i++) sends.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
            for (int i = 0; i < sends.size(); i++) {
                sends.get(i).get();
                acked.add("v" + (first + i));
            }
        }
        return acked;
    }
    private static TopicDescription describe(Admin admin, String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static TopicDescription describeNow(RunningCluster cluster, String topic) {
        try (Admin admin = admin(bootstrapOf(cluster))) {
            return describe(admin, topic);
        }
    }

    /** Each follower fetches from each of its leaders through one fetch session (KIP-227), held by that leader. */
    private static void awaitFollowerFetchSessions(RunningCluster cluster, String topic) throws Exception {
        java.util.Set<List<Integer>> followerLeaderPairs = new java.util.HashSet<>();
        try (Admin admin = admin(cluster.bootstrapServers())) {
            for (TopicPartitionInfo p : describe(admin, topic).partitions())
                for (Node replica : p.replicas())
                    if (replica.id() != p.leader().id()) followerLeaderPairs.add(List.of(replica.id(), p.leader().id()));
        }
        awaitTrue("leaders hold one fetch session per follower", () -> cluster.runningIds().stream()
                .mapToDouble(id -> cluster.registry(id).get("runnel.fetch.sessions").gauge().value()).sum() == followerLeaderPairs.size());
    }

    private static int leaderOf(RunningCluster cluster, String topic, int partition) {
        return describeNow(cluster, topic).partitions().get(partition).leader().id();
    }

    /** Waits until every partition's ISR holds all {@code rf} replicas and every replica has the leader's log end. */
    private static void awaitFullIsr(RunningCluster cluster, String topic, int partitions) throws InterruptedException {
        awaitTrue(topic + " fully in sync", () -> {
            for (int p = 0; p < partitions; p++) {
                var image = cluster.node(cluster.runningIds().get(0)).controller().image().topic(topic).partition(p);
                if (image.isr().size() != image.replicas().size()) return false;
                long leaderEnd = -1;
                for (int id : image.replicas()) {
                    Partition replica = cluster.node(id).replicaManager().partition(new TopicPartition(topic, p));
                    if (replica == null) return false;
                    if (leaderEnd < 0) leaderEnd = replica.logEndOffset();
                    if (replica.logEndOffset() != leaderEnd || replica.highWatermark() != leaderEnd) return false;
                }
            }
            return true;
        });
    }

    /** Every replica's segment files hold the same batches (offsets, epochs, CRCs) below the high watermark. */
    private void assertReplicasIdentical(RunningCluster cluster, String topic, int partitions) throws IOException {
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            long hw = cluster.node(leaderOf(cluster, topic, p)).replicaManager().partition(tp).highWatermark();
            List<String> reference = null;
            for (int id : cluster.runningIds()) {
                List<String> batches = batchesBelow(dataRoot.resolve("node-" + id).resolve(tp.toString()), hw);
                if (reference == null) reference = batches;
                else assertThat(batches).as(tp + " on broker " + id).isEqualTo(reference);
            }
            assertThat(reference).as(tp + " has data").isNotEmpty();
        }
    }

    private static List<String> batchesBelow(Path partitionDir, long highWatermark) throws IOException {
        List<String> batches = new ArrayList<>();
        List<Path> segments;
        try (Stream<Path> files = Files.list(partitionDir)) {
            segments = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted(Comparator.comparing(Path::toString)).toList();
        }
        for (Path segment : segments) {
            try (FileRecords records = FileRecords.open(segment.toFile(), false)) {
                for (FileChannelRecordBatch batch : records.batches()) {
                    if (batch.lastOffset() >= highWatermark) continue;
                    batches.add(batch.baseOffset() + "-" + batch.lastOffset() + "@" + batch.partitionLeaderEpoch() + "#" + batch.checksum());
                }
            }
        }
        return batches;
    }
}
