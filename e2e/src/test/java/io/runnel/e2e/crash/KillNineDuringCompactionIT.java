package io.runnel.e2e.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Crash safety of compaction: a compacted topic is written in waves while the log cleaner runs
 * continuously (throttled, so a pass takes a while), and the broker is killed with SIGKILL at
 * random moments and restarted, {@code runnel.e2e.compaction.cycles} times (default 8).
 *
 * <p>After every restart, reading the topic from the beginning: offsets and values are in send
 * order (nothing duplicated, nothing reordered), and every key's latest acknowledged value is
 * there, whatever step of a cleaning pass (writing, swapping, installing) the kill interrupted.
 * At the end the cleaner must have removed superseded records, or the test proved nothing.
 */
class KillNineDuringCompactionIT {
    private static final int KEYS = 300;
    private static final int RECORDS_PER_WAVE = 3_000;
    private static final String PAD = "x".repeat(400);
    private static BrokerProcess broker;
    private static String topic;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = BrokerProcess.builder("kill-nine-compaction")
                .config("log.cleaner.backoff.ms", "50")
                .config("log.cleaner.io.max.bytes.per.second", "2000000")
                .start();
        topic = broker.topic("compacted-crash");
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "segment.bytes", "1048576", "segment.ms", "500", "min.cleanable.dirty.ratio", "0.01")))).all().get();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void everyKeysLatestAcknowledgedValueSurvivesSigkillAtAnyStepOfCleaning() throws Exception {
        broker.assumeLaunchedHere("kills and restarts the broker");
        long seed = E2eSettings.seed();
        int cycles = E2eSettings.intSetting("runnel.e2e.compaction.cycles", 8);
        Random random = new Random(seed);
        String context = "seed " + seed + " (-Drunnel.e2e.seed=" + seed + "), " + broker;
        System.out.println("KillNineDuringCompactionIT " + context + ", " + cycles + " cycles");
        long logMark = broker.logMark();

        Map<String, Long> latestAcked = new HashMap<>();
        long next = 0;
        for (int cycle = 1; cycle <= cycles; cycle++) {
            next = produceWave(next, latestAcked);
            Thread.sleep(random.nextInt(1_500)); // the cleaner is somewhere in a pass
            broker.kill();
            broker.restart();
            verify(latestAcked, next, context + ", cycle " + cycle + "/" + cycles);
        }
        // Whether a pass finishes between two random kills depends on the machine's load; that one finishes once
        // the kills stop, on the logs the kills left, does not: wait for it (hang guard), then check again.
        java.time.Instant deadline = java.time.Instant.now().plus(KafkaClients.PATIENCE);
        while (!broker.logSince(logMark).contains("Cleaned ") && java.time.Instant.now().isBefore(deadline)) Thread.sleep(200);
        String log = broker.logSince(logMark);
        assertThat(log).as("the cleaner completed a pass on the logs the kills left (%s)", context).contains("Cleaned ");
        verify(latestAcked, next, context + ", after the cleaner's pass");
        System.out.printf("KillNineDuringCompactionIT: kills interrupted %d pass(es) while writing and %d while installing%n",
                log.split("a cleaning pass did not finish", -1).length - 1, log.split("Completed the interrupted install", -1).length - 1);
        int stored = readInOrder().size();
        assertThat(stored).as("superseded records were removed (%s)", context).isLessThan((int) next);
    }

    /** Sends RECORDS_PER_WAVE records "v-N" for key k-(N % KEYS) with acks=all; every send must be acknowledged. */
    private static long produceWave(long first, Map<String, Long> latestAcked) throws Exception {
        Properties props = KafkaClients.producerProps(broker.bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        List<Future<?>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (long n = first; n < first + RECORDS_PER_WAVE; n++) {
                acks.add(producer.send(new ProducerRecord<>(topic, 0, key(n).getBytes(StandardCharsets.UTF_8),
                        ("v-" + n + "-" + PAD).getBytes(StandardCharsets.UTF_8))));
            }
            for (Future<?> ack : acks) ack.get();
        }
        for (long n = first; n < first + RECORDS_PER_WAVE; n++) latestAcked.put(key(n), n);
        return first + RECORDS_PER_WAVE;
    }

    private static String key(long n) {
        return "k-" + (n % KEYS);
    }

    private static List<long[]> readInOrder() {
        List<long[]> out = new ArrayList<>(); // {offset, n}
        for (ConsumerRecord<byte[], byte[]> r : KafkaClients.readAll(broker.bootstrap(), topic).getOrDefault(0, List.of())) {
            String value = new String(r.value(), StandardCharsets.UTF_8);
            out.add(new long[] {r.offset(), Long.parseLong(value.substring(2, value.indexOf('-', 2)))});
        }
        return out;
    }

    private static void verify(Map<String, Long> latestAcked, long sent, String context) {
        List<long[]> records = readInOrder();
        Map<String, Long> latestStored = new HashMap<>();
        long previous = -1;
        for (long[] r : records) {
            if (r[1] <= previous) throw new AssertionError("record v-" + r[1] + " at offset " + r[0] + " after v-" + previous + " (" + context + ")");
            assertThat(r[1]).as("never sent (%s)", context).isLessThan(sent);
            previous = r[1];
            latestStored.put(key(r[1]), r[1]);
        }
        List<String> lost = new ArrayList<>();
        latestAcked.forEach((key, n) -> {
            if (!n.equals(latestStored.get(key))) lost.add(key + ": acked v-" + n + ", stored " + latestStored.get(key));
        });
        assertThat(lost).as("keys whose latest acknowledged value is gone (%s)\n%s", context, broker.logTail(30)).isEmpty();
    }
}
