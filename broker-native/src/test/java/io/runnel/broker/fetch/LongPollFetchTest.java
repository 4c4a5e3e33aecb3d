package io.runnel.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.runnel.broker.RunningBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer waiting at the log end (a long poll the broker parks) is answered by the append, not
 * by its wait running out: the re-read an append starts on the partition's I/O thread, appends
 * that land while such a re-read is in flight, and a fetch of partitions on both I/O threads. The
 * consumers wait up to a minute per fetch, so records that came only when a wait ran out would
 * miss the test's deadline, which is far shorter.
 */
class LongPollFetchTest {
    private static final int FETCH_WAIT_MS = 60_000;
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    static Path dataDir;
    static RunningBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dataDir, Map.of("num.io.threads", "2"));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        admin.createTopics(List.of(new NewTopic("one", 1, (short) 1), new NewTopic("four", 4, (short) 1))).all().get();
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    @Test
    void eachRecordSentOneAtATimeReachesAConsumerParkedAtTheLogEnd() throws Exception {
        TopicPartition tp = new TopicPartition("one", 0);
        KafkaConsumer<String, String> consumer = consumer();
        try (KafkaProducer<String, String> producer = producer()) {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("one", 0, null, "r" + i)).get();
                List<String> got = pollUntil(consumer, 1);
                assertThat(got).containsExactly("r" + i);
            }
        } finally {
            closeNow(consumer);
        }
    }

    @Test
    void aBurstOfAppendsWhileReReadsAreInFlightIsDeliveredWithoutWaitingOutTheFetch() throws Exception {
        TopicPartition tp = new TopicPartition("one", 0);
        KafkaConsumer<String, String> consumer = consumer(Map.of(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1"));
        try {
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            assertThat(consumer.poll(Duration.ofMillis(200))).isEmpty(); // its next fetch is now parked at the log end
            ExecutorService senders = Executors.newFixedThreadPool(4);
            List<Future<?>> sent = new ArrayList<>();
            // Several producers, one record at a time each: many small appends, each waking the parked fetch, many while it re-reads.
            for (int s = 0; s < 4; s++) {
                int sender = s;
                sent.add(senders.submit(() -> {
                    try (KafkaProducer<String, String> producer = producer()) {
                        for (int i = 0; i < 250; i++) producer.send(new ProducerRecord<>("one", 0, null, sender + "-" + i)).get();
                    }
                    return null;
                }));
            }
            List<String> got = pollUntil(consumer, 1000); // while the senders send
            for (Future<?> f : sent) f.get();
            senders.shutdown();
            assertThat(got).hasSize(1000).doesNotHaveDuplicates();
        } finally {
            closeNow(consumer);
        }
    }

    @Test
    void aFetchOfPartitionsOnBothIoThreadsIsAnsweredByAnAppendToAnyOfThem() throws Exception {
        List<TopicPartition> all = List.of(new TopicPartition("four", 0), new TopicPartition("four", 1), new TopicPartition("four", 2),
                new TopicPartition("four", 3));
        KafkaConsumer<String, String> consumer = consumer();
        try (KafkaProducer<String, String> producer = producer()) {
            consumer.assign(all);
            consumer.seekToEnd(all);
            all.forEach(consumer::position);
            for (int round = 0; round < 3; round++) {
                for (TopicPartition tp : all) {
                    producer.send(new ProducerRecord<>("four", tp.partition(), null, round + "@" + tp.partition())).get();
                    assertThat(pollUntil(consumer, 1)).containsExactly(round + "@" + tp.partition());
                }
            }
        } finally {
            closeNow(consumer);
        }
    }

    /** Polls until {@code count} records came or the deadline passed; a wait that had to run out would pass the deadline. */
    private static List<String> pollUntil(KafkaConsumer<String, String> consumer, int count) {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (got.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        return got;
    }

    /**
     * Closes without waiting: the consumer's close sends its session-closing fetch behind the fetch
     * still parked on the same connection, and responses go out in request order, so a full close
     * would wait out the minute-long fetch wait or its own 30 s timeout.
     */
    private static void closeNow(KafkaConsumer<String, String> consumer) {
        consumer.close(CloseOptions.timeout(Duration.ZERO));
    }

    private static KafkaConsumer<String, String> consumer() {
        return consumer(Map.of());
    }

    private static KafkaConsumer<String, String> consumer(Map<String, String> extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(FETCH_WAIT_MS));
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(FETCH_WAIT_MS + 30_000));
        p.putAll(extra);
        return new KafkaConsumer<>(p);
    }

    private static KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p);
    }
}
