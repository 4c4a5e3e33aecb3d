package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * A consumer over its {@code consumer_byte_rate} is throttled the Kafka way while a second
 * consumer without a quota reads the same records at its full rate: the throttled one sees
 * fetch throttle time, its fetches are capped at what its quota allows per measurement period,
 * throttled fetches are answered empty and read again later (so it still gets every record,
 * in order, exactly once), and its rate is held near the quota.
 */
class FetchQuotaTest {
    static final int QUOTA_BYTES_PER_SECOND = 200_000;
    static final int RECORD_BYTES = 1000;
    static final int RECORDS = 1500;

    @TempDir
    Path dataDir;

    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String clientId) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    static double metric(KafkaConsumer<?, ?> consumer, String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet())
            if (e.getKey().name().equals(name) && e.getKey().group().equals("consumer-fetch-manager-metrics")) return (double) e.getValue().metricValue();
        throw new AssertionError("no consumer metric " + name);
    }

    /** Reads the whole partition from the start; returns the elapsed nanos, checking every offset arrives once, in order. */
    static long readAll(KafkaConsumer<byte[], byte[]> consumer) {
        TopicPartition tp = new TopicPartition("data", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long start = System.nanoTime();
        long next = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (next < RECORDS && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                assertThat(r.offset()).isEqualTo(next);
                next++;
            }
        }
        assertThat(next).as("records read").isEqualTo(RECORDS);
        return System.nanoTime() - start;
    }

    @Test
    void aConsumerOverItsByteRateIsThrottledAndHeldNearItWhileAnotherReadsAtFullRate() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, ProduceQuotaTest.SHORT_WINDOWS);
             Admin admin = ClientQuotasAdminTest.admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("data", 1, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> producer = ProduceQuotaTest.producer(broker.bootstrapServers(), "loader")) {
                for (int i = 0; i < RECORDS; i++) producer.send(new ProducerRecord<>("data", new byte[RECORD_BYTES]));
                producer.flush();
            }
            admin.alterClientQuotas(List.of(ClientQuotasAdminTest.set(ClientQuotasAdminTest.entity("client-id", "throttled"),
                    "consumer_byte_rate", (double) QUOTA_BYTES_PER_SECOND))).all().get();

            try (KafkaConsumer<byte[], byte[]> throttled = consumer(broker.bootstrapServers(), "throttled");
                 KafkaConsumer<byte[], byte[]> free = consumer(broker.bootstrapServers(), "free")) {
                CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> readAll(throttled));
                CompletableFuture<Long> fast = CompletableFuture.supplyAsync(() -> readAll(free));
                long slowNanos = slow.get();
                fast.get();

                assertThat(metric(throttled, "fetch-throttle-time-max")).as("throttle time given to the throttled consumer").isPositive();
                assertThat(metric(free, "fetch-throttle-time-max")).as("throttle time given to the free consumer").isZero();
                // As for produce: after the burst of (windows − 1) × quota and one capped fetch, reading is paced at the quota.
                long bytes = (long) RECORDS * RECORD_BYTES;
                double minSeconds = (bytes - 2.0 * QUOTA_BYTES_PER_SECOND - 2.0 * QUOTA_BYTES_PER_SECOND) / QUOTA_BYTES_PER_SECOND;
                assertThat(slowNanos / 1e9).as("seconds to read %d bytes at %d B/s", bytes, QUOTA_BYTES_PER_SECOND).isGreaterThan(minSeconds);
            }
            assertThat(broker.registry().find("runnel.quota.throttle.time").tag("kind", "fetch").tag("client_id", "throttled").summary().count())
                    .isPositive();
            assertThat(broker.registry().find("runnel.quota.throttle.time").tag("client_id", "free").summary()).isNull();
        }
    }
}
