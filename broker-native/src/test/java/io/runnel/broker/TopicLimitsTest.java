package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input against a topic's limits and configs through real clients: a record over the topic's
 * {@code max.message.bytes} gets RecordTooLargeException (MESSAGE_TOO_LARGE) and nothing is stored;
 * out-of-range config values get INVALID_CONFIG with Kafka's message naming the key, and the
 * topic's configs stay as they were.
 */
class TopicLimitsTest {
    @TempDir
    Path dataDir;

    @Test
    void aRecordOverMaxMessageBytesAndOutOfRangeConfigsAreRefusedAndNothingStoredChanges() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                     broker.bootstrapServers(), ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(), ProducerConfig.RETRIES_CONFIG, 0))) {
            admin.createTopics(List.of(new NewTopic("limited", 1, (short) 1).configs(Map.of("max.message.bytes", "1024")))).all().get();
            producer.send(new ProducerRecord<>("limited", 0, "k", "small")).get();

            ExecutionException tooLarge = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("limited", 0, "k", "x".repeat(4096))).get());
            assertThat(tooLarge.getCause()).isInstanceOf(RecordTooLargeException.class);
            TopicPartition tp = new TopicPartition("limited", 0);
            assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset()).isEqualTo(1);

            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "limited");
            for (var bad : Map.of("min.cleanable.dirty.ratio", "Invalid value 2 for configuration min.cleanable.dirty.ratio: Value must be no more than 1",
                    "segment.bytes", "Invalid value 2 for configuration segment.bytes: Value must be at least 1048576",
                    "cleanup.policy", "Invalid value 2 for configuration cleanup.policy: String must be one of: compact, delete").entrySet()) {
                assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                        new ConfigEntry(bad.getKey(), "2"), AlterConfigOp.OpType.SET)))).all().get())
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidConfigurationException.class)
                        .hasMessageContaining(bad.getValue());
            }
            var configs = admin.describeConfigs(List.of(topic)).all().get().get(topic);
            assertThat(configs.get("max.message.bytes").value()).isEqualTo("1024");
            assertThat(configs.get("cleanup.policy").value()).isEqualTo("delete");
            assertThat(configs.get("min.cleanable.dirty.ratio").value()).isEqualTo("0.5");
        }
    }
}
