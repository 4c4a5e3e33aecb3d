package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.batchSize;
import static io.runnel.broker.log.LogTestSupport.readAll;
import static io.runnel.broker.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.runnel.broker.ManualTime;

class SegmentRollTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    PartitionLog open(LogConfig config) {
        return PartitionLog.open(tmp.resolve("topic-0"), config, true, time);
    }

    @ParameterizedTest(name = "segmentBytes = 3 batches {0} bytes")
    @CsvSource({
            "-1, 2",  // the third batch would overflow: rolls after two
            "0, 3",   // exactly at the max size: three fit, no roll until the fourth
            "1, 3"})
    void rollsBySizeOnlyWhenTheNextBatchWouldExceedSegmentBytes(int delta, int batchesInFirstSegment) {
        int size = batchSize("v0");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(3 * size + delta));
        for (int i = 0; i < 7; i++) log.appendAsLeader(batch(1L, "v" + i), 0);

        assertThat(log.segmentBaseOffsets().get(1)).isEqualTo(batchesInFirstSegment);
        assertThat(values(readAll(log))).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6");
        log.close();
    }

    @Test
    void batchLargerThanSegmentBytesStillGetsASegmentOfItsOwn() {
        int size = batchSize("v0");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(size).withMaxMessageBytes(1 << 20));
        log.appendAsLeader(batch(1L, "v0"), 0);
        log.appendAsLeader(batch(1L, "v1"), 0);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L);
        log.close();
    }

    @Test
    void rollsByTimeWhenAppendedTimestampsSpanMoreThanSegmentMs() {
        PartitionLog log = open(LogConfig.defaults().withSegmentMs(1_000));
        log.appendAsLeader(batch(10_000L, "a"), 0);
        log.appendAsLeader(batch(11_000L, "b"), 0); // exactly segmentMs later: no roll
        assertThat(log.numberOfSegments()).isEqualTo(1);

        log.appendAsLeader(batch(11_001L, "c"), 0);

        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
        log.close();
    }

    @Test
    void maybeRollRollsAnAgedSegmentByTheClockButNeverAnEmptyOne() {
        PartitionLog log = open(LogConfig.defaults().withSegmentMs(1_000));
        log.maybeRoll(time.milliseconds() + 10_000);
        assertThat(log.numberOfSegments()).isEqualTo(1);

        long now = time.milliseconds();
        log.appendAsLeader(batch(now, "a"), 0);
        log.maybeRoll(now + 1_000);
        assertThat(log.numberOfSegments()).isEqualTo(1);
        log.maybeRoll(now + 1_001);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L);
        assertThat(log.appendAsLeader(batch(now, "b"), 0).firstOffset()).isEqualTo(1);
        log.close();
    }

    @Test
    void segmentWithoutTimestampsAgesFromItsCreation() {
        PartitionLog log = open(LogConfig.defaults().withSegmentMs(1_000));
        log.appendAsLeader(batch(RecordBatch.NO_TIMESTAMP, "a"), 0);
        time.advance(1_001);
        log.appendAsLeader(batch(RecordBatch.NO_TIMESTAMP, "b"), 0);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L);
        log.close();
    }

    /**
     * With indexIntervalBytes = 0 every batch after a segment's first gets an index entry, so a
     * segment holds maxEntries + 1 batches before its offset index is full and it rolls.
     */
    @ParameterizedTest(name = "segmentIndexBytes = {0}")
    @CsvSource({"8, 2", "16, 3", "24, 4", "4, 2"})
    void rollsWhenTheOffsetIndexIsFull(int segmentIndexBytes, int batchesPerSegment) {
        PartitionLog log = open(LogConfig.defaults().withIndexIntervalBytes(0).withSegmentIndexBytes(segmentIndexBytes));
        // No timestamps, so only the offset index fills up.
        for (int i = 0; i < 3 * batchesPerSegment; i++) log.appendAsLeader(batch(RecordBatch.NO_TIMESTAMP, "v" + i), 0);

        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 3; i++) expected.add((long) i * batchesPerSegment);
        assertThat(log.segmentBaseOffsets()).containsExactlyElementsOf(expected);
        assertThat(readAll(log)).hasSize(3 * batchesPerSegment);
        log.close();
    }

    @Test
    void rollsWhenTheTimeIndexIsFull() {
        // 24 bytes: three offset-index entries but only two time-index entries.
        PartitionLog log = open(LogConfig.defaults().withIndexIntervalBytes(0).withSegmentIndexBytes(24));
        for (int i = 0; i < 6; i++) log.appendAsLeader(batch(1_000L + i, "v" + i), 0);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 3L);
        log.close();
    }

    @Test
    void rollFsyncsTheFinishedSegmentAndAdvancesTheRecoveryPoint() throws Exception {
        int size = batchSize("v0");
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(2 * size));
        log.appendAsLeader(batch(1L, "v0"), 0);
        log.appendAsLeader(batch(1L, "v1"), 0);
        assertThat(log.recoveryPointOffset()).isZero();

        log.appendAsLeader(batch(1L, "v2"), 0);

        assertThat(log.recoveryPointOffset()).isEqualTo(2);
        assertThat(log.producerState().snapshotOffsets()).containsExactly(2L);
        assertThat(java.nio.file.Files.readString(log.dir().resolve("recovery-point"))).isEqualTo("2\n");
        log.close();
    }

    @Test
    void flushPolicyByMessageCountFsyncsAndAdvancesTheRecoveryPoint() {
        PartitionLog log = open(LogConfig.defaults().withFlushIntervalMessages(3));
        log.appendAsLeader(batch(1L, "a", "b"), 0);
        log.maybeFlush(time.milliseconds());
        assertThat(log.recoveryPointOffset()).isZero();
        log.appendAsLeader(batch(1L, "c"), 0);
        assertThat(log.recoveryPointOffset()).as("appends never flush by themselves").isZero();
        log.maybeFlush(time.milliseconds());
        assertThat(log.recoveryPointOffset()).isEqualTo(3);
        log.close();
    }

    @Test
    void flushPolicyByTimeFlushesFromTheFlushCheck() {
        PartitionLog log = open(LogConfig.defaults().withFlushIntervalMs(1_000));
        log.appendAsLeader(batch(1L, "a"), 0);
        assertThat(log.recoveryPointOffset()).isZero();
        log.maybeFlush(time.milliseconds() + 999);
        assertThat(log.recoveryPointOffset()).isZero();
        log.maybeFlush(time.milliseconds() + 1_000);
        assertThat(log.recoveryPointOffset()).isEqualTo(1);

        time.advance(1_000);
        log.appendAsLeader(batch(1L, "b"), 0);
        log.maybeFlush(time.milliseconds());
        assertThat(log.recoveryPointOffset()).isEqualTo(2);
        log.close();
    }
}
