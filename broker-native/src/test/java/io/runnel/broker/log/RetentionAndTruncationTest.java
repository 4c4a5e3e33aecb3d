package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.batchSize;
import static io.runnel.broker.log.LogTestSupport.readAll;
import static io.runnel.broker.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.runnel.broker.ManualTime;

class RetentionAndTruncationTest {
    static final long DAY_MS = 24 * 60 * 60 * 1000L;

    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(100 * DAY_MS);
    final int batchBytes = batchSize("v0");

    PartitionLog open(LogConfig config) {
        return PartitionLog.open(tmp.resolve("topic-0"), config, true, time);
    }

    /** Two single-record batches per segment; batch i has timestamp {@code firstTimestamp + i}. */
    PartitionLog logOf(int batches, long firstTimestamp, LogConfig config) {
        PartitionLog log = open(config.withSegmentBytes(2 * batchBytes));
        for (int i = 0; i < batches; i++) log.appendAsLeader(batch(firstTimestamp + i, "v" + i), i / 4);
        return log;
    }

    // ---- DeleteRecords -----------------------------------------------------------------------

    @Test
    void deleteRecordsInsideASegmentHidesOlderRecordsAndKeepsTheStartAcrossACrash() {
        PartitionLog log = logOf(6, time.milliseconds(), LogConfig.defaults()); // segments [0,1] [2,3] [4,5]

        assertThat(log.deleteRecordsBefore(3)).isEqualTo(3);

        assertThat(log.logStartOffset()).isEqualTo(3);
        assertThat(log.segmentBaseOffsets()).as("only wholly deleted segments go").containsExactly(2L, 4L);
        assertThatThrownBy(() -> log.read(2, 1000, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.deleteRecordsBefore(1)).as("never backwards").isEqualTo(3);
        // no close(): a crash

        PartitionLog reopened = PartitionLog.open(tmp.resolve("topic-0"), LogConfig.defaults(), false, time);
        assertThat(reopened.logStartOffset()).isEqualTo(3);
        assertThat(reopened.logEndOffset()).isEqualTo(6);
        reopened.close();
    }

    @Test
    void deleteRecordsAtTheLogEndEmptiesTheLogAndRefusesBeyondIt() {
        PartitionLog log = logOf(5, time.milliseconds(), LogConfig.defaults());

        assertThatThrownBy(() -> log.deleteRecordsBefore(6)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.deleteRecordsBefore(5)).isEqualTo(5);

        assertThat(log.logStartOffset()).isEqualTo(5);
        assertThat(log.segmentBaseOffsets()).containsExactly(5L);
        assertThat(log.appendAsLeader(batch(time.milliseconds(), "next"), 1).firstOffset()).isEqualTo(5);
        log.close();
    }

    @Test
    void anUnreadableLogStartCheckpointKeepsMoreNotLess() throws Exception {
        PartitionLog log = logOf(6, time.milliseconds(), LogConfig.defaults());
        log.deleteRecordsBefore(3);
        log.close();
        Files.writeString(tmp.resolve("topic-0").resolve(LogFiles.LOG_START_OFFSET), "garbage");

        PartitionLog reopened = open(LogConfig.defaults());
        assertThat(reopened.logStartOffset()).as("falls back to the first segment's base").isEqualTo(2);
        reopened.close();
    }

    // ---- retention ---------------------------------------------------------------------------

    @Test
    void timeRetentionDeletesSegmentsWhoseNewestRecordIsTooOldAndMovesTheLogStart() {
        long now = time.milliseconds();
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(2 * batchBytes).withRetentionMs(DAY_MS));
        log.appendAsLeader(batch(now - 3 * DAY_MS, "o0"), 0);
        log.appendAsLeader(batch(now - 3 * DAY_MS, "o1"), 0);
        log.appendAsLeader(batch(now - 2 * DAY_MS, "o2"), 0);
        log.appendAsLeader(batch(now - DAY_MS + 1, "f3"), 0); // segment [2,3]: its newest record is young enough
        log.appendAsLeader(batch(now, "n4"), 0);

        assertThat(log.deleteSegmentsPerRetention(now)).isEqualTo(1);

        assertThat(log.logStartOffset()).isEqualTo(2);
        assertThat(log.segmentBaseOffsets()).containsExactly(2L, 4L);
        assertThat(Files.exists(LogFiles.logFile(log.dir(), 0))).isFalse();
        assertThat(values(readAll(log))).containsExactly("o2", "f3", "n4");
        assertThatThrownBy(() -> log.read(1, 100, Long.MAX_VALUE, true)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.deleteSegmentsPerRetention(now)).isZero();
        log.close();

        PartitionLog reopened = open(LogConfig.defaults().withRetentionMs(DAY_MS));
        assertThat(reopened.logStartOffset()).isEqualTo(2);
        reopened.close();
    }

    @Test
    void expiredActiveSegmentIsRolledThenDeletedLeavingAnEmptyLogAtTheSameEnd() {
        PartitionLog log = logOf(5, 0L, LogConfig.defaults().withRetentionMs(DAY_MS));

        assertThat(log.deleteSegmentsPerRetention(time.milliseconds())).isEqualTo(3);

        assertThat(log.logStartOffset()).isEqualTo(5);
        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(log.segmentBaseOffsets()).containsExactly(5L);
        assertThat(log.read(5, 100, Long.MAX_VALUE, true).records().sizeInBytes()).isZero();
        assertThat(log.appendAsLeader(batch(time.milliseconds(), "next"), 1).firstOffset()).isEqualTo(5);
        assertThat(log.deleteSegmentsPerRetention(time.milliseconds())).as("nothing expired now").isZero();
        log.close();
    }

    @Test
    void emptyLogHasNothingToDelete() {
        PartitionLog log = open(LogConfig.defaults().withRetentionMs(0).withRetentionBytes(0));
        assertThat(log.deleteSegmentsPerRetention(time.milliseconds() + DAY_MS)).isZero();
        assertThat(log.segmentBaseOffsets()).containsExactly(0L);
        log.close();
    }

    @Test
    void infiniteRetentionKeepsEverything() {
        PartitionLog log = logOf(6, 0L, LogConfig.defaults().withRetentionMs(-1).withRetentionBytes(-1));
        assertThat(log.deleteSegmentsPerRetention(time.milliseconds())).isZero();
        assertThat(log.logStartOffset()).isZero();
        log.close();
    }

    @ParameterizedTest(name = "retentionBytes = {0} batches {1} bytes")
    @CsvSource({
            "4, 0, 1",   // 6 batches in 3 segments, limit 4: dropping the oldest segment leaves exactly 4
            "4, 1, 0",   // one byte more: dropping it would go below the limit
            "2, 0, 2",
            "2, -1, 2",
            "6, 0, 0",   // exactly at the limit
            "0, 0, 3"})  // everything, the active segment included (rolled first)
    void sizeRetentionDeletesTheOldestSegmentsWhileTheRestStaysAtOrAboveTheLimit(int limitBatches, int deltaBytes, int expectedDeleted) {
        PartitionLog log = logOf(6, time.milliseconds(), LogConfig.defaults().withRetentionBytes((long) limitBatches * batchBytes + deltaBytes));

        assertThat(log.deleteSegmentsPerRetention(time.milliseconds())).isEqualTo(expectedDeleted);

        assertThat(log.logStartOffset()).isEqualTo(2L * expectedDeleted);
        assertThat(log.sizeInBytes()).isEqualTo((6L - 2L * expectedDeleted) * batchBytes);
        log.close();
    }

    @Test
    void retentionMovesTheLeaderEpochCacheStart() {
        PartitionLog log = logOf(12, time.milliseconds(), LogConfig.defaults().withRetentionBytes(6L * batchBytes)); // epochs 0,1,2 at 0,4,8
        log.deleteSegmentsPerRetention(time.milliseconds());
        assertThat(log.logStartOffset()).isEqualTo(6);
        assertThat(log.leaderEpochEntries()).containsExactly(new LeaderEpochCache.EpochEntry(1, 6), new LeaderEpochCache.EpochEntry(2, 8));
        log.close();
    }

    // ---- truncation --------------------------------------------------------------------------

    @ParameterizedTest(name = "truncateTo({0})")
    @CsvSource({
            "0, 0",   // everything
            "3, 3",   // mid-segment batch boundary
            "4, 4",   // exactly a segment's base offset: that segment stays, empty
            "9, 9",
            "10, 10", // the log end: no-op
            "25, 10"})
    void truncateToDropsEverythingFromTheOffsetAndAppendsContinueThere(long offset, long expectedEnd) {
        PartitionLog log = logOf(10, 1_000L, LogConfig.defaults());

        log.truncateTo(offset);

        assertThat(log.logEndOffset()).isEqualTo(expectedEnd);
        assertThat(values(readAll(log))).containsExactlyElementsOf(firstValues((int) expectedEnd));
        assertThat(log.segmentBaseOffsets()).allMatch(base -> base <= Math.max(0, expectedEnd));
        assertThat(log.recoveryPointOffset()).isLessThanOrEqualTo(expectedEnd);
        assertThat(log.appendAsLeader(batch(5_000L, "again"), 9).firstOffset()).isEqualTo(expectedEnd);
        assertThat(log.offsetOfMaxTimestamp()).get().extracting(t -> t.offset).isEqualTo(expectedEnd);
        log.close();

        PartitionLog reopened = open(LogConfig.defaults().withSegmentBytes(2 * batchBytes));
        assertThat(reopened.logEndOffset()).isEqualTo(expectedEnd + 1);
        reopened.close();
    }

    @Test
    void truncateToInsideABatchDropsTheWholeBatch() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(1L, "a", "b"), 0);
        log.appendAsLeader(batch(1L, "c", "d", "e"), 0);

        log.truncateTo(3);

        assertThat(log.logEndOffset()).isEqualTo(2);
        assertThat(values(readAll(log))).containsExactly("a", "b");
        log.close();
    }

    @Test
    void truncationRestoresTheMaxTimestampOfTheTruncatedSegment() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsLeader(batch(100L, "a"), 0);
        log.appendAsLeader(batch(900L, "b"), 0);
        log.truncateTo(1);
        assertThat(log.offsetOfMaxTimestamp()).get().extracting(t -> t.timestamp).isEqualTo(100L);
        assertThat(log.offsetForTimestamp(101)).isEmpty();
        log.close();
    }

    @Test
    void truncationDropsLaterLeaderEpochs() {
        PartitionLog log = logOf(12, 0L, LogConfig.defaults()); // epochs 0,1,2 start at 0,4,8
        log.truncateTo(5);
        assertThat(log.leaderEpochEntries()).containsExactly(new LeaderEpochCache.EpochEntry(0, 0), new LeaderEpochCache.EpochEntry(1, 4));
        log.truncateTo(4);
        assertThat(log.leaderEpochEntries()).containsExactly(new LeaderEpochCache.EpochEntry(0, 0));
        log.close();
    }

    @Test
    void truncateFullyAndStartAtRestartsAnEmptyLogAtTheOffset() {
        PartitionLog log = logOf(6, 0L, LogConfig.defaults());

        log.truncateFullyAndStartAt(1_000);

        assertThat(log.logStartOffset()).isEqualTo(1_000);
        assertThat(log.logEndOffset()).isEqualTo(1_000);
        assertThat(log.segmentBaseOffsets()).containsExactly(1_000L);
        assertThat(log.leaderEpochEntries()).isEmpty();
        assertThat(log.producerState().snapshotOffsets()).isEmpty();
        assertThat(log.appendAsLeader(batch(1L, "x"), 4).firstOffset()).isEqualTo(1_000);
        log.close();

        PartitionLog reopened = open(LogConfig.defaults());
        assertThat(reopened.logStartOffset()).isEqualTo(1_000);
        assertThat(values(readAll(reopened))).containsExactly("x");
        assertThat(reopened.leaderEpochEntries()).containsExactly(new LeaderEpochCache.EpochEntry(4, 1_000));
        reopened.close();
    }

    @Test
    void truncateBelowTheLogStartStartsOverThere() {
        PartitionLog log = logOf(6, time.milliseconds(), LogConfig.defaults().withRetentionBytes(2L * batchBytes));
        log.deleteSegmentsPerRetention(time.milliseconds());
        assertThat(log.logStartOffset()).isEqualTo(4);

        log.truncateTo(2);

        assertThat(log.logStartOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(2);
        log.close();
    }

    private static List<String> firstValues(int n) {
        return java.util.stream.IntStream.range(0, n).mapToObj(i -> "v" + i).toList();
    }
}
