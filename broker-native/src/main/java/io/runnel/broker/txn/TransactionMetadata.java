package io.runnel.broker.txn;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * One transactional id as its coordinator knows it: the producer id and epoch it hands out, the
 * open transaction's partitions, state and timestamps. Immutable: every transition below is a pure
 * function returning the next value, which the shard writes to {@code __transaction_state} before
 * it replaces the current one (write, then apply). Each transition asserts Kafka's table of legal
 * transitions ({@link TransactionState#canFollow}).
 *
 * <p>{@code previousProducerId} and {@code lastProducerEpoch} serve KIP-360 retries (a producer
 * that re-inits after losing the answer to its own epoch bump); like Kafka at transaction version
 * 0/1 they live in memory only (record value v0 has no field for them) and are -1 after a reload.
 *
 * @param startTimestampMs      when the open transaction began (its first AddPartitions), -1 when none is open
 * @param lastUpdateTimestampMs the last transition: what transactional.id.expiration.ms counts from
 */
public record TransactionMetadata(
        String transactionalId,
        long producerId,
        long previousProducerId,
        short producerEpoch,
        short lastProducerEpoch,
        int timeoutMs,
        TransactionState state,
        Set<TopicPartition> partitions,
        long startTimestampMs,
        long lastUpdateTimestampMs) {

    /** Kafka's limit: at this epoch the next InitProducerId gets a new producer id rather than a bump. */
    static final short EPOCH_EXHAUSTED = Short.MAX_VALUE - 1;

    public TransactionMetadata {
        partitions = Collections.unmodifiableSet(new LinkedHashSet<>(partitions)); // in the order added: markers and records follow it
        if (state == TransactionState.EMPTY && !partitions.isEmpty())
            throw new IllegalStateException(transactionalId + ": an Empty transaction has no partitions");
    }

    /** A transactional id seen for the first time: its producer id, no epoch yet (the first init bumps it to 0). */
    static TransactionMetadata fresh(String transactionalId, long producerId, int timeoutMs, long nowMs) {
        return new TransactionMetadata(transactionalId, producerId, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH,
                RecordBatch.NO_PRODUCER_EPOCH, timeoutMs, TransactionState.EMPTY, Set.of(), -1, nowMs);
    }

    static boolean isEpochExhausted(short epoch) {
        return epoch >= EPOCH_EXHAUSTED;
    }

    boolean isEpochExhausted() {
        return isEpochExhausted(producerEpoch);
    }

    boolean isCommit() {
        return state == TransactionState.PREPARE_COMMIT || state == TransactionState.COMPLETE_COMMIT;
    }

    // ------------------------------------------------------------------ transitions

    /** InitProducerId on an idle id: the same producer id at {@code epoch}, a new timeout, no transaction. */
    TransactionMetadata initWithEpoch(short epoch, short lastEpoch, int newTimeoutMs, long nowMs) {
        check(TransactionState.EMPTY);
        if (epoch < 0) throw new IllegalStateException(transactionalId + ": no epoch to hand out");
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, epoch, lastEpoch, newTimeoutMs,
                TransactionState.EMPTY, Set.of(), -1, nowMs);
    }

    /**
     * InitProducerId once the epoch is exhausted: a new producer id at epoch 0. With
     * {@code keepPrevious} (the producer named its old id, KIP-360) the old id and epoch are
     * remembered so that a retry of this very request is recognised.
     */
    TransactionMetadata rotateProducerId(long newProducerId, int newTimeoutMs, long nowMs, boolean keepPrevious) {
        check(TransactionState.EMPTY);
        return new TransactionMetadata(transactionalId, newProducerId, keepPrevious ? producerId : RecordBatch.NO_PRODUCER_ID, (short) 0,
                keepPrevious ? producerEpoch : RecordBatch.NO_PRODUCER_EPOCH, newTimeoutMs, TransactionState.EMPTY, Set.of(), -1, nowMs);
    }

    /** AddPartitionsToTxn / AddOffsetsToTxn: the transaction begins (or goes on) with these partitions as well. */
    TransactionMetadata addPartitions(Collection<TopicPartition> added, long nowMs) {
        check(TransactionState.ONGOING);
        Set<TopicPartition> all = new LinkedHashSet<>(partitions);
        all.addAll(added);
        long start = state == TransactionState.ONGOING ? startTimestampMs : nowMs;
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch, timeoutMs,
                TransactionState.ONGOING, all, start, nowMs);
    }

    /** EndTxn (or an abort the coordinator decides): PREPARE_COMMIT or PREPARE_ABORT, the partitions kept for the markers. */
    TransactionMetadata prepareEnd(boolean commit, long nowMs) {
        TransactionState next = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
        check(next);
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch, timeoutMs,
                next, partitions, startTimestampMs, nowMs);
    }

    /**
     * An abort that fences the producer (a timed-out transaction, or a new instance's
     * InitProducerId while one is open): PREPARE_ABORT at the next epoch, so the markers are
     * written at an epoch the old producer does not have and its later writes are refused.
     * The bumped epoch is never handed to a client; its next InitProducerId bumps again.
     */
    TransactionMetadata prepareFencedAbort(long nowMs) {
        check(TransactionState.PREPARE_EPOCH_FENCE);
        if (producerEpoch == Short.MAX_VALUE) throw new IllegalStateException(transactionalId + ": cannot fence epoch " + producerEpoch);
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, (short) (producerEpoch + 1), RecordBatch.NO_PRODUCER_EPOCH,
                timeoutMs, TransactionState.PREPARE_ABORT, partitions, startTimestampMs, nowMs);
    }

    /** Every marker is written: COMPLETE_COMMIT or COMPLETE_ABORT, no partitions any more. */
    TransactionMetadata complete(long nowMs) {
        TransactionState next = state == TransactionState.PREPARE_COMMIT ? TransactionState.COMPLETE_COMMIT : TransactionState.COMPLETE_ABORT;
        check(next);
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch, timeoutMs,
                next, Set.of(), startTimestampMs, nowMs);
    }

    /** transactional.id.expiration.ms passed: the id is forgotten (a tombstone in the log). */
    TransactionMetadata dead(long nowMs) {
        check(TransactionState.DEAD);
        return new TransactionMetadata(transactionalId, producerId, previousProducerId, producerEpoch, lastProducerEpoch, timeoutMs,
                TransactionState.DEAD, Set.of(), -1, nowMs);
    }

    private void check(TransactionState next) {
        if (!next.canFollow(state))
            throw new IllegalStateException(transactionalId + ": illegal transition " + state.kafkaName() + " -> " + next.kafkaName());
    }
}
