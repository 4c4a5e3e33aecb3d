package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The unmodified Java kafka-clients (Admin, KafkaProducer, KafkaConsumer with assign+seek) against a real broker. */
class JavaClientRoundTripTest {
    @TempDir
    static Path dataDir;
    static RunningBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() {
        broker = new RunningBroker(dataDir);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    static KafkaProducer<String, String> producer(Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.putAll(extra);
        return new KafkaProducer<>(p);
    }

    static KafkaConsumer<String, String> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p);
    }

    static List<ConsumerRecord<String, String>> readAll(KafkaConsumer<String, String> consumer, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (records.size() < expected && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }

    static void createTopic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }

    @Test
    void adminCreatesDescribesAndDeletesTopics() throws Exception {
        createTopic("admin-topic", 3);
        TopicDescription description = admin.describeTopics(List.of("admin-topic")).allTopicNames().get().get("admin-topic");
        assertThat(description.partitions()).hasSize(3);
        assertThat(description.topicId()).isNotNull();
        assertThat(description.partitions().get(0).leader().id()).isEqualTo(1);
        assertThat(admin.listTopics().names().get()).contains("admin-topic");

        assertThatThrownBy(() -> createTopic("admin-topic", 1)).hasCauseInstanceOf(TopicExistsException.class);
        assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("rf3", 1, (short) 3))).all().get())
                .hasCauseInstanceOf(InvalidReplicationFactorException.class);

        admin.createPartitions(Map.of("admin-topic", NewPartitions.increaseTo(5))).all().get();
        assertThat(admin.describeTopics(List.of("admin-topic")).allTopicNames().get().get("admin-topic").partitions()).hasSize(5);

        admin.deleteTopics(List.of("admin-topic")).all().get();
        assertThat(admin.listTopics().names().get()).doesNotContain("admin-topic");
        assertThatThrownBy(() -> admin.describeTopics(List.of("admin-topic")).allTopicNames().get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void describeConfigsReportsTopicOverridesAndBrokerSettings() throws Exception {
        admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1).configs(Map.of("retention.ms", "12345")))).all().get();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "configured");
        ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, "1");
        Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(topic, brokerResource)).all().get();
        assertThat(configs.get(topic).get("retention.ms").value()).isEqualTo("12345");
        assertThat(configs.get(topic).get("segment.bytes").value()).isEqualTo("1073741824");
        assertThat(configs.get(brokerResource).get("num.partitions").value()).isEqualTo("1");
    }

    @Test
    void topicConfigsCanBeSetDeletedAndAppendedIncrementally() throws Exception {
        createTopic("altered", 1);
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "altered");
        admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "60000"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND)))).all().get();
        Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
        assertThat(config.get("retention.ms").value()).isEqualTo("60000");
        assertThat(config.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        assertThat(config.get("cleanup.policy").value()).isEqualTo("delete,compact");

        admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get();
        config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
        assertThat(config.get("retention.ms").value()).isEqualTo("604800000");
        assertThat(config.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);

        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all().get())
                .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class);
        assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, "no-such-topic"), List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "1"), AlterConfigOp.OpType.SET)))).all().get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }

    @Test
    void alteredRetentionTakesEffectOnTheLiveLog() throws Exception {
        String name = "shrinking";
        admin.createTopics(List.of(new NewTopic(name, 1, (short) 1).configs(Map.of("segment.bytes", "1048576")))).all().get();
        TopicPartition tp = new TopicPartition(name, 0);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            String value = "x".repeat(10_000);
            for (int i = 0; i < 400; i++) producer.send(new ProducerRecord<>(name, 0, "k", value));
            producer.flush();
        }
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, name);
        admin.incrementalAlterConfigs(Map.of(topic, List.of(
                new AlterConfigOp(new ConfigEntry("retention.bytes", "1048576"), AlterConfigOp.OpType.SET)))).all().get();
        broker.broker().replicaManager().runRetention();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long earliest = 0;
        while (earliest == 0 && System.nanoTime() < deadline) {
            earliest = admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset();
            if (earliest == 0) Thread.sleep(50);
        }
        assertThat(earliest).as("size retention applied with the altered limit").isPositive();
        assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset()).isEqualTo(400);
    }

    @Test
    void aTopicDeletedAndAtOnceRecreatedStartsEmpty() throws Exception {
        for (int round = 0; round < 5; round++) {
            createTopic("phoenix", 2);
            try (KafkaProducer<String, String> producer = producer(Map.of())) {
                for (int i = 0; i < 20; i++) {
                    RecordMetadata md = producer.send(new ProducerRecord<>("phoenix", i % 2, "k", "round-" + round)).get();
                    assertThat(md.offset()).as("round %d starts from offset 0", round).isEqualTo(i / 2);
                }
            }
            admin.deleteTopics(List.of("phoenix")).all().get();
        }
    }

    @Test
    void logDirsReportPartitionSizesAndDiskSpace() throws Exception {
        createTopic("sized", 2);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 100; i++) producer.send(new ProducerRecord<>("sized", 0, "k", "x".repeat(1000)));
            producer.flush();
        }
        var dirs = admin.describeLogDirs(List.of(1)).allDescriptions().get().get(1);
        assertThat(dirs).hasSize(1);
        var dir = dirs.values().iterator().next();
        assertThat(dir.totalBytes()).isPresent();
        assertThat(dir.usableBytes().getAsLong()).isPositive();
        assertThat(dir.replicaInfos().get(new TopicPartition("sized", 0)).size()).isGreaterThan(100_000);
        assertThat(dir.replicaInfos().get(new TopicPartition("sized", 1)).size()).isZero();

        assertThat(broker.registry().get("runnel.log.size").tag("topic", "sized").tag("partition", "0").gauge().value())
                .as("the log-size gauge of partition 0").isGreaterThan(100_000);
    }

    @Test
    void deleteRecordsHidesOlderRecordsAndSurvivesRestart() throws Exception {
        admin.createTopics(List.of(new NewTopic("purged", 1, (short) 1).configs(Map.of("segment.bytes", "1048576")))).all().get();
        TopicPartition tp = new TopicPartition("purged", 0);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 300; i++) producer.send(new ProducerRecord<>("purged", 0, "k", i + ":" + "x".repeat(10_000)));
            producer.flush();
        }
        var lowWatermark = admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(150)))
                .lowWatermarks().get(tp).get().lowWatermark();
        assertThat(lowWatermark).isEqualTo(150);
        assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset()).isEqualTo(150);
        assertThatThrownBy(() -> admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(301)))
                .lowWatermarks().get(tp).get()).hasCauseInstanceOf(org.apache.kafka.common.errors.OffsetOutOfRangeException.class);

        admin.close();
        broker.restart();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset()).as("after restart").isEqualTo(150);
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = readAll(consumer, 150);
            assertThat(records).hasSize(150);
            assertThat(records.get(0).offset()).isEqualTo(150);
            assertThat(records.get(0).value()).startsWith("150:");
        }
        assertThat(admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(-1)))
                .lowWatermarks().get(tp).get().lowWatermark()).as("-1 means the high watermark").isEqualTo(300);
    }

    @Test
    void validateOnlyCreatesNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry-run", 2, (short) 1)), new org.apache.kafka.clients.admin.CreateTopicsOptions().validateOnly(true)).all().get();
        assertThat(admin.listTopics().names().get()).doesNotContain("dry-run");
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void defaultProducerRoundTripsWithEachCompression(String compression) throws Exception {
        String topic = "compressed-" + compression;
        createTopic(topic, 1);
        int count = 500;
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression))) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) acks.add(producer.send(new ProducerRecord<>(topic, "k" + i, "value-" + i)));
            for (int i = 0; i < count; i++) assertThat(acks.get(i).get().offset()).isEqualTo(i);
        }
        try (KafkaConsumer<String, String> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<String, String>> records = readAll(consumer, count);
            assertThat(records).hasSize(count);
            for (int i = 0; i < count; i++) {
                assertThat(records.get(i).offset()).isEqualTo(i);
                assertThat(records.get(i).value()).isEqualTo("value-" + i);
            }
        }
    }

    @Test
    void keysSpreadOverPartitionsAsTheDefaultPartitionerSays() throws Exception {
        String topic = "keyed";
        createTopic(topic, 4);
        Map<String, Integer> partitionOfKey = new HashMap<>();
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 200; i++) {
                String key = "user-" + i;
                RecordMetadata md = producer.send(new ProducerRecord<>(topic, key, "v")).get();
                partitionOfKey.put(key, md.partition());
            }
        }
        partitionOfKey.forEach((key, partition) ->
                assertThat(partition).isEqualTo(Utils.toPositive(Utils.murmur2(key.getBytes())) % 4));
        assertThat(partitionOfKey.values()).containsOnly(0, 1, 2, 3).hasSize(200);
        assertThat(new java.util.HashSet<>(partitionOfKey.values())).hasSize(4);
    }

    @Test
    void consumerReplaysFromStartMiddleAndTimestamp() throws Exception {
        String topic = "replay";
        createTopic(topic, 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        long base = System.currentTimeMillis() - 100_000;
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, "0"))) {
            for (int i = 0; i < 100; i++) producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, "k", "v" + i)).get();
        }
        try (KafkaConsumer<String, String> consumer = consumer()) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            assertThat(readAll(consumer, 100)).extracting(ConsumerRecord::value).first().isEqualTo("v0");
            consumer.seek(tp, 57);
            List<ConsumerRecord<String, String>> middle = readAll(consumer, 43);
            assertThat(middle).hasSize(43);
            assertThat(middle.get(0).offset()).isEqualTo(57);

            var byTime = consumer.offsetsForTimes(Map.of(tp, base + 30_500L)).get(tp);
            assertThat(byTime.offset()).isEqualTo(31);
            assertThat(byTime.timestamp()).isEqualTo(base + 31_000L);
            consumer.seek(tp, byTime.offset());
            assertThat(readAll(consumer, 69).get(0).value()).isEqualTo("v31");
        }
        var offsets = admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp);
        assertThat(offsets.offset()).isZero();
        assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset()).isEqualTo(100);
        var max = admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).all().get().get(tp);
        assertThat(max.offset()).isEqualTo(99);
        assertThat(max.timestamp()).isEqualTo(base + 99_000L);
    }

    @Test
    void longPollFetchIsAnsweredByALaterAppend() throws Exception {
        String topic = "long-poll";
        createTopic(topic, 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = consumer(); KafkaProducer<String, String> producer = producer(Map.of())) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 0);
            assertThat(consumer.poll(Duration.ofMillis(300))).isEmpty();
            producer.send(new ProducerRecord<>(topic, "k", "late")).get();
            assertThat(readAll(consumer, 1)).extracting(ConsumerRecord::value).containsExactly("late");
        }
    }

    @Test
    void autoCreatesTopicOnFirstProduce() throws Exception {
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            RecordMetadata md = producer.send(new ProducerRecord<>("auto-created", "k", "v")).get();
            assertThat(md.offset()).isZero();
        }
        assertThat(admin.describeTopics(List.of("auto-created")).allTopicNames().get().get("auto-created").partitions()).hasSize(1);
    }

    @Test
    void recordsSurviveACleanRestart() throws Exception {
        String topic = "restart";
        createTopic(topic, 2);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 50; i++) producer.send(new ProducerRecord<>(topic, i % 2, "k", "r" + i)).get();
        }
        admin.close();
        broker.restart();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<TopicPartition> tps = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            assertThat(readAll(consumer, 50)).hasSize(50);
        }
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>(topic, 0, "k", "after")).get().offset()).isEqualTo(25);
        }
    }

    @Test
    void recordsTooFarInTheFutureAreRefusedAsKafkaFourRefusesThem() throws Exception {
        createTopic("future", 1);
        admin.createTopics(List.of(new NewTopic("future-allowed", 1, (short) 1)
                .configs(Map.of("message.timestamp.after.max.ms", Long.toString(Long.MAX_VALUE))))).all().get();
        long twoHoursAhead = System.currentTimeMillis() + 2 * 3600_000L;
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.RETRIES_CONFIG, "0"))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("future", 0, twoHoursAhead, "k", "v")).get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTimestampException.class);
            assertThat(producer.send(new ProducerRecord<>("future", 0, System.currentTimeMillis(), "k", "now")).get().offset()).isZero();
            assertThat(producer.send(new ProducerRecord<>("future-allowed", 0, twoHoursAhead, "k", "v")).get().offset()).isZero();
        }
    }

    @Test
    void describingAnUnknownTopicFailsWithUnknownTopic() {
        assertThatThrownBy(() -> admin.describeTopics(List.of("never-created")).allTopicNames().get())
                .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
    }
}
