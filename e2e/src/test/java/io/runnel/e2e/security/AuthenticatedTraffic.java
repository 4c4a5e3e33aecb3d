package io.runnel.e2e.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Authenticated clients working while a test attacks the same broker: one thread produces record
 * after record over SASL_SSL (SCRAM-SHA-512, acks=all) to a one-partition topic and reads each back
 * over mTLS before sending the next. {@link #stopAndAssert()} lets it finish one more round trip
 * after the attack, stops it, and asserts that every record sent was acknowledged and read back, in
 * order, exactly once — records, not timing.
 *
 * <p>Owned by the test thread; the worker thread owns the clients.
 */
final class AuthenticatedTraffic implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(2); // hang guard per round trip

    private final Thread worker;
    private final List<String> sent = new ArrayList<>();
    private final List<String> read = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopRequested;
    private volatile int roundTrips;

    private AuthenticatedTraffic(SecureBroker secure, String topic) {
        worker = new Thread(() -> run(secure, topic), "authenticated-traffic-" + topic);
        worker.setDaemon(true);
    }

    /** Creates {@code topic} (one partition) and starts the traffic; returns once the first round trip is done. */
    static AuthenticatedTraffic start(SecureBroker secure, String topic) {
        KafkaClients.createTopic(secure.broker().bootstrap(), topic, 1);
        AuthenticatedTraffic traffic = new AuthenticatedTraffic(secure, topic);
        traffic.worker.start();
        traffic.awaitRoundTrips(1);
        return traffic;
    }

    /** Waits for one more round trip than done so far (the clients still work after whatever came before), stops, and checks every record. */
    void stopAndAssert() {
        awaitRoundTrips(roundTrips + 1);
        stop();
        assertThat(failure.get()).as("the authenticated clients hit an error").isNull();
        synchronized (this) {
            assertThat(read).as("every record sent over SASL_SSL was read back over mTLS, in order").isEqualTo(sent);
            assertThat(sent).isNotEmpty();
        }
    }

    private void awaitRoundTrips(int atLeast) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (roundTrips < atLeast && failure.get() == null && Instant.now().isBefore(deadline)) Pause.sleep(20);
        assertThat(failure.get()).as("the authenticated clients hit an error").isNull();
        assertThat(roundTrips).as("authenticated round trips (hang guard %s)", PATIENCE).isGreaterThanOrEqualTo(atLeast);
    }

    private void stop() {
        stopRequested = true;
        try {
            worker.join(PATIENCE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(SecureBroker secure, String topic) {
        Properties producerProps = secure.javaSaslSsl(SecureBroker.USER, SecureBroker.PASSWORD);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        Properties consumerProps = secure.javaMtls(secure.client());
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps)) {
            consumer.assign(List.of(partition));
            consumer.seek(partition, 0);
            for (int i = 0; !stopRequested; i++) {
                String value = "authenticated-" + i;
                producer.send(new ProducerRecord<>(topic, value.getBytes(StandardCharsets.UTF_8))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                synchronized (this) {
                    sent.add(value);
                }
                Instant deadline = Instant.now().plus(PATIENCE);
                while (readCount() < i + 1) {
                    if (Instant.now().isAfter(deadline)) throw new AssertionError("record " + value + " never came back over mTLS");
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        synchronized (this) {
                            read.add(new String(record.value(), StandardCharsets.UTF_8));
                        }
                    }
                }
                roundTrips++;
            }
        } catch (Throwable e) {
            failure.set(e);
        }
    }

    private synchronized int readCount() {
        return read.size();
    }

    @Override
    public void close() {
        stop();
    }
}
