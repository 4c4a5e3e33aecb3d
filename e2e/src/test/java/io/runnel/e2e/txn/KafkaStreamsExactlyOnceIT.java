package io.runnel.e2e.txn;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.BackgroundProcess;
import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.TestJvm;
import io.runnel.e2e.support.TransactionBrokers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Kafka Streams with {@code processing.guarantee=exactly_once_v2} ({@link WordCountStreamsApp},
 * its own JVM: a groupBy through a repartition topic and a count store with a changelog topic)
 * is SIGKILLed twice in the middle of the stream and started again; new sentences arrive while
 * it is down. The output, read with read_committed, must then show for each word exactly the
 * counts 1, 2, ..., n in order (the record cache is off, so every update is emitted once): a
 * duplicate or lost update anywhere in the repartition, changelog, output or offsets shows as a
 * repeated, skipped or final count that is off.
 *
 * <p>The sentences come from a seeded random generator (the seed is printed). Waits are hang
 * guards, never speed checks.
 */
class KafkaStreamsExactlyOnceIT {
    private static final List<String> WORDS = List.of("alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
            "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa");
    private static final int SENTENCES_PER_BATCH = 1_500;
    private static final int WORDS_PER_SENTENCE = 6;
    /** Output records committed between a (re)start and the next kill: the kill lands mid-stream. */
    private static final int PROGRESS_BEFORE_KILL = 1_500;
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final String APPLICATION_ID = "wordcount-eos";

    private BrokerProcess broker;
    private BackgroundProcess app;
    private int starts;

    @AfterEach
    void stop() {
        if (app != null) app.close();
        if (broker != null) broker.close();
    }

    @Test
    void wordCountsAreExactAfterTheAppIsKilledMidStreamAndRestarted() {
        long seed = E2eSettings.seed();
        System.out.println("KafkaStreamsExactlyOnceIT seed " + seed + " (-Drunnel.e2e.seed=" + seed + " repeats it)");
        Random random = new Random(seed);
        broker = TransactionBrokers.start("streams-eos");
        String input = broker.topic("sentences");
        String output = broker.topic("word-counts");
        KafkaClients.createTopic(broker.bootstrap(), input, 2);
        KafkaClients.createTopic(broker.bootstrap(), output, 2);
        Map<String, Long> expected = new TreeMap<>();

        produceSentences(input, 0, random, expected);
        app = startApp(input, output);
        awaitOutputProgress(output, 0);
        sleep(random.nextInt(500));
        app.kill();

        long before = committedOutput(output);
        produceSentences(input, SENTENCES_PER_BATCH, random, expected);
        app = startApp(input, output);
        awaitOutputProgress(output, before);
        sleep(random.nextInt(500));
        app.kill();

        app = startApp(input, output);
        Map<String, List<Long>> counts = awaitFinalCounts(output, expected);
        app.kill();

        assertThat(lastValues(counts)).as("each word's last count").isEqualTo(expected);
        counts.forEach((word, values) -> assertThat(values)
                .as("every count of %s, in order, each once (read_committed)", word)
                .isEqualTo(LongStream.rangeClosed(1, expected.get(word)).boxed().toList()));
        System.out.println("app starts: " + starts);
    }

    private void produceSentences(String input, int first, Random random, Map<String, Long> expected) {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int s = first; s < first + SENTENCES_PER_BATCH; s++) {
                List<String> sentence = new ArrayList<>();
                for (int w = 0; w < WORDS_PER_SENTENCE; w++) {
                    String word = WORDS.get(random.nextInt(WORDS.size()));
                    sentence.add(word);
                    expected.merge(word, 1L, Long::sum);
                }
                acks.add(producer.send(new ProducerRecord<>(input, s % 2, bytes("s-" + s), bytes(String.join(" ", sentence)))));
            }
            producer.flush();
            KafkaClients.awaitAcks(acks, "sentences");
        }
    }

    private BackgroundProcess startApp(String input, String output) {
        starts++;
        return TestJvm.start("wordcount", broker.dir(), WordCountStreamsApp.class, broker.bootstrap(), APPLICATION_ID,
                input, output, broker.dir().resolve("streams-state").toString());
    }

    private void awaitOutputProgress(String output, long from) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (committedOutput(output) < from + PROGRESS_BEFORE_KILL) {
            assertThat(app.isAlive()).as("the Streams app is running\n" + app.describe()).isTrue();
            if (Instant.now().isAfter(deadline)) {
                fail("the Streams app committed no " + PROGRESS_BEFORE_KILL + " output records past " + from + " within "
                        + PATIENCE + "\n" + app.describe() + "\n" + broker.logTail(40));
            }
            sleep(100);
        }
    }

    /** Reads the read_committed output until every word's last count is the expected one; fails at once on a count above it. */
    private Map<String, List<Long>> awaitFinalCounts(String output, Map<String, Long> expected) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (true) {
            Map<String, List<Long>> counts = counts(KafkaClients.readAll(broker.bootstrap(), output, IsolationLevel.READ_COMMITTED));
            Map<String, Long> last = lastValues(counts);
            if (last.equals(expected)) return counts;
            last.forEach((word, count) -> assertThat(count).as("count of %s (an update counted twice?)", word)
                    .isLessThanOrEqualTo(expected.getOrDefault(word, 0L)));
            assertThat(app.isAlive()).as("the Streams app is running\n" + app.describe()).isTrue();
            if (Instant.now().isAfter(deadline)) {
                fail("final counts not reached within " + PATIENCE + ": expected " + expected + ", last read " + last
                        + "\n" + app.describe());
            }
            sleep(1_000);
        }
    }

    private long committedOutput(String output) {
        return KafkaClients.endOffsets(broker.bootstrap(), output, IsolationLevel.READ_COMMITTED)
                .values().stream().mapToLong(Long::longValue).sum();
    }

    /** word -> its counts in the order the output holds them (one word always lands on one partition). */
    private static Map<String, List<Long>> counts(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> records) {
        Map<String, List<Long>> counts = new TreeMap<>();
        records.values().forEach(list -> list.forEach(r -> counts.computeIfAbsent(
                new String(r.key(), StandardCharsets.UTF_8), w -> new ArrayList<>()).add(ByteBuffer.wrap(r.value()).getLong())));
        return counts;
    }

    private static Map<String, Long> lastValues(Map<String, List<Long>> counts) {
        Map<String, Long> last = new TreeMap<>();
        counts.forEach((word, values) -> last.put(word, values.get(values.size() - 1)));
        return last;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
