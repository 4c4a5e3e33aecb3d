package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.idempotent;
import static io.runnel.broker.log.LogTestSupport.readAll;
import static io.runnel.broker.log.LogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.runnel.broker.ManualTime;

class ProducerStateTest {
    static final long PID = 4242L;
    static final short EPOCH = 3;

    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final LogConfig config = LogConfig.defaults().withSegmentBytes(400);

    PartitionLog open(boolean clean) {
        return PartitionLog.open(tmp.resolve("topic-0"), config, clean, time);
    }

    /** Three records per batch: sequences 0-2, 3-5, 6-8, ... */
    static MemoryRecords seq(int firstSeq) {
        return idempotent(PID, EPOCH, firstSeq, "s" + firstSeq, "s" + (firstSeq + 1), "s" + (firstSeq + 2));
    }

    @Test
    void retriedBatchReturnsTheOriginalOffsetsAndWritesNothing() {
        PartitionLog log = open(true);
        log.appendAsLeader(batch(1L, "plain"), 0);
        LogAppendInfo first = log.appendAsLeader(seq(0), 0);
        long sizeBefore = log.sizeInBytes();

        LogAppendInfo retry = log.appendAsLeader(seq(0), 0);

        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(first.firstOffset()).isEqualTo(1);
        assertThat(retry.lastOffset()).isEqualTo(first.lastOffset()).isEqualTo(3);
        assertThat(retry.recordCount()).isZero();
        assertThat(log.logEndOffset()).isEqualTo(4);
        assertThat(log.sizeInBytes()).isEqualTo(sizeBefore);
        log.close();
    }

    @Test
    void anyOfTheLastFiveBatchesIsRecognisedButNotTheSixthFromLast() {
        PartitionLog log = open(true);
        for (int i = 0; i < 6; i++) log.appendAsLeader(seq(3 * i), 0); // sequences 0..17, offsets 0..17

        for (int i = 1; i < 6; i++) {
            LogAppendInfo retry = log.appendAsLeader(seq(3 * i), 0);
            assertThat(retry.duplicate()).isTrue();
            assertThat(retry.firstOffset()).isEqualTo(3L * i);
        }
        assertThatThrownBy(() -> log.appendAsLeader(seq(0), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(log.logEndOffset()).isEqualTo(18);
        log.close();
    }

    @Test
    void sequenceGapIsRejectedAndWritesNothing() {
        PartitionLog log = open(true);
        log.appendAsLeader(seq(0), 0);
        assertThatThrownBy(() -> log.appendAsLeader(seq(4), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> log.appendAsLeader(seq(2), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(log.appendAsLeader(seq(3), 0).firstOffset()).isEqualTo(3);
        log.close();
    }

    @Test
    void unknownProducerMustStartAtSequenceZero() {
        PartitionLog log = open(true);
        assertThatThrownBy(() -> log.appendAsLeader(seq(3), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(log.logEndOffset()).isZero();
        log.close();
    }

    @Test
    void olderEpochIsFencedAndNewerEpochMustRestartAtZero() {
        PartitionLog log = open(true);
        log.appendAsLeader(seq(0), 0);
        assertThatThrownBy(() -> log.appendAsLeader(idempotent(PID, (short) (EPOCH - 1), 3, "x"), 0))
                .isInstanceOf(InvalidProducerEpochException.class);
        assertThatThrownBy(() -> log.appendAsLeader(idempotent(PID, (short) (EPOCH + 1), 3, "x"), 0))
                .isInstanceOf(OutOfOrderSequenceException.class);

        assertThat(log.appendAsLeader(idempotent(PID, (short) (EPOCH + 1), 0, "y"), 0).firstOffset()).isEqualTo(3);
        // The old epoch's batches are forgotten: its retry is now fenced, not a duplicate.
        assertThatThrownBy(() -> log.appendAsLeader(seq(0), 0)).isInstanceOf(InvalidProducerEpochException.class);
        log.close();
    }

    @Test
    void batchesWithoutProducerIdSkipTheChecks() {
        PartitionLog log = open(true);
        log.appendAsLeader(batch(1L, "a"), 0);
        log.appendAsLeader(batch(1L, "a"), 0);
        assertThat(log.logEndOffset()).isEqualTo(2);
        assertThat(log.producerState().producerCount()).isZero();
        log.close();
    }

    @Test
    void aRejectedBatchInAMultiBatchAppendLeavesProducerStateUntouched() {
        PartitionLog log = open(true);
        MemoryRecords good = seq(0);
        MemoryRecords gap = seq(9);
        assertThatThrownBy(() -> log.appendAsLeader(PartitionLogAppendReadTest.concat(good, gap), 0))
                .isInstanceOf(OutOfOrderSequenceException.class);
        assertThat(log.producerState().producerCount()).isZero();
        assertThat(log.appendAsLeader(seq(0), 0).duplicate()).isFalse();
        log.close();
    }

    @Test
    void compressedIdempotentBatchesAreDeduplicatedToo() {
        PartitionLog log = open(true);
        MemoryRecords first = MemoryRecords.withIdempotentRecords(Compression.zstd().build(), PID, EPOCH, 0,
                new SimpleRecord(1L, null, "a".getBytes()), new SimpleRecord(2L, null, "b".getBytes()));
        MemoryRecords again = MemoryRecords.withIdempotentRecords(Compression.zstd().build(), PID, EPOCH, 0,
                new SimpleRecord(1L, null, "a".getBytes()), new SimpleRecord(2L, null, "b".getBytes()));
        log.appendAsLeader(first, 0);
        assertThat(log.appendAsLeader(again, 0).duplicate()).isTrue();
        assertThat(values(readAll(log))).containsExactly("a", "b");
        log.close();
    }

    // ---- durability -------------------------------------------------------------------------

    @Test
    void stateSurvivesCloseAndReopen() {
        PartitionLog log = open(true);
        for (int i = 0; i < 4; i++) log.appendAsLeader(seq(3 * i), 0);
        log.close();

        PartitionLog reopened = open(true);
        assertDuplicatesAndOrderingStillEnforced(reopened, 4);
    }

    @ParameterizedTest(name = "snapshots {0}")
    @ValueSource(strings = {"kept", "deleted", "corrupted"})
    void stateSurvivesACrash(String snapshots) throws Exception {
        PartitionLog crashed = open(true);
        for (int i = 0; i < 12; i++) crashed.appendAsLeader(seq(3 * i), 0);
        assertThat(crashed.numberOfSegments()).as("rolls wrote snapshots").isGreaterThan(2);
        assertThat(crashed.producerState().snapshotOffsets()).hasSize(2);
        // No close: the batches after the newest snapshot exist only in the log.
        for (long offset : crashed.producerState().snapshotOffsets()) {
            Path file = LogFiles.snapshotFile(crashed.dir(), offset);
            if (snapshots.equals("deleted")) Files.delete(file);
            if (snapshots.equals("corrupted")) LogTestSupport.flipByte(file, Files.size(file) - 1);
        }

        PartitionLog reopened = open(false);
        assertDuplicatesAndOrderingStillEnforced(reopened, 12);
    }

    @Test
    void stateFollowsTheLogWhenASnapshotIsAheadOfTheRecoveredEnd() throws Exception {
        PartitionLog log = open(true);
        for (int i = 0; i < 4; i++) log.appendAsLeader(seq(3 * i), 0);
        log.close(); // snapshot at 12
        // Lose the last batch (torn write): the snapshot at 12 now describes data that is gone.
        Path active = LogTestSupport.lastSegmentFile(log);
        LogTestSupport.truncateFile(active, Files.size(active) - 1);

        PartitionLog reopened = open(false);
        assertThat(reopened.logEndOffset()).isEqualTo(9);
        assertThat(reopened.producerState().snapshotOffsets()).doesNotContain(12L);
        assertThat(reopened.appendAsLeader(seq(9), 0).duplicate()).as("the lost batch is new again").isFalse();
        reopened.close();
    }

    @Test
    void truncationRewindsProducerState() {
        PartitionLog log = open(true);
        for (int i = 0; i < 4; i++) log.appendAsLeader(seq(3 * i), 0);
        log.truncateTo(6);
        assertThatThrownBy(() -> log.appendAsLeader(seq(9), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        LogAppendInfo resent = log.appendAsLeader(seq(6), 0);
        assertThat(resent.duplicate()).isFalse();
        assertThat(resent.firstOffset()).isEqualTo(6);
        log.close();
    }

    private void assertDuplicatesAndOrderingStillEnforced(PartitionLog log, int batchesWritten) {
        int last = batchesWritten - 1;
        LogAppendInfo retry = log.appendAsLeader(seq(3 * last), 0);
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(3L * last);
        assertThat(log.appendAsLeader(seq(3 * Math.max(0, last - 4)), 0).duplicate()).isTrue();
        assertThatThrownBy(() -> log.appendAsLeader(seq(3 * (last + 2)), 0)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> log.appendAsLeader(idempotent(PID, (short) (EPOCH - 1), 0, "old"), 0))
                .isInstanceOf(InvalidProducerEpochException.class);
        assertThat(log.appendAsLeader(seq(3 * (last + 1)), 0).firstOffset()).isEqualTo(3L * batchesWritten);
        log.close();
    }

    // ---- the rules themselves ---------------------------------------------------------------

    @Test
    void sequenceWrapsFromMaxIntToZero() {
        ProducerStateEntry entry = new ProducerStateEntry(PID, EPOCH);
        entry.addBatch(EPOCH, new BatchMetadata(Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 10, 11, 1L));

        assertThatCode(() -> ProducerStateManager.checkEpochAndSequence(entry, PID, EPOCH, 0)).doesNotThrowAnyException();
        assertThatThrownBy(() -> ProducerStateManager.checkEpochAndSequence(entry, PID, EPOCH, 1)).isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> ProducerStateManager.checkEpochAndSequence(entry, PID, EPOCH, Integer.MIN_VALUE))
                .isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void wrappedBatchIsAcceptedThroughTheManager() {
        ProducerStateManager manager = new ProducerStateManager(tmp);
        // Replay a batch whose sequences end at Integer.MAX_VALUE, then append one starting at 0.
        MemoryRecords wrapEnd = MemoryRecords.withIdempotentRecords(Compression.NONE, PID, EPOCH, Integer.MAX_VALUE - 1,
                new SimpleRecord(1L, null, "a".getBytes()), new SimpleRecord(1L, null, "b".getBytes()));
        manager.replay(wrapEnd.batches().iterator().next());
        RecordBatch next = idempotent(PID, EPOCH, 0, "c").batches().iterator().next();

        ProducerStateManager.Append append = manager.newAppend();
        assertThat(append.add(next, 2, 2, 1L, AppendOrigin.CLIENT)).isEmpty();
        manager.commit(append);
        assertThat(manager.entry(PID)).get().extracting(ProducerStateEntry::lastSeq).isEqualTo(0);
    }

    @Test
    void snapshotRoundTripsEveryCachedBatch() throws Exception {
        ProducerStateManager manager = new ProducerStateManager(tmp);
        for (int i = 0; i < 7; i++) manager.replay(seq(3 * i).batches().iterator().next());
        manager.replay(idempotent(77L, (short) 0, 0, "z").batches().iterator().next());
        manager.takeSnapshot(100);

        ProducerStateManager loaded = new ProducerStateManager(tmp);
        assertThat(loaded.truncateAndLoad(100)).hasValue(100);
        assertThat(loaded.producerCount()).isEqualTo(2);
        assertThat(loaded.entry(PID).orElseThrow().batches()).isEqualTo(manager.entry(PID).orElseThrow().batches()).hasSize(5);
        assertThat(loaded.truncateAndLoad(99)).isEmpty();
        assertThat(Files.exists(LogFiles.snapshotFile(tmp, 100))).isFalse();
    }
}
