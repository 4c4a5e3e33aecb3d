package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compacted topics through real Java clients: the textbook {@code user-signups} topic keeps the
 * latest value of every key at its original offset, deleted users vanish after
 * {@code delete.retention.ms}, keyless records are refused, and {@code __consumer_offsets} is
 * compacted too while the group's offsets survive a restart.
 */
class CompactedTopicTest {
    @TempDir
    Path dataDir;

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p);
    }

    static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (group != null) p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p);
    }

    /** Everything in partition 0 from the beginning, in offset order. */
    static List<ConsumerRecord<String, String>> readAll(String bootstrap, String topic) {
        try (var c = consumer(bootstrap, null)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<String, String>> out = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (c.position(tp) < end && System.nanoTime() < deadline) c.poll(Duration.ofMillis(100)).forEach(out::add);
            return out;
        }
    }

    /** Sends and waits; returns the offset Kafka acknowledged. */
    static long send(KafkaProducer<String, String> p, String topic, String key, String value) throws Exception {
        return p.send(new ProducerRecord<>(topic, 0, key, value)).get().offset();
    }

    @Test
    void userSignupsKeepsEachUsersLatestValueAtItsOffsetAndDeletedUsersVanishAfterDeleteRetention() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("log.cleaner.backoff.ms", "3600000"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
             KafkaProducer<String, String> producer = producer(broker.bootstrapServers())) {
            String bootstrap = broker.bootstrapServers();
            admin.createTopics(List.of(new NewTopic("user-signups", 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "segment.ms", "50", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "500")))).all().get();

            Map<String, Long> latestOffset = new HashMap<>();
            Map<String, String> latestValue = new HashMap<>();
            for (int round = 0; round < 6; round++) {
                for (int u = 0; u < 20; u++) {
                    String user = "user-" + u;
                    String value = user + "@example.com#" + round;
                    latestOffset.put(user, send(producer, "user-signups", user, value));
                    latestValue.put(user, value);
                }
                Thread.sleep(60); // past segment.ms: the next write rolls a new segment
            }
            for (String gone : List.of("user-3", "user-7")) {
                latestOffset.put(gone, send(producer, "user-signups", gone, null));
                latestValue.put(gone, null);
            }
            Thread.sleep(60);
            send(producer, "user-signups", "marker", "roll"); // rolls: every user's writes are below the active segment
            int before = readAll(bootstrap, "user-signups").size();

            assertThat(broker.broker().logCleaner().cleanNow()).isGreaterThanOrEqualTo(1);
            assertThat(broker.registry().get("runnel.log.cleaner.passes").counter().count()).isGreaterThanOrEqualTo(1);
            assertThat(broker.registry().get("runnel.log.cleaner.records.removed").counter().count()).isGreaterThan(0);
            // The backlog the pass found, then none: the next look finds everything below the active segment clean.
            double backlogBefore = broker.registry().get("runnel.log.cleaner.dirty.bytes").gauge().value();
            broker.broker().logCleaner().cleanNow();
            assertThat(backlogBefore).as("dirty bytes seen before the first pass").isPositive();
            assertThat(broker.registry().get("runnel.log.cleaner.dirty.bytes").gauge().value()).as("dirty bytes after it").isZero();

            List<ConsumerRecord<String, String>> after = readAll(bootstrap, "user-signups");
            assertThat(after.size()).isLessThan(before);
            Map<String, ConsumerRecord<String, String>> byKey = new HashMap<>();
            for (var r : after) {
                assertThat(byKey.put(r.key(), r)).as("one record per key: %s", r.key()).isNull();
            }
            for (var e : latestOffset.entrySet()) {
                ConsumerRecord<String, String> kept = byKey.get(e.getKey());
                assertThat(kept).as(e.getKey()).isNotNull();
                assertThat(kept.offset()).as("offset of %s unchanged", e.getKey()).isEqualTo(e.getValue());
                assertThat(kept.value()).isEqualTo(latestValue.get(e.getKey()));
            }

            // Past delete.retention.ms, the next pass drops the tombstones: the deleted users vanish.
            Thread.sleep(600);
            for (int u = 0; u < 3; u++) send(producer, "user-signups", "late-" + u, "x");
            Thread.sleep(60);
            send(producer, "user-signups", "marker", "roll-again");
            assertThat(broker.broker().logCleaner().cleanNow()).isGreaterThanOrEqualTo(1);
            List<ConsumerRecord<String, String>> later = readAll(bootstrap, "user-signups");
            assertThat(later).extracting(ConsumerRecord::key).doesNotContain("user-3", "user-7").contains("user-0", "user-19");

            // Keyless records are refused on a compacted topic; nothing already stored changes.
            ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> producer.send(new ProducerRecord<>("user-signups", 0, null, "no key")).get());
            assertThat(refused.getCause()).isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("Compacted topic cannot accept message without key");
            assertThat(readAll(bootstrap, "user-signups")).hasSameSizeAs(later);
        }
    }

    @Test
    void consumerOffsetsIsCompactedAndTheGroupsOffsetsSurviveARestart() throws Exception {
        Map<String, String> settings = Map.of("log.cleaner.backoff.ms", "3600000", "offsets.topic.num.partitions", "1",
                "log.roll.ms", "100", "group.initial.rebalance.delay.ms", "0");
        TopicPartition offsetsPartition = new TopicPartition("__consumer_offsets", 0);
        TopicPartition tp = new TopicPartition("events", 0);
        try (RunningBroker broker = new RunningBroker(dataDir, settings)) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
                 var c = consumer(broker.bootstrapServers(), "committer")) {
                admin.createTopics(List.of(new NewTopic("events", 1, (short) 1))).all().get();
                c.assign(List.of(tp));
                for (int i = 1; i <= 300; i++) {
                    c.commitSync(Map.of(tp, new OffsetAndMetadata(i)));
                    if (i % 50 == 0) Thread.sleep(120); // lets __consumer_offsets roll
                }
            }
            var offsetsLog = broker.broker().replicaManager().partition(offsetsPartition);
            long bytesBefore = offsetsLog.sizeInBytes();
            assertThat(broker.broker().logCleaner().cleanNow()).isGreaterThanOrEqualTo(1);
            assertThat(offsetsLog.sizeInBytes()).isLessThan(bytesBefore / 2);

            broker.restart();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                assertThat(admin.listConsumerGroupOffsets("committer").partitionsToOffsetAndMetadata().get())
                        .containsEntry(tp, new OffsetAndMetadata(300));
            }
        }
    }
}
