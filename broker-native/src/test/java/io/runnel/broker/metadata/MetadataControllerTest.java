package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.config.BrokerConfig;

/** The controller over the real file-backed metadata log: what it accepts, refuses, and remembers across restarts. */
class MetadataControllerTest {
    @TempDir
    Path dir;

    private final BrokerConfig config = BrokerConfig.from(Map.of("num.partitions", "3"));

    private MetadataController open() {
        return open(config);
    }

    private MetadataController open(BrokerConfig config) {
        MetadataController controller = new MetadataController(config, "test-cluster", QuorumMetadataLog.singleNode(1, "test-cluster", dir, config.quorumSettings(), Time.SYSTEM));
        controller.start().join();
        controller.registerBroker(new MetadataController.BrokerRegistration(1, org.apache.kafka.common.Uuid.randomUuid(),
                List.of(new BrokerImage.Endpoint("PLAINTEXT", "127.0.0.1", 9092, (short) 0)), "")).join();
        return controller;
    }

    private static TopicSpec spec(String name, int partitions) {
        return new TopicSpec(name, partitions, (short) -1, Map.of(), Map.of());
    }

    @Test
    void snapshotsOfTheImageReplayToTheSameImageAfterRestart() throws Exception {
        BrokerConfig snapshotting = BrokerConfig.from(Map.of("num.partitions", "3", "metadata.log.max.record.bytes.between.snapshots", "1"));
        List<ApiMessageAndVersionView> before;
        try (MetadataController c = open(snapshotting)) {
            c.createTopics(List.of(new TopicSpec("snap", 4, (short) 1, Map.of(), Map.of("retention.ms", "1000"))), false).join();
            c.alterBrokerConfigs("", overrides -> {
                overrides.put("log.retention.ms", "5000");
                return null;
            }, false).join();
            c.allocateProducerIdBlock().join();
            before = view(c.image());
        }
        Path metadataDir = dir.resolve(QuorumMetadataLog.DIR_NAME);
        try (var files = java.nio.file.Files.list(metadataDir)) {
            assertThat(files.map(f -> f.getFileName().toString())).anyMatch(name -> name.endsWith(".checkpoint"));
        }
        // Without the log (as retention would delete it), the snapshot alone must carry the image.
        try (var files = java.nio.file.Files.list(metadataDir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") || f.toString().endsWith("index")).toList()) java.nio.file.Files.delete(f);
        }
        try (MetadataController c = open(snapshotting)) {
            assertThat(view(c.image())).isEqualTo(before);
            assertThat(c.image().topic("snap").configs()).containsEntry("retention.ms", "1000");
        }
    }

    /** An image's content as comparable strings (the records it snapshots to; a re-registration changes only broker epochs). */
    private record ApiMessageAndVersionView(String record) {}

    private static List<ApiMessageAndVersionView> view(MetadataImage image) {
        return MetadataSnapshots.records(image).stream()
                .filter(r -> !(r.message() instanceof org.apache.kafka.common.metadata.RegisterBrokerRecord))
                .map(r -> new ApiMessageAndVersionView(r.message().toString().replaceAll("leaderEpoch=\\d+|partitionEpoch=\\d+", "")))
                .toList();
    }

    @Test
    void topicsConfigsAndBrokerSurviveReopen() {
        try (MetadataController c = open()) {
            var results = c.createTopics(List.of(new TopicSpec("orders", 4, (short) 1, Map.of(), Map.of("retention.ms", "1000")),
                    spec("defaults", -1)), false).join();
            assertThat(results).extracting(TopicResult::error).containsOnly(Errors.NONE);
        }
        try (MetadataController c = open()) {
            MetadataImage image = c.image();
            assertThat(image.topic("orders").partitionCount()).isEqualTo(4);
            assertThat(image.topic("orders").configs()).containsEntry("retention.ms", "1000");
            assertThat(image.topic("defaults").partitionCount()).isEqualTo(3);
            assertThat(image.brokers()).containsKey(1);
            assertThat(image.topic(image.topic("orders").id()).name()).isEqualTo("orders");
        }
    }

    @Test
    void refusesWhatKafkaRefuses() {
        try (MetadataController c = open()) {
            c.createTopics(List.of(spec("taken", 1)), false).join();
            var results = c.createTopics(List.of(
                    spec("taken", 1),
                    spec("bad name!", 1),
                    spec("zero", 0),
                    new TopicSpec("rf2", 1, (short) 2, Map.of(), Map.of()),
                    new TopicSpec("bad-config", 1, (short) 1, Map.of(), Map.of("no.such.config", "1")),
                    new TopicSpec("bad-value", 1, (short) 1, Map.of(), Map.of("retention.ms", "soon")),
                    new TopicSpec("both", 1, (short) -1, Map.of(0, List.of(1)), Map.of()),
                    new TopicSpec("unknown-broker", -1, (short) -1, Map.of(0, List.of(7)), Map.of()),
                    spec("__cluster_metadata", 1),
                    spec("taken.", 1)), false).join();
            assertThat(results).extracting(TopicResult::error).containsExactly(
                    Errors.TOPIC_ALREADY_EXISTS, Errors.INVALID_TOPIC_EXCEPTION, Errors.INVALID_PARTITIONS,
                    Errors.INVALID_REPLICATION_FACTOR, Errors.INVALID_CONFIG, Errors.INVALID_CONFIG, Errors.INVALID_REQUEST,
                    Errors.INVALID_REPLICA_ASSIGNMENT, Errors.TOPIC_AUTHORIZATION_FAILED, Errors.NONE);
            assertThat(c.createTopics(List.of(spec("a.b", 1)), false).join().get(0).error()).isEqualTo(Errors.NONE);
            assertThat(c.createTopics(List.of(spec("a_b", 1)), false).join().get(0).error())
                    .as("'.' and '_' collide in metric names, as in Kafka").isEqualTo(Errors.INVALID_TOPIC_EXCEPTION);
        }
    }

    @Test
    void oneRequestCannotCreateMoreThanTenThousandPartitions() {
        try (MetadataController c = open()) {
            var results = c.createTopics(List.of(spec("small", 1), spec("huge", Integer.MAX_VALUE)), false).join();
            assertThat(results).extracting(TopicResult::error).containsOnly(Errors.POLICY_VIOLATION);
            assertThat(c.image().topic("small")).as("the whole request is refused").isNull();
            c.createTopics(List.of(spec("grows", 1)), false).join();
            assertThat(c.createPartitions("grows", Integer.MAX_VALUE, null, false).join().error()).isEqualTo(Errors.POLICY_VIOLATION);
            assertThat(c.createTopics(List.of(spec("exactly-at-cap", MetadataController.MAX_PARTITIONS_PER_REQUEST)), true).join().get(0).error())
                    .isEqualTo(Errors.NONE);
        }
    }

    @Test
    void validateOnlyWritesNothing() {
        try (MetadataController c = open()) {
            long before = c.image().offset();
            TopicResult result = c.createTopics(List.of(spec("dry", 2)), true).join().get(0);
            assertThat(result.error()).isEqualTo(Errors.NONE);
            assertThat(result.topic().partitionCount()).isEqualTo(2);
            assertThat(c.image().topic("dry")).isNull();
            assertThat(c.image().offset()).isEqualTo(before);
        }
    }

    @Test
    void partitionsOnlyGrow() {
        try (MetadataController c = open()) {
            c.createTopics(List.of(spec("grow", 2)), false).join();
            assertThat(c.createPartitions("grow", 1, null, false).join().error()).isEqualTo(Errors.INVALID_PARTITIONS);
            assertThat(c.createPartitions("grow", 2, null, false).join().error()).isEqualTo(Errors.INVALID_PARTITIONS);
            assertThat(c.createPartitions("missing", 2, null, false).join().error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
            assertThat(c.createPartitions("grow", 5, null, false).join().topic().partitionCount()).isEqualTo(5);
        }
    }

    @Test
    void deletedTopicIsGoneAfterReopenAndItsNameReusable() {
        try (MetadataController c = open()) {
            c.createTopics(List.of(spec("temp", 1)), false).join();
            assertThat(c.deleteTopics(List.of("temp", "never")).join()).extracting(TopicResult::error)
                    .containsExactly(Errors.NONE, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        }
        try (MetadataController c = open()) {
            assertThat(c.image().topic("temp")).isNull();
            assertThat(c.createTopics(List.of(spec("temp", 1)), false).join().get(0).error()).isEqualTo(Errors.NONE);
        }
    }

    @Test
    void producerIdBlocksNeverRepeatAcrossRestarts() {
        long first;
        long second;
        try (MetadataController c = open()) {
            first = c.allocateProducerIdBlock().join();
            second = c.allocateProducerIdBlock().join();
        }
        assertThat(second).isEqualTo(first + MetadataController.PRODUCER_ID_BLOCK_SIZE);
        try (MetadataController c = open()) {
            assertThat(c.allocateProducerIdBlock().join()).isEqualTo(second + MetadataController.PRODUCER_ID_BLOCK_SIZE);
        }
    }

    /**
     * Data dirs written before the metadata quorum existed hold a plain log: batches at leader
     * epoch 0, no quorum-state, no LeaderChange. The quorum of one must take them over as they are.
     */
    @Test
    void aMetadataLogFromBeforeTheQuorumIsTakenOverUnchanged() {
        var log = io.runnel.broker.log.PartitionLog.open(dir.resolve(QuorumMetadataLog.DIR_NAME),
                io.runnel.broker.log.LogConfig.defaults(), false, Time.SYSTEM);
        var topicId = org.apache.kafka.common.Uuid.randomUuid();
        log.appendAsLeader(serialize(
                new org.apache.kafka.common.metadata.TopicRecord().setName("legacy").setTopicId(topicId),
                new org.apache.kafka.common.metadata.PartitionRecord().setTopicId(topicId).setPartitionId(0)
                        .setReplicas(List.of(1)).setIsr(List.of(1)).setLeader(1).setLeaderEpoch(0).setPartitionEpoch(0)), 0);
        log.close();

        try (MetadataController c = open()) {
            assertThat(c.image().topic("legacy").partitionCount()).isEqualTo(1);
            assertThat(c.createTopics(List.of(spec("after-upgrade", 1)), false).join().get(0).error()).isEqualTo(Errors.NONE);
        }
        try (MetadataController c = open()) {
            assertThat(c.image().topicsByName()).containsKeys("legacy", "after-upgrade");
        }
    }

    private static org.apache.kafka.common.record.internal.MemoryRecords serialize(org.apache.kafka.common.protocol.ApiMessage... messages) {
        var serde = org.apache.kafka.metadata.MetadataRecordSerde.INSTANCE;
        var records = new org.apache.kafka.common.record.internal.SimpleRecord[messages.length];
        for (int i = 0; i < messages.length; i++) {
            var message = new org.apache.kafka.server.common.ApiMessageAndVersion(messages[i], (short) 0);
            var cache = new org.apache.kafka.common.protocol.ObjectSerializationCache();
            var buffer = java.nio.ByteBuffer.allocate(serde.recordSize(message, cache));
            serde.write(message, cache, new org.apache.kafka.common.protocol.ByteBufferAccessor(buffer));
            buffer.flip();
            records[i] = new org.apache.kafka.common.record.internal.SimpleRecord(buffer);
        }
        return org.apache.kafka.common.record.internal.MemoryRecords.withRecords(org.apache.kafka.common.compress.Compression.NONE, records);
    }
}
