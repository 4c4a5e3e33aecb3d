package io.runnel.e2e.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Crash safety under load: a Java producer (acks=all, idempotent) sends numbered records without
 * pause while the broker process is killed with SIGKILL at random moments and restarted on the
 * same data dir, {@code runnel.e2e.crash.cycles} times (default 20).
 *
 * <p>The property, checked after every restart and at the end by reading the topic from offset 0
 * with a fresh consumer:
 * <ol>
 *   <li>every record whose send was acknowledged is present exactly once;</li>
 *   <li>each partition holds its records in send order (so acknowledged ones are in order);</li>
 *   <li>unacknowledged records may or may not be present, but never more than once.</li>
 * </ol>
 * And after each restart the same producer instance carries on (it gets new acknowledgements).
 *
 * <p>The kill moments come from a seeded Random; the seed is printed and in every failure
 * message ({@code -Drunnel.e2e.seed=N} repeats the schedule; timing still varies run to run).
 */
class KillNineDuringProduceIT {
    private static String topic; // "crash", made unique when the broker is external
    private static final int PARTITIONS = 2;
    private static final int MAX_UNACKED = 2_000;
    private static final Duration PROGRESS_GUARD = Duration.ofMinutes(3); // hang guard per cycle
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("kill-nine");
        topic = broker.topic("crash");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void everyAcknowledgedRecordSurvivesRepeatedSigkillExactlyOnceAndInOrder() throws Exception {
        broker.assumeLaunchedHere("kills and restarts the broker");
        long seed = E2eSettings.seed();
        int cycles = E2eSettings.intSetting("runnel.e2e.crash.cycles", 20);
        Random random = new Random(seed);
        String context = "seed " + seed + " (-Drunnel.e2e.seed=" + seed + "), " + broker;
        System.out.println("KillNineDuringProduceIT " + context + ", " + cycles + " cycles");

        NumberedProducer producer = new NumberedProducer(broker.bootstrap());
        Thread sender = new Thread(producer, "crash-producer");
        sender.start();
        try {
            awaitAcks(producer, 200, context + ", before the first kill");
            for (int cycle = 1; cycle <= cycles; cycle++) {
                Thread.sleep(random.nextInt(1_500)); // a random moment while records are in flight
                broker.kill();
                NavigableMap<Long, Long> ackedBeforeKill = new java.util.TreeMap<>(producer.acked);
                if (random.nextInt(4) == 0) Thread.sleep(random.nextInt(500)); // sometimes stay down a while
                broker.restart();
                String cycleContext = context + ", cycle " + cycle + "/" + cycles;
                awaitAcks(producer, producer.acked.size() + 50, cycleContext + ", after restart");
                verifyLog(ackedBeforeKill, cycleContext);
                System.out.printf("KillNineDuringProduceIT cycle %d: %d acked before the kill, %d failed sends so far%n",
                        cycle, ackedBeforeKill.size(), producer.failed.get());
            }
        } finally {
            producer.stop();
            sender.join(TimeUnit.MINUTES.toMillis(5));
        }
        assertThat(producer.error.get()).as("producer thread error (%s)", context).isNull();
        verifyLog(producer.acked, context + ", at the end");
        assertThat(producer.acked).as("acknowledged records (%s)", context).hasSizeGreaterThan(cycles * 50);
    }

    /** Reads the topic from offset 0 and checks the three properties against {@code acked}. */
    private static void verifyLog(NavigableMap<Long, Long> acked, String context) {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> log = KafkaClients.readAll(broker.bootstrap(), topic);
        Map<Long, Integer> copies = new HashMap<>();
        for (Map.Entry<Integer, List<ConsumerRecord<byte[], byte[]>>> partition : log.entrySet()) {
            long previous = -1;
            for (ConsumerRecord<byte[], byte[]> record : partition.getValue()) {
                long seq = seq(record);
                assertThat((int) (seq % PARTITIONS)).as("record %d in partition %d (%s)", seq, partition.getKey(), context)
                        .isEqualTo(partition.getKey());
                if (seq <= previous) {
                    throw new AssertionError("partition " + partition.getKey() + ": record " + seq + " at offset "
                            + record.offset() + " after record " + previous + " (" + context + ")");
                }
                previous = seq;
                copies.merge(seq, 1, Integer::sum);
            }
        }
        List<Long> missing = new ArrayList<>();
        for (Long seq : acked.keySet()) {
            if (!copies.containsKey(seq)) missing.add(seq);
        }
        assertThat(missing).as("acknowledged records missing after the restart (%d acknowledged; %s)\n%s",
                acked.size(), context, broker.logTail(30)).isEmpty();
        // Exactly once: the order check above already rejects any second copy; this says which.
        assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList())
                .as("records present more than once (%s)", context).isEmpty();
    }

    private static long seq(ConsumerRecord<byte[], byte[]> record) {
        return Long.parseLong(new String(record.value(), StandardCharsets.UTF_8).substring("seq-".length()));
    }

    private static void awaitAcks(NumberedProducer producer, int atLeast, String context) throws InterruptedException {
        Instant deadline = Instant.now().plus(PROGRESS_GUARD);
        while (producer.acked.size() < atLeast) {
            if (producer.error.get() != null) throw new AssertionError("producer thread failed (" + context + ")", producer.error.get());
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the producer got no new acknowledgements within " + PROGRESS_GUARD + " ("
                        + context + "): " + producer.acked.size() + " acked, " + producer.failed.get() + " failed, last error "
                        + producer.lastSendError.get() + "\n" + broker.logTail(40));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Sends "seq-N" to partition N % PARTITIONS for N = 0, 1, 2... until stopped, at most
     * {@link #MAX_UNACKED} outstanding, recording which were acknowledged (N -> offset).
     */
    private static final class NumberedProducer implements Runnable {
        final ConcurrentSkipListMap<Long, Long> acked = new ConcurrentSkipListMap<>();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicReference<Exception> lastSendError = new AtomicReference<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Semaphore outstanding = new Semaphore(MAX_UNACKED);
        private final String bootstrap;

        NumberedProducer(String bootstrap) {
            this.bootstrap = bootstrap;
        }

        void stop() {
            running.set(false);
        }

        @Override
        public void run() {
            Properties props = KafkaClients.producerProps(bootstrap);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
            props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
            props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "180000");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
                long seq = 0;
                while (running.get()) {
                    if (!outstanding.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                    long n = seq++;
                    try {
                        producer.send(new ProducerRecord<>(topic, (int) (n % PARTITIONS), null,
                                ("seq-" + n).getBytes(StandardCharsets.UTF_8)), (metadata, exception) -> {
                            outstanding.release();
                            if (exception == null) {
                                acked.put(n, metadata.offset());
                            } else {
                                failed.incrementAndGet();
                                lastSendError.set(exception);
                            }
                        });
                    } catch (RuntimeException e) { // e.g. max.block.ms while the broker is down: not sent
                        outstanding.release();
                        failed.incrementAndGet();
                        lastSendError.set(e);
                    }
                    if (n % 4 == 0) Thread.sleep(1); // pace: a steady stream, not a flood
                }
                producer.flush();
            } catch (Throwable t) {
                error.set(t);
            }
        }
    }
}
