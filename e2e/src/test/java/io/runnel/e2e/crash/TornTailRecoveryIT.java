package io.runnel.e2e.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.Requests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Recovery of a damaged log tail: ten acknowledged batches of ten records go to a one-partition
 * topic, the broker is killed with SIGKILL (no clean shutdown, so recovery must run), the last
 * segment file is damaged on disk the way a crash mid-write or bad media would leave it, and the
 * broker is restarted on the same data dir.
 *
 * <p>The property: the broker comes up; the log ends at the last intact batch (every record
 * before it readable and unchanged, nothing of the damaged batch served); a new produce lands
 * right after it and reads back.
 *
 * <p>The segment is found the way Kafka lays logs out, which Runnel keeps:
 * {@code <log.dirs>/<topic>-<partition>/<20-digit base offset>.log}, batches as on the wire
 * (8-byte base offset, 4-byte batch length, then the rest of the v2 batch header and records).
 */
class TornTailRecoveryIT {
    private static final int BATCHES = 10;
    private static final int RECORDS_PER_BATCH = 10;
    private static BrokerProcess broker;

    /** How the tail is damaged, and where the log must end after recovery. */
    enum Damage {
        /** Cut in the middle of the last batch, as a write torn by a crash. */
        TORN_MID_BATCH(BATCHES - 1),
        /** Cut inside the last batch's header: only its first 20 bytes made it. */
        TORN_IN_BATCH_HEADER(BATCHES - 1),
        /** Bytes flipped inside the last batch's records: its CRC32C no longer matches. */
        GARBLED_RECORDS(BATCHES - 1),
        /** The last batch's length field garbled to point far past the end of the file. */
        GARBLED_BATCH_LENGTH(BATCHES - 1),
        /** A zero-filled tail after the last batch, as a file extended but never written. */
        ZEROS_AFTER_LAST_BATCH(BATCHES);

        final int intactBatches;

        Damage(int intactBatches) {
            this.intactBatches = intactBatches;
        }
    }

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("torn-tail");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void damagedTailOfTheLastSegmentIsTruncatedAtTheLastIntactBatch(Damage damage) throws IOException {
        broker.assumeLaunchedHere("kills the broker and edits its segment files");
        String topic = broker.topic("tail-" + damage.name().toLowerCase().replace('_', '-'));
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        for (int b = 0; b < BATCHES; b++) {
            assertThat(produceBatch(topic, b, RECORDS_PER_BATCH)).isEqualTo((long) b * RECORDS_PER_BATCH);
        }

        broker.kill();
        Path segment = lastSegment(topic);
        List<long[]> batches = batchPositions(segment); // {position, size, baseOffset}
        assertThat(batches).as("batches in %s", segment).hasSize(BATCHES);
        damage(segment, batches.get(BATCHES - 1), damage);
        broker.restart();

        long expectedEnd = (long) damage.intactBatches * RECORDS_PER_BATCH;
        assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic).values())
                .as("log end offset after recovering from %s\n%s", damage, broker.logTail(30)).containsExactly(expectedEnd);
        assertThat(values(topic)).as("records after recovery from %s", damage).isEqualTo(expectedValues(damage.intactBatches));

        assertThat(produceBatch(topic, BATCHES, 5)).as("offset of the first produce after recovery").isEqualTo(expectedEnd);
        List<String> expected = expectedValues(damage.intactBatches);
        for (int r = 0; r < 5; r++) expected.add(value(BATCHES, r));
        assertThat(values(topic)).as("records after recovery from %s and a new produce", damage).isEqualTo(expected);
    }

    /** Produces one batch (one request, one v2 batch) with acks=all; returns its base offset. */
    private static long produceBatch(String topic, int batch, int records) throws IOException {
        SimpleRecord[] simple = new SimpleRecord[records];
        for (int r = 0; r < records; r++) simple[r] = new SimpleRecord(value(batch, r).getBytes(StandardCharsets.UTF_8));
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            ProduceResponse response = connection.request(ApiKeys.PRODUCE, Requests.PRODUCE_V,
                    Requests.produce(topic, 0, (short) -1, MemoryRecords.withRecords(Compression.NONE, simple)));
            ProduceResponseData.PartitionProduceResponse ack = response.data().responses().iterator().next().partitionResponses().get(0);
            assertThat(Errors.forCode(ack.errorCode())).as("produce batch %d to %s", batch, topic).isEqualTo(Errors.NONE);
            return ack.baseOffset();
        }
    }

    private static String value(int batch, int record) {
        return "batch-" + batch + "-record-" + record;
    }

    private static List<String> expectedValues(int batches) {
        List<String> values = new ArrayList<>();
        for (int b = 0; b < batches; b++) for (int r = 0; r < RECORDS_PER_BATCH; r++) values.add(value(b, r));
        return values;
    }

    private static List<String> values(String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = KafkaClients.readAll(broker.bootstrap(), topic).get(0);
        for (int i = 0; i < records.size(); i++) assertThat(records.get(i).offset()).isEqualTo(i);
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    private static Path lastSegment(String topic) throws IOException {
        Path data = broker.dataDir();
        Path partitionDir;
        try (Stream<Path> dirs = Files.walk(data)) {
            partitionDir = dirs.filter(Files::isDirectory).filter(d -> d.getFileName().toString().equals(topic + "-0"))
                    .findFirst().orElseThrow(() -> new AssertionError("no directory " + topic + "-0 under " + data + ": "
                            + listing(data)));
        }
        try (Stream<Path> files = Files.list(partitionDir)) {
            return files.filter(f -> f.getFileName().toString().matches("\\d{20}\\.log"))
                    .max(Comparator.comparing(f -> f.getFileName().toString()))
                    .orElseThrow(() -> new AssertionError("no <20 digits>.log segment in " + partitionDir + ": " + listing(partitionDir)));
        }
    }

    private static String listing(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.map(dir::relativize).map(Path::toString).toList().toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** {position, size, baseOffset} of every complete batch in a segment file. */
    private static List<long[]> batchPositions(Path segment) throws IOException {
        List<long[]> batches = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            long position = 0;
            ByteBuffer head = ByteBuffer.allocate(12);
            while (position + 12 <= channel.size()) {
                head.clear();
                channel.read(head, position);
                long baseOffset = head.getLong(0);
                int length = head.getInt(8);
                if (length <= 0 || position + 12 + length > channel.size()) break;
                batches.add(new long[] {position, 12L + length, baseOffset});
                position += 12L + length;
            }
        }
        return batches;
    }

    private static void damage(Path segment, long[] lastBatch, Damage damage) throws IOException {
        long position = lastBatch[0];
        long size = lastBatch[1];
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            switch (damage) {
                case TORN_MID_BATCH -> channel.truncate(position + size / 2);
                case TORN_IN_BATCH_HEADER -> channel.truncate(position + 20);
                case GARBLED_RECORDS -> {
                    ByteBuffer bytes = ByteBuffer.allocate(3);
                    long at = position + size - 8;
                    channel.read(bytes, at);
                    for (int i = 0; i < 3; i++) bytes.put(i, (byte) ~bytes.get(i));
                    bytes.rewind();
                    channel.write(bytes, at);
                }
                case GARBLED_BATCH_LENGTH -> channel.write(ByteBuffer.allocate(4).putInt(0, 0x7fff_ff00), position + 8);
                case ZEROS_AFTER_LAST_BATCH -> channel.write(ByteBuffer.allocate(4096), position + size);
            }
            channel.force(true);
        }
    }
}
