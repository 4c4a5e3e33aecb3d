package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.appendBytes;
import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.batchSize;
import static io.runnel.broker.log.LogTestSupport.flipByte;
import static io.runnel.broker.log.LogTestSupport.readAll;
import static io.runnel.broker.log.LogTestSupport.truncateFile;
import static io.runnel.broker.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.runnel.broker.ManualTime;

/**
 * Crash recovery: each test damages the files the way a crash or a bad disk would, reopens, and
 * checks that every intact batch is there exactly once and that appends continue at the right
 * offset.
 */
class LogRecoveryTest {
    static final int BATCHES = 10;

    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final int batchBytes = batchSize("v0");
    // Four batches per segment: segments at 0, 4, 8; the last holds v8, v9.
    final LogConfig config = LogConfig.defaults().withSegmentBytes(4 * batchBytes).withIndexIntervalBytes(0);

    Path dir() {
        return tmp.resolve("topic-0");
    }

    PartitionLog open(boolean clean) {
        return PartitionLog.open(dir(), config, clean, time);
    }

    /** v0..v9, one single-record batch each, then a clean close. */
    List<String> writeAndClose() {
        PartitionLog log = open(true);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            log.appendAsLeader(batch(1_000L + i, "v" + i), 0);
            written.add("v" + i);
        }
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 4L, 8L);
        log.close();
        return written;
    }

    /** The log holds exactly {@code expected}, at offsets 0.., and takes the next append right after. */
    void assertRecoveredTo(PartitionLog log, List<String> expected) {
        List<LogTestSupport.Stored> stored = readAll(log);
        assertThat(values(stored)).containsExactlyElementsOf(expected);
        for (int i = 0; i < stored.size(); i++) assertThat(stored.get(i).offset()).isEqualTo(i);
        assertThat(log.logEndOffset()).isEqualTo(expected.size());
        assertThat(log.appendAsLeader(batch(5_000L, "new"), 0).firstOffset()).isEqualTo(expected.size());
        log.close();

        PartitionLog again = open(true);
        List<String> withNew = new ArrayList<>(expected);
        withNew.add("new");
        assertThat(values(readAll(again))).containsExactlyElementsOf(withNew);
        again.close();
    }

    Path lastSegment() {
        return LogFiles.logFile(dir(), 8);
    }

    @ParameterizedTest(name = "keeping {0} bytes of the last batch")
    @ValueSource(ints = {1, 12, 17, 60, 61, -1})
    void tornLastBatchIsTruncated(int bytesKept) throws Exception {
        List<String> written = writeAndClose();
        long lastBatchStart = Files.size(lastSegment()) - batchBytes;
        truncateFile(lastSegment(), lastBatchStart + (bytesKept < 0 ? batchBytes + bytesKept : bytesKept));

        assertRecoveredTo(open(false), written.subList(0, BATCHES - 1));
    }

    @ParameterizedTest(name = "flipping byte {0} of the last batch")
    @ValueSource(ints = {
            Records.SIZE_OFFSET,                        // length field: now huge or negative
            Records.MAGIC_OFFSET,                       // magic
            DefaultRecordBatch.CRC_OFFSET,              // stored CRC
            DefaultRecordBatch.RECORD_BATCH_OVERHEAD})  // first byte of the records
    void garbledLastBatchIsTruncated(int byteInBatch) throws Exception {
        List<String> written = writeAndClose();
        flipByte(lastSegment(), Files.size(lastSegment()) - batchBytes + byteInBatch);

        assertRecoveredTo(open(false), written.subList(0, BATCHES - 1));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"zeros", "random", "an older batch replayed"})
    void garbageAfterTheLastBatchIsTruncated(String garbage) throws Exception {
        List<String> written = writeAndClose();
        byte[] bytes = switch (garbage) {
            case "zeros" -> new byte[100];
            case "random" -> randomBytes(300);
            // A valid batch whose base offset goes backwards, as a stale page written late would look.
            default -> Files.readAllBytes(LogFiles.logFile(dir(), 0));
        };
        appendBytes(lastSegment(), bytes);

        assertRecoveredTo(open(false), written);
    }

    @Test
    void tornOnlyBatchLeavesAnEmptyLogAtOffsetZero() throws Exception {
        PartitionLog log = open(true);
        log.appendAsLeader(batch(1_000L, "only"), 0);
        log.close();
        truncateFile(LogFiles.logFile(dir(), 0), 30);

        assertRecoveredTo(open(false), List.of());
    }

    @Test
    void corruptMiddleSegmentDropsEverythingAfterIt() throws Exception {
        List<String> written = writeAndClose();
        // As if the broker crashed long after the last flush: recovery starts at the beginning.
        Files.writeString(dir().resolve(LogFiles.RECOVERY_POINT), "0\n");
        flipByte(LogFiles.logFile(dir(), 4), 2L * batchBytes + DefaultRecordBatch.RECORD_BATCH_OVERHEAD);

        PartitionLog log = open(false);

        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 4L);
        assertThat(Files.exists(lastSegment())).isFalse();
        assertRecoveredTo(log, written.subList(0, 6));
    }

    @Test
    void segmentsBelowTheRecoveryPointAreTrusted() throws Exception {
        List<String> written = writeAndClose();
        // close() set the recovery point to the log end (10): the damaged first segment is not re-validated.
        flipByte(LogFiles.logFile(dir(), 0), DefaultRecordBatch.RECORD_BATCH_OVERHEAD);

        PartitionLog log = open(false);
        assertThat(log.logEndOffset()).isEqualTo(BATCHES);
        assertThat(LogTestSupport.values(log.read(4, 1 << 20, Long.MAX_VALUE, false).records())).containsExactlyElementsOf(written.subList(4, BATCHES));
        log.close();
    }

    @Test
    void cleanShutdownSkipsRecovery() throws Exception {
        writeAndClose();
        flipByte(lastSegment(), Files.size(lastSegment()) - batchBytes + DefaultRecordBatch.RECORD_BATCH_OVERHEAD);

        PartitionLog trusting = open(true);
        assertThat(trusting.logEndOffset()).as("the damaged batch is not examined").isEqualTo(BATCHES);
        trusting.close();

        PartitionLog recovering = open(false);
        assertThat(recovering.logEndOffset()).isEqualTo(BATCHES - 1);
        recovering.close();
    }

    @Test
    void cleanShutdownMarkerDoesNotHideATornTail() throws Exception {
        List<String> written = writeAndClose();
        truncateFile(lastSegment(), Files.size(lastSegment()) - 3);

        assertRecoveredTo(open(true), written.subList(0, BATCHES - 1));
    }

    @Test
    void crashWithoutCloseKeepsEverythingTheOsHasAndRecoversFromTheRecoveryPoint() {
        PartitionLog crashed = open(true);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < BATCHES; i++) {
            crashed.appendAsLeader(batch(1_000L + i, "v" + i), 0);
            written.add("v" + i);
        }
        assertThat(crashed.recoveryPointOffset()).isEqualTo(8); // set by the last roll
        // No close: unflushed index entries and the producer snapshot are lost, data is in the page cache.

        assertRecoveredTo(open(false), written);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deleted", "partial entry", "pointing past the end", "not increasing", "emptied"})
    void damagedIndexesAreRebuiltToTheSameBytes(String damage) throws Exception {
        List<String> written = writeAndClose();
        Map<Path, byte[]> original = indexFiles();
        for (long base : List.of(0L, 8L)) {
            damage(LogFiles.indexFile(dir(), base), damage);
            damage(LogFiles.timeIndexFile(dir(), base), damage);
        }

        PartitionLog log = open(true);
        assertThat(values(readAll(log))).containsExactlyElementsOf(written);
        assertThat(log.offsetForTimestamp(1_005)).get().extracting(t -> t.offset).isEqualTo(5L);
        log.close();

        Map<Path, byte[]> rebuilt = indexFiles();
        assertThat(rebuilt.keySet()).isEqualTo(original.keySet());
        for (Path p : original.keySet()) assertThat(rebuilt.get(p)).as(p.toString()).isEqualTo(original.get(p));
        assertRecoveredTo(open(false), written);
    }

    private void damage(Path index, String how) throws Exception {
        byte[] bytes = Files.readAllBytes(index);
        assertThat(bytes.length).isGreaterThan(0);
        switch (how) {
            case "deleted" -> Files.delete(index);
            case "partial entry" -> Files.write(index, java.util.Arrays.copyOf(bytes, bytes.length - 1));
            case "pointing past the end" -> {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                if (index.toString().endsWith(LogFiles.INDEX_SUFFIX)) b.putInt(bytes.length - 4, 1 << 30);
                else b.putInt(bytes.length - 4, 1 << 30); // relative offset far beyond the segment
                Files.write(index, bytes);
            }
            case "not increasing" -> {
                byte[] doubled = new byte[bytes.length * 2];
                System.arraycopy(bytes, 0, doubled, 0, bytes.length);
                System.arraycopy(bytes, 0, doubled, bytes.length, bytes.length);
                Files.write(index, doubled);
            }
            case "emptied" -> Files.write(index, new byte[0]);
            default -> throw new IllegalArgumentException(how);
        }
    }

    private Map<Path, byte[]> indexFiles() throws Exception {
        Map<Path, byte[]> files = new HashMap<>();
        try (var list = Files.list(dir())) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(LogFiles.INDEX_SUFFIX) || name.endsWith(LogFiles.TIME_INDEX_SUFFIX)) files.put(p, Files.readAllBytes(p));
            }
        }
        return files;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new Random(42).nextBytes(bytes);
        return bytes;
    }
}
