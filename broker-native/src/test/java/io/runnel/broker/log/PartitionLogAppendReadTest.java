package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.batchSize;
import static io.runnel.broker.log.LogTestSupport.bytesOf;
import static io.runnel.broker.log.LogTestSupport.readAll;
import static io.runnel.broker.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.internals.Crc32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import io.runnel.broker.ManualTime;

class PartitionLogAppendReadTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    PartitionLog open(LogConfig config) {
        return PartitionLog.open(tmp.resolve("topic-0"), config, true, time);
    }

    static Stream<Arguments> compressions() {
        return Stream.of(Arguments.of("none", Compression.NONE), Arguments.of("gzip", Compression.gzip().build()),
                Arguments.of("lz4", Compression.lz4().build()), Arguments.of("zstd", Compression.zstd().build()),
                Arguments.of("snappy", Compression.snappy().build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("compressions")
    void appendThenReadRoundTripsAcrossSeveralSegmentRolls(String name, Compression compression) {
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(1024).withIndexIntervalBytes(100));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String[] values = {"v" + i + "-a", "v" + i + "-b", "v" + i + "-c"};
            LogAppendInfo info = log.appendAsLeader(batch(compression, 1_000L + i, values), 0);
            assertThat(info.firstOffset()).isEqualTo(3L * i);
            assertThat(info.lastOffset()).isEqualTo(3L * i + 2);
            assertThat(info.recordCount()).isEqualTo(3);
            assertThat(info.duplicate()).isFalse();
            expected.addAll(List.of(values));
        }
        assertThat(log.numberOfSegments()).isGreaterThan(3);
        assertThat(log.logEndOffset()).isEqualTo(180);
        List<LogTestSupport.Stored> stored = readAll(log);
        assertThat(values(stored)).isEqualTo(expected);
        assertThat(stored).extracting(LogTestSupport.Stored::offset).containsExactlyElementsOf(LongRange.of(0, 180));

        log.close();
        PartitionLog reopened = open(LogConfig.defaults().withSegmentBytes(1024).withIndexIntervalBytes(100));
        assertThat(values(readAll(reopened))).isEqualTo(expected);
        assertThat(reopened.appendAsLeader(batch(compression, 5_000L, "after"), 0).firstOffset()).isEqualTo(180);
        reopened.close();
    }

    @Test
    void offsetsAndLeaderEpochArePatchedInPlaceWithTheCrcStillValidAndOtherBytesIdentical() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(1_000L, "first", "second"), 0);
        MemoryRecords sent = batch(2_000L, "x", "y", "z");
        byte[] before = bytesOf(sent);

        log.appendAsLeader(sent, 7);

        MemoryRecords read = log.read(2, 1 << 20, Long.MAX_VALUE, false).records();
        MutableRecordBatch stored = read.batches().iterator().next();
        stored.ensureValid();
        assertThat(stored.baseOffset()).isEqualTo(2);
        assertThat(stored.lastOffset()).isEqualTo(4);
        assertThat(stored.partitionLeaderEpoch()).isEqualTo(7);
        byte[] after = bytesOf(read);
        assertThat(after).hasSize(before.length);
        // Only the base offset (bytes 0-7) and the partition leader epoch (12-15) may differ.
        for (int i = 0; i < before.length; i++) {
            if (i < 8 || (i >= 12 && i < 16)) continue;
            assertThat(after[i]).as("byte %d", i).isEqualTo(before[i]);
        }
        log.close();
    }

    @Test
    void logAppendTimeTopicStampsTheBatchAndRecomputesTheCrc() {
        PartitionLog log = open(LogConfig.defaults().withMessageTimestampType(TimestampType.LOG_APPEND_TIME));
        LogAppendInfo info = log.appendAsLeader(batch(Compression.gzip().build(), 5L, "a", "b"), 0);

        assertThat(info.logAppendTimeMs()).isEqualTo(time.milliseconds());
        assertThat(info.maxTimestamp()).isEqualTo(time.milliseconds());
        RecordBatch stored = log.read(0, 1 << 20, Long.MAX_VALUE, false).records().batches().iterator().next();
        stored.ensureValid();
        assertThat(stored.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(readAll(log)).extracting(LogTestSupport.Stored::timestamp).containsOnly(time.milliseconds());
        log.close();
    }

    @Test
    void createTimeTopicReportsNoLogAppendTime() {
        PartitionLog log = open(LogConfig.defaults());
        LogAppendInfo info = log.appendAsLeader(batch(1_234L, "a"), 0);
        assertThat(info.logAppendTimeMs()).isEqualTo(RecordBatch.NO_TIMESTAMP);
        assertThat(info.maxTimestamp()).isEqualTo(1_234L);
        assertThat(info.logStartOffset()).isZero();
        assertThat(info.validBytes()).isEqualTo(batchSize("a"));
        log.close();
    }

    @Test
    void readFromTheMiddleOfABatchReturnsTheWholeBatch() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(1L, "a", "b", "c"), 0);
        log.appendAsLeader(batch(1L, "d", "e", "f"), 0);

        FetchDataInfo info = log.read(4, 1 << 20, Long.MAX_VALUE, false);

        RecordBatch first = info.records().batches().iterator().next();
        assertThat(first.baseOffset()).isEqualTo(3);
        assertThat(values(info.records())).containsExactly("d", "e", "f");
        log.close();
    }

    @Test
    void readStopsAtMaxBytesOnWholeBatches() {
        PartitionLog log = open(LogConfig.defaults());
        for (int i = 0; i < 5; i++) log.appendAsLeader(batch(1L, "v" + i), 0);
        int size = batchSize("v0");

        assertThat(values(log.read(0, 2 * size, Long.MAX_VALUE, false).records())).containsExactly("v0", "v1");
        assertThat(values(log.read(0, 2 * size - 1, Long.MAX_VALUE, false).records())).containsExactly("v0");
        assertThat(values(log.read(0, 2 * size + 1, Long.MAX_VALUE, true).records())).containsExactly("v0", "v1");
        log.close();
    }

    @Test
    void firstBatchLargerThanMaxBytesIsReturnedAloneOnlyWithMinOneMessage() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(1L, "a-large-value", "another"), 0);
        log.appendAsLeader(batch(1L, "b"), 0);

        assertThat(log.read(0, 10, Long.MAX_VALUE, false).records().sizeInBytes()).isZero();
        assertThat(values(log.read(0, 10, Long.MAX_VALUE, true).records())).containsExactly("a-large-value", "another");
        assertThat(values(log.read(0, 0, Long.MAX_VALUE, true).records())).containsExactly("a-large-value", "another");
        log.close();
    }

    @Test
    void readNeverIncludesABatchStartingAtOrAfterMaxOffset() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(1L, "a", "b"), 0);
        log.appendAsLeader(batch(1L, "c", "d"), 0);
        log.appendAsLeader(batch(1L, "e"), 0);

        assertThat(values(log.read(0, 1 << 20, 2, true).records())).containsExactly("a", "b");
        assertThat(values(log.read(0, 1 << 20, 3, true).records())).containsExactly("a", "b", "c", "d");
        assertThat(log.read(2, 1 << 20, 2, true).records().sizeInBytes()).isZero();
        log.close();
    }

    /**
     * Reads skip the headers of batches the offset index vouches for: with an entry for every batch,
     * every read (any start, size bound, offset bound, minOneMessage) must return exactly the bytes
     * of a log with no index entries at all, where every header is read.
     */
    @Test
    void readsOverADenseIndexReturnTheSameBatchesAsReadsThatScanEveryHeader() {
        LogConfig small = LogConfig.defaults().withSegmentBytes(4000);
        PartitionLog dense = PartitionLog.open(tmp.resolve("dense-0"), small.withIndexIntervalBytes(0), true, time);
        PartitionLog scanned = PartitionLog.open(tmp.resolve("scanned-0"), small.withIndexIntervalBytes(Integer.MAX_VALUE), true, time);
        java.util.Random random = new java.util.Random(42);
        for (int b = 0; b < 60; b++) {
            String[] values = new String[1 + random.nextInt(4)];
            for (int i = 0; i < values.length; i++) values[i] = "b" + b + "-" + "x".repeat(random.nextInt(150));
            dense.appendAsLeader(batch(1L, values), 0);
            scanned.appendAsLeader(batch(1L, values), 0);
        }
        assertThat(dense.numberOfSegments()).isGreaterThan(2);
        long end = dense.logEndOffset();
        int[] maxBytes = {0, 1, 100, 250, 600, 1500, 3999, 4000, 9000, 1 << 20};
        int reads = 0;
        for (long start = 0; start <= end; start++) {
            long[] maxOffsets = {start, start + 1, start + 3, start + 10, end - 1, end, Long.MAX_VALUE};
            for (int bytes : maxBytes) {
                for (long maxOffset : maxOffsets) {
                    for (boolean minOne : new boolean[] {false, true}) {
                        var expected = scanned.read(start, bytes, maxOffset, minOne).records();
                        var actual = dense.read(start, bytes, maxOffset, minOne).records();
                        assertThat(actual.sizeInBytes()).as("start %d, maxBytes %d, maxOffset %d, minOne %s", start, bytes, maxOffset, minOne)
                                .isEqualTo(expected.sizeInBytes());
                        assertThat(values(actual)).isEqualTo(values(expected));
                        reads++;
                    }
                }
            }
        }
        assertThat(reads).isGreaterThan(1000);
        dense.close();
        scanned.close();
    }

    @Test
    void readSpansSegments() {
        int size = batchSize("v0");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(2 * size));
        for (int i = 0; i < 6; i++) log.appendAsLeader(batch(1L, "v" + i), 0);
        assertThat(log.numberOfSegments()).isEqualTo(3);

        assertThat(values(log.read(1, 1 << 20, Long.MAX_VALUE, false).records())).containsExactly("v1", "v2", "v3", "v4", "v5");
        assertThat(values(log.read(1, 3 * size, Long.MAX_VALUE, false).records())).containsExactly("v1", "v2", "v3");
        log.close();
    }

    @Test
    void readAtTheLogEndIsEmptyAndOutsideTheLogIsOffsetOutOfRange() {
        PartitionLog log = open(LogConfig.defaults());
        assertThat(log.read(0, 100, Long.MAX_VALUE, true).records().sizeInBytes()).isZero();
        log.appendAsLeader(batch(1L, "a", "b"), 0);

        assertThat(log.read(2, 100, Long.MAX_VALUE, true).records().sizeInBytes()).isZero();
        assertThatThrownBy(() -> log.read(3, 100, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThatThrownBy(() -> log.read(-1, 100, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        log.truncateFullyAndStartAt(10);
        assertThatThrownBy(() -> log.read(9, 100, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        log.close();
    }

    // ---- validation: each rejection writes nothing ------------------------------------------

    @Test
    void legacyMagicIsRejected() {
        PartitionLog log = open(LogConfig.defaults());
        MemoryRecords v1 = MemoryRecords.withRecords(RecordBatch.MAGIC_VALUE_V1, Compression.NONE, new SimpleRecord(1L, "a".getBytes()));
        assertThatThrownBy(() -> log.appendAsLeader(v1, 0)).isInstanceOf(InvalidRecordException.class);
        assertNothingWritten(log);
    }

    @Test
    void batchWithBadCrcIsRejectedAndAnEarlierGoodBatchInTheSameCallIsNotWritten() {
        PartitionLog log = open(LogConfig.defaults());
        MemoryRecords good = batch(1L, "good");
        MemoryRecords bad = batch(1L, "bad");
        bad.buffer().put(bad.sizeInBytes() - 1, (byte) 'X');

        assertThatThrownBy(() -> log.appendAsLeader(concat(good, bad), 0)).isInstanceOf(CorruptRecordException.class);
        assertNothingWritten(log);
    }

    @Test
    void batchAboveMaxMessageBytesIsRejected() {
        PartitionLog log = open(LogConfig.defaults().withMaxMessageBytes(batchSize("v") - 1));
        assertThatThrownBy(() -> log.appendAsLeader(batch(1L, "v"), 0)).isInstanceOf(RecordTooLargeException.class);
        assertNothingWritten(log);
    }

    @Test
    void appendLargerThanASegmentIsRejected() {
        int size = batchSize("v");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(size + size / 2));
        assertThatThrownBy(() -> log.appendAsLeader(concat(batch(1L, "v"), batch(1L, "w")), 0))
                .isInstanceOf(RecordBatchTooLargeException.class);
        assertNothingWritten(log);
    }

    @Test
    void offsetDeltaInconsistentWithRecordCountIsRejected() {
        PartitionLog log = open(LogConfig.defaults());
        MemoryRecords records = batch(1L, "a", "b");
        MutableRecordBatch b = records.batches().iterator().next();
        b.setLastOffset(5); // base offset 4, delta still 1: consistent
        assertThat(b.lastOffset() - b.baseOffset() + 1).isEqualTo(2);
        // The count field says 3 while the delta says 2; the CRC is recomputed so only this check catches it.
        records.buffer().putInt(DefaultRecordBatch.RECORDS_COUNT_OFFSET, 3);
        fixCrc(records);
        assertThatThrownBy(() -> log.appendAsLeader(records, 0)).isInstanceOf(InvalidRecordException.class);
        assertNothingWritten(log);
    }

    @Test
    void trailingPartialBatchIsRejected() {
        PartitionLog log = open(LogConfig.defaults());
        MemoryRecords whole = concat(batch(1L, "a"), batch(1L, "b"));
        MemoryRecords cut = MemoryRecords.readableRecords(ByteBuffer.wrap(Arrays.copyOf(bytesOf(whole), whole.sizeInBytes() - 5)));
        assertThatThrownBy(() -> log.appendAsLeader(cut, 0)).isInstanceOf(CorruptRecordException.class);
        assertNothingWritten(log);
    }

    @Test
    void emptyAppendAndControlBatchesFromClientsAreRejected() {
        PartitionLog log = open(LogConfig.defaults());
        assertThatThrownBy(() -> log.appendAsLeader(MemoryRecords.EMPTY, 0)).isInstanceOf(InvalidRecordException.class);
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(1L, (short) 0, new EndTransactionMarker(ControlRecordType.COMMIT, 0));
        assertThatThrownBy(() -> log.appendAsLeader(marker, 0)).isInstanceOf(InvalidRecordException.class);
        assertNothingWritten(log);
    }

    private void assertNothingWritten(PartitionLog log) {
        assertThat(log.logEndOffset()).isZero();
        assertThat(log.sizeInBytes()).isZero();
        assertThat(log.leaderEpochEntries()).isEmpty();
        log.close();
        assertThat(open(LogConfig.defaults()).logEndOffset()).isZero();
    }

    static MemoryRecords concat(MemoryRecords... parts) {
        int size = Stream.of(parts).mapToInt(MemoryRecords::sizeInBytes).sum();
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (MemoryRecords p : parts) buffer.put(p.buffer().duplicate());
        buffer.flip();
        return MemoryRecords.readableRecords(buffer);
    }

    private static void fixCrc(MemoryRecords records) {
        ByteBuffer b = records.buffer();
        int crcCoveredFrom = DefaultRecordBatch.CRC_OFFSET + 4;
        long crc = Crc32C.compute(b, crcCoveredFrom, b.remaining() - crcCoveredFrom);
        records.buffer().putInt(DefaultRecordBatch.CRC_OFFSET, (int) crc);
        records.batches().iterator().next().ensureValid();
    }

    /** Offsets [from, to) as a list, for containsExactly. */
    static final class LongRange {
        static List<Long> of(long from, long to) {
            return IntStream.range(0, (int) (to - from)).mapToObj(i -> from + i).toList();
        }
    }

    @Test
    void segmentFilesUseKafkaNames() throws Exception {
        int size = batchSize("v0");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(size));
        for (int i = 0; i < 3; i++) log.appendAsLeader(batch(1L, "v" + i), 0);
        log.close();
        try (Stream<Path> files = Files.list(tmp.resolve("topic-0"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).contains(
                    "00000000000000000000.log", "00000000000000000000.index", "00000000000000000000.timeindex",
                    "00000000000000000002.log", "00000000000000000002.snapshot", "00000000000000000003.snapshot",
                    "leader-epoch-checkpoint", "recovery-point");
        }
    }
}
