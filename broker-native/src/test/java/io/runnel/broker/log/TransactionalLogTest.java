package io.runnel.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.ManualTime;

/** Transactions in one partition's log: open and closed transactions, the unstable offset, the aborted index across restarts, compaction. */
class TransactionalLogTest {
    static final long A = 100L;
    static final long B = 200L;
    static final short EPOCH = 0;

    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);
    final LogConfig config = LogConfig.defaults().withSegmentBytes(1024);

    PartitionLog open(boolean clean) {
        return PartitionLog.open(tmp.resolve("t-0"), config, clean, time);
    }

    static MemoryRecords txn(long producerId, short epoch, int firstSeq, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++)
            records[i] = new SimpleRecord(1L, ("k" + values[i]).getBytes(StandardCharsets.UTF_8), values[i].getBytes(StandardCharsets.UTF_8));
        return MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, epoch, firstSeq, records);
    }

    static MemoryRecords marker(long producerId, short epoch, int coordinatorEpoch, boolean commit) {
        return MemoryRecords.withEndTransactionMarker(1L, producerId, epoch,
                new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch));
    }

    @Test
    void anOpenTransactionHoldsTheUnstableOffsetUntilItsMarkerIsBelowTheHighWatermark() {
        PartitionLog log = open(true);
        log.appendAsLeader(LogTestSupport.batch(1L, "plain"), 0);
        log.appendAsLeader(txn(A, EPOCH, 0, "a1", "a2"), 0);                       // offsets 1-2
        log.appendAsLeader(txn(B, EPOCH, 0, "b1"), 0);                             // offset 3
        assertThat(log.firstUnstableOffset()).hasValue(1);

        log.appendAsLeader(marker(A, EPOCH, 0, true), 0, AppendOrigin.COORDINATOR); // offset 4
        assertThat(log.firstUnstableOffset()).as("A's marker is not below the high watermark yet").hasValue(1);
        log.onHighWatermark(5);
        assertThat(log.firstUnstableOffset()).as("B is still open").hasValue(3);

        log.appendAsLeader(marker(B, EPOCH, 0, false), 0, AppendOrigin.COORDINATOR); // offset 5
        log.onHighWatermark(6);
        assertThat(log.firstUnstableOffset()).isEmpty();
        assertThat(log.abortedTransactions(0, 6)).containsExactly(new AbortedTxn(B, 3, 5, 6));
        assertThat(log.abortedTransactions(6, 10)).as("a fetch after the abort needs nothing").isEmpty();
        log.close();
    }

    @Test
    void abortedTransactionsAndOpenOnesSurviveACleanRestartAndACrash() {
        PartitionLog log = open(true);
        for (int i = 0; i < 30; i++) {
            log.appendAsLeader(txn(A, EPOCH, i * 2, "x" + i, "y" + i), 0);
            log.appendAsLeader(marker(A, EPOCH, 0, i % 3 != 0), 0, AppendOrigin.COORDINATOR);
        }
        log.appendAsLeader(txn(B, EPOCH, 0, "open"), 0);
        List<AbortedTxn> aborted = log.abortedTransactions(0, Long.MAX_VALUE);
        long openAt = log.logEndOffset() - 1;
        assertThat(aborted).hasSize(10);
        assertThat(log.numberOfSegments()).as("the test spans several segments").isGreaterThan(2);
        log.close();

        PartitionLog reopened = open(true);
        assertThat(reopened.abortedTransactions(0, Long.MAX_VALUE)).isEqualTo(aborted);
        assertThat(reopened.firstUnstableOffset()).hasValue(openAt);
        reopened.appendAsLeader(txn(B, EPOCH, 1, "more"), 0);
        // No close: the next open is a crash recovery, replaying from a snapshot older than the log end.
        PartitionLog recovered = open(false);
        assertThat(recovered.abortedTransactions(0, Long.MAX_VALUE)).isEqualTo(aborted);
        assertThat(recovered.firstUnstableOffset()).hasValue(openAt);
        recovered.close();
    }

    @Test
    void truncationBelowAnAbortMarkerDropsItsIndexEntryAndReopensTheTransaction() {
        PartitionLog log = open(true);
        log.appendAsLeader(txn(A, EPOCH, 0, "a"), 0);                                // 0
        log.appendAsLeader(marker(A, EPOCH, 0, false), 0, AppendOrigin.COORDINATOR); // 1
        assertThat(log.abortedTransactions(0, 10)).hasSize(1);
        log.truncateTo(1);
        assertThat(log.abortedTransactions(0, 10)).isEmpty();
        assertThat(log.firstUnstableOffset()).hasValue(0);
        log.close();
    }

    @Test
    void aProducerWithAnOpenTransactionMayNotWriteOutsideIt() {
        PartitionLog log = open(true);
        log.appendAsLeader(txn(A, EPOCH, 0, "a"), 0);
        assertThatThrownBy(() -> log.appendAsLeader(LogTestSupport.idempotent(A, EPOCH, 1, "plain"), 0))
                .isInstanceOf(InvalidTxnStateException.class);
        log.close();
    }

    @Test
    void clientsMayNotWriteMarkersAndStaleCoordinatorsOrEpochsAreFenced() {
        PartitionLog log = open(true);
        log.appendAsLeader(txn(A, (short) 2, 0, "a"), 0);
        assertThatThrownBy(() -> log.appendAsLeader(marker(A, (short) 2, 0, true), 0)).isInstanceOf(InvalidRecordException.class);
        assertThatThrownBy(() -> log.appendAsLeader(marker(A, (short) 1, 0, true), 0, AppendOrigin.COORDINATOR))
                .isInstanceOf(InvalidProducerEpochException.class);
        log.appendAsLeader(marker(A, (short) 2, 5, true), 0, AppendOrigin.COORDINATOR);
        assertThatThrownBy(() -> log.appendAsLeader(marker(A, (short) 2, 4, true), 0, AppendOrigin.COORDINATOR))
                .isInstanceOf(TransactionCoordinatorFencedException.class);
        log.close();
    }

    @Test
    void aCoordinatorsTransactionalBatchNeedsNoSequenceButIsFencedByEpoch() {
        PartitionLog log = open(true);
        // Kafka's group coordinator writes every transactional offset commit at sequence 0.
        log.appendAsLeader(txn(A, (short) 3, 0, "offset-commit"), 0, AppendOrigin.COORDINATOR);
        log.appendAsLeader(txn(A, (short) 3, 0, "offset-commit"), 0, AppendOrigin.COORDINATOR);
        assertThat(log.logEndOffset()).as("not a duplicate: the coordinator's sequences mean nothing").isEqualTo(2);
        assertThat(log.firstUnstableOffset()).hasValue(0);
        assertThatThrownBy(() -> log.appendAsLeader(txn(A, (short) 2, 0, "old"), 0, AppendOrigin.COORDINATOR))
                .isInstanceOf(InvalidProducerEpochException.class);
        log.close();
    }

    @Test
    void compactionDropsAbortedRecordsAndNeverCleansPastAnOpenTransaction() {
        LogConfig compacted = config.withCompaction(new CompactionConfig(true, false, 86_400_000L, 0L, Long.MAX_VALUE, 0.01));
        PartitionLog log = PartitionLog.open(tmp.resolve("c-0"), compacted, true, time);
        int seq = 0;
        // Key "kv": committed value "good", then an aborted "bad" that must not shadow it.
        log.appendAsLeader(txn(A, EPOCH, seq++, "v"), 0);
        log.appendAsLeader(marker(A, EPOCH, 0, true), 0, AppendOrigin.COORDINATOR);
        log.appendAsLeader(txn(A, EPOCH, seq++, "v"), 0);
        log.appendAsLeader(marker(A, EPOCH, 0, false), 0, AppendOrigin.COORDINATOR);
        long committedOffset = 0;
        for (int i = 0; i < 40; i++) log.appendAsLeader(LogTestSupport.batch(1L, "filler" + i), 0);
        log.appendAsLeader(txn(B, EPOCH, 0, "w"), 0); // open: nothing from its segment on may be cleaned
        long openAt = log.logEndOffset() - 1;
        for (int i = 0; i < 40; i++) log.appendAsLeader(LogTestSupport.batch(1L, "more" + i), 0);

        log.onHighWatermark(log.logEndOffset()); // every marker replicated: only B stays unstable
        var plan = log.compactionPlan(time.milliseconds()).orElseThrow();
        assertThat(plan.firstUncleanableOffset()).isLessThanOrEqualTo(openAt);
        try {
            assertThat(log.installCompaction(LogCompactor.clean(plan, 1 << 20, LogCompactor.Throttle.NONE))).isTrue();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        List<Long> keptOffsetsOfKv = new ArrayList<>();
        for (var stored : LogTestSupport.readAll(log)) {
            if ("v".equals(stored.value())) keptOffsetsOfKv.add(stored.offset());
        }
        assertThat(keptOffsetsOfKv).as("the committed value stays; the aborted one is gone").containsExactly(committedOffset);
        assertThat(log.firstUnstableOffset()).hasValue(openAt);
        log.close();
    }
}
