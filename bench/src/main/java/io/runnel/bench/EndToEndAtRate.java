package io.runnel.bench;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
 * End-to-end latency at a fixed rate: one producer (acks=all, linger.ms=0) sends {@code rate}
 * records per second to partition 0 of a topic for {@code seconds}; one group-less consumer
 * ({@code assign()} + seek to end, long-poll fetches) in the same JVM receives them. Latency of a
 * record = receive time − its <em>scheduled</em> send time (both {@code System.nanoTime()} of this
 * JVM), so a stalled producer counts against the broker as well (no coordinated omission).
 * Records of the first {@code warmupSeconds} are not counted. Two more figures tell the client's
 * part of that from the rest: how late the producer thread got to each send (its own scheduling),
 * and the latency counted from the actual send instead of the scheduled one.
 *
 * <p>Why this and not Kafka's EndToEndLatency as the headline figure: EndToEndLatency keeps one
 * record in flight (its rate is 1/latency, not fixed), commits offsets to a group after every
 * record, and stores latencies in whole milliseconds, so sub-millisecond medians read as 0 or 1.
 * The harness still runs EndToEndLatency and reports it beside this tool.
 *
 * <p>Usage: {@code EndToEndAtRate <bootstrap> <topic> <rate> <seconds> <recordSize> <warmupSeconds>}.
 * Prints {@code e2e-result records=N lost=L p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. avg_ms=..
 * send_late_p99_ms=.. from_send_p50_ms=.. from_send_p99_ms=.. from_send_p999_ms=..}.
 */
public final class EndToEndAtRate {
    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: EndToEndAtRate <bootstrap> <topic> <rate> <seconds> <recordSize> <warmupSeconds>");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        int rate = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int size = Math.max(20, Integer.parseInt(args[4]));
        int warmup = Integer.parseInt(args[5]);
        int total = rate * (seconds + warmup);
        int skip = rate * warmup;
        long period = 1_000_000_000L / rate;

        Properties cp = new Properties();
        cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        cp.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-bench-e2e-consumer");
        cp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-bench-e2e-producer");
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

        long[] latencies = new long[total];
        long[] fromSend = new long[total];
        long[] lateness = new long[total];
        AtomicLong received = new AtomicLong();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cp);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp)) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp, Duration.ofSeconds(60));
            producer.partitionsFor(topic); // metadata before the clock starts

            Thread receiver = Thread.ofPlatform().name("e2e-consumer").start(() -> {
                while (received.get() < total) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        ByteBuffer v = ByteBuffer.wrap(r.value());
                        int seq = v.getInt();
                        long scheduled = v.getLong();
                        long sent = v.getLong();
                        if (seq >= 0 && seq < total) {
                            latencies[seq] = now - scheduled;
                            fromSend[seq] = now - sent;
                        }
                        received.incrementAndGet();
                    }
                }
            });

            byte[] payload = new byte[size];
            long start = System.nanoTime() + 100_000_000L;
            for (int i = 0; i < total; i++) {
                long due = start + i * period;
                long wait;
                while ((wait = due - System.nanoTime()) > 0) LockSupport.parkNanos(Math.min(wait, 200_000));
                byte[] value = payload.clone();
                long sent = System.nanoTime();
                lateness[i] = sent - due;
                ByteBuffer.wrap(value).putInt(i).putLong(due).putLong(sent);
                producer.send(new ProducerRecord<>(topic, 0, null, value));
            }
            producer.flush();
            receiver.join(Duration.ofSeconds(60).toMillis());
            if (receiver.isAlive()) {
                System.err.println("e2e: gave up waiting after 60 s; received " + received.get() + " of " + total);
                Runtime.getRuntime().halt(1); // the receiver thread still holds the consumer
            }
        }
        long[] measured = Arrays.copyOfRange(latencies, skip, total);
        long lost = Arrays.stream(measured).filter(l -> l == 0).count();
        Arrays.sort(measured);
        double avg = Arrays.stream(measured).average().orElse(0) / 1e6;
        long[] late = Arrays.copyOfRange(lateness, skip, total);
        Arrays.sort(late);
        long[] afterSend = Arrays.copyOfRange(fromSend, skip, total);
        Arrays.sort(afterSend);
        System.out.printf(Locale.ROOT, "e2e-result records=%d lost=%d rate=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f avg_ms=%.3f"
                        + " send_late_p99_ms=%.3f from_send_p50_ms=%.3f from_send_p99_ms=%.3f from_send_p999_ms=%.3f%n",
                measured.length, lost, rate, pct(measured, 50) / 1e6, pct(measured, 99) / 1e6, pct(measured, 99.9) / 1e6,
                measured[measured.length - 1] / 1e6, avg, pct(late, 99) / 1e6, pct(afterSend, 50) / 1e6, pct(afterSend, 99) / 1e6,
                pct(afterSend, 99.9) / 1e6);
    }

    /** Nearest-rank percentile of a sorted array. */
    static long pct(long[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
