package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.DistributionSummary;
import io.runnel.broker.RunningBroker;

/**
 * A producer over its {@code producer_byte_rate} is throttled the Kafka way while a second
 * producer without a quota, running at the same time, is not: the throttled one sees
 * throttle_time_ms in its responses (the Java client's produce-throttle-time metrics) and the
 * broker's throttle meter for its bucket, and its rate is held near the quota; the other sees no
 * throttle at all. Quota windows are shortened (3 × 1 s) so that the initial burst Kafka's rate
 * allows, quota × (windows − 1), is small.
 */
class ProduceQuotaTest {
    static final int QUOTA_BYTES_PER_SECOND = 200_000;
    static final int RECORD_BYTES = 1000;
    static final int RECORDS = 1500;
    static final Map<String, String> SHORT_WINDOWS = Map.of("quota.window.num", "3", "quota.window.size.seconds", "1");

    @TempDir
    Path dataDir;

    static KafkaProducer<byte[], byte[]> producer(String bootstrap, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    static double metric(KafkaProducer<?, ?> producer, String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet())
            if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")) return (double) e.getValue().metricValue();
        throw new AssertionError("no producer metric " + name);
    }

    /** Sends {@link #RECORDS} records and waits for every acknowledgement; returns the elapsed nanos. */
    static long sendAll(KafkaProducer<byte[], byte[]> producer, String topic) throws Exception {
        long start = System.nanoTime();
        byte[] value = new byte[RECORD_BYTES];
        List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
        for (int i = 0; i < RECORDS; i++) sent.add(producer.send(new ProducerRecord<>(topic, value)));
        for (var f : sent) f.get();
        return System.nanoTime() - start;
    }

    @Test
    void aProducerOverItsByteRateIsThrottledAndHeldNearItWhileAnotherKeepsItsFullRate() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, SHORT_WINDOWS);
             Admin admin = ClientQuotasAdminTest.admin(broker.bootstrapServers())) {
            admin.createTopics(List.of(new NewTopic("slow", 1, (short) 1), new NewTopic("fast", 1, (short) 1))).all().get();
            admin.alterClientQuotas(List.of(ClientQuotasAdminTest.set(ClientQuotasAdminTest.entity("client-id", "throttled"),
                    "producer_byte_rate", (double) QUOTA_BYTES_PER_SECOND))).all().get();

            try (KafkaProducer<byte[], byte[]> throttled = producer(broker.bootstrapServers(), "throttled");
                 KafkaProducer<byte[], byte[]> free = producer(broker.bootstrapServers(), "free")) {
                CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> run(() -> sendAll(throttled, "slow")));
                CompletableFuture<Long> fast = CompletableFuture.supplyAsync(() -> run(() -> sendAll(free, "fast")));
                long slowNanos = slow.get();
                fast.get();

                assertThat(metric(throttled, "produce-throttle-time-max")).as("throttle time the broker gave the throttled producer").isPositive();
                assertThat(metric(free, "produce-throttle-time-max")).as("throttle time the broker gave the free producer").isZero();

                // Held near the quota. Kafka's rate lets a bucket send quota × (windows − 1) before it is throttled, plus the
                // request that crosses the line; everything after that is paced at the quota. So however fast or slow this
                // machine is, sending B bytes takes at least (B − 2 windows' worth − one request) / quota — a lower bound, which
                // a slow machine only exceeds.
                long bytes = (long) RECORDS * RECORD_BYTES;
                double minSeconds = (bytes - 2.0 * QUOTA_BYTES_PER_SECOND - 100_000) / QUOTA_BYTES_PER_SECOND;
                assertThat(slowNanos / 1e9).as("seconds to send %d bytes at %d B/s", bytes, QUOTA_BYTES_PER_SECOND).isGreaterThan(minSeconds);
            }

            DistributionSummary slowThrottles = broker.registry().find("runnel.quota.throttle.time").tag("kind", "produce")
                    .tag("client_id", "throttled").summary();
            assertThat(slowThrottles).isNotNull();
            assertThat(slowThrottles.count()).isPositive();
            assertThat(broker.registry().find("runnel.quota.throttle.time").tag("client_id", "free").summary()).isNull();
            assertThat(broker.registry().find("runnel.quota.recorded").tag("kind", "produce").tag("client_id", "throttled").counter().count())
                    .as("request bytes counted against the quota").isGreaterThan((double) RECORDS * RECORD_BYTES);
        }
    }

    interface Body<T> {
        T run() throws Exception;
    }

    static <T> T run(Body<T> body) {
        try {
            return body.run();
        } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }
}
