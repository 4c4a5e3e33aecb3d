package io.runnel.e2e.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's quota scenario on a broker process: two Java producers run at once against the same
 * broker, one whose client-id has a {@code producer_byte_rate} quota and one without. The first is
 * throttled (throttle_time_ms in its responses, as its produce-throttle-time metrics show) and held
 * near its quota; the second is never throttled and runs well above that rate. Quota windows are
 * 3 × 1 s so the initial burst a Kafka rate allows is small. Passes against Apache Kafka 4.4 too
 * ({@code -Drunnel.e2e.broker=kafka}).
 */
class QuotaThrottlingIT {
    static final int QUOTA_BYTES_PER_SECOND = 300_000;
    static final int RECORD_BYTES = 1000;
    static final int RECORDS = 3000;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("quota-throttling").config("quota.window.num", "3").config("quota.window.size.seconds", "1").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void aProducerOverItsQuotaIsHeldNearItWhileAnotherKeepsItsFullRate() throws Exception {
        String slowTopic = broker.topic("quota-slow");
        String fastTopic = broker.topic("quota-fast");
        KafkaClients.createTopic(broker.bootstrap(), slowTopic, 1);
        KafkaClients.createTopic(broker.bootstrap(), fastTopic, 1);
        String throttledId = "throttled-" + slowTopic;
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(new ClientQuotaEntity(Map.of(ClientQuotaEntity.CLIENT_ID, throttledId)),
                    List.of(new ClientQuotaAlteration.Op("producer_byte_rate", (double) QUOTA_BYTES_PER_SECOND))))).all().get();
        }
        Thread.sleep(1000); // Kafka's brokers apply the quota from the metadata log a moment after the controller commits it

        try (KafkaProducer<byte[], byte[]> throttled = producer(throttledId);
             KafkaProducer<byte[], byte[]> free = producer("free-" + fastTopic)) {
            CompletableFuture<Long> slow = CompletableFuture.supplyAsync(() -> sendAll(throttled, slowTopic));
            CompletableFuture<Long> fast = CompletableFuture.supplyAsync(() -> sendAll(free, fastTopic));
            long slowNanos = slow.get();
            long fastNanos = fast.get();
            long bytes = (long) RECORDS * RECORD_BYTES;

            assertThat(metric(throttled, "produce-throttle-time-max")).as("throttle time given to the producer over its quota").isPositive();
            assertThat(metric(free, "produce-throttle-time-max")).as("throttle time given to the producer without a quota").isZero();
            // Kafka's rate admits (windows − 1) × quota before throttling, plus the request crossing the line; the rest is
            // paced at the quota. A lower bound: a slow machine only takes longer.
            double minSeconds = (bytes - 2.0 * QUOTA_BYTES_PER_SECOND - 200_000) / QUOTA_BYTES_PER_SECOND;
            assertThat(slowNanos / 1e9).as("seconds for the throttled producer to send %d bytes", bytes).isGreaterThan(minSeconds);
            double fastRate = bytes / (fastNanos / 1e9);
            assertThat(fastRate).as("bytes/s of the producer without a quota").isGreaterThan(QUOTA_BYTES_PER_SECOND);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String clientId) {
        Properties props = KafkaClients.producerProps(broker.bootstrap());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "1");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(props);
    }

    private static long sendAll(KafkaProducer<byte[], byte[]> producer, String topic) {
        long start = System.nanoTime();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) acks.add(producer.send(new ProducerRecord<>(topic, new byte[RECORD_BYTES])));
        try {
            KafkaClients.awaitAcks(acks, topic);
        } catch (RuntimeException e) {
            throw new CompletionException(e);
        }
        return System.nanoTime() - start;
    }

    private static double metric(KafkaProducer<?, ?> producer, String name) {
        for (Map.Entry<MetricName, ? extends Metric> e : producer.metrics().entrySet())
            if (e.getKey().name().equals(name) && e.getKey().group().equals("producer-metrics")) return (double) e.getValue().metricValue();
        throw new AssertionError("no producer metric " + name);
    }
}
