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
        MetadataController controller = new MetadataController(config, "test-cluster", LocalMetadataLog.open(dir, Time.SYSTEM));
        controller.start().join();
        controller.registerBroker(config.advertisedListeners()).join();
        return controller;
    }

    private static TopicSpec spec(String name, int partitions) {
        return new TopicSpec(name, partitions, (short) -1, Map.of(), Map.of());
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
}
