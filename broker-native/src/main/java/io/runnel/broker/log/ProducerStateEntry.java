package io.runnel.broker.log;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * One producer id's state in one partition: its current epoch, the metadata of its last
 * {@value #MAX_CACHED_BATCHES} batches, the first offset of its open transaction here (-1 when
 * none) and the epoch of the coordinator that last ended one of its transactions here (Kafka's
 * {@code ProducerStateEntry}). A new epoch forgets the batches of the old one.
 *
 * <p>Mutable; not thread-safe. {@link ProducerStateManager} stages changes on {@link #copy()}s so
 * that a rejected append leaves the committed entry untouched.
 */
final class ProducerStateEntry {
    static final int MAX_CACHED_BATCHES = 5;

    private final long producerId;
    private short producerEpoch;
    private final ArrayDeque<BatchMetadata> batches;
    private long currentTxnFirstOffset = -1;
    private int coordinatorEpoch = -1;
    /** When this producer last wrote here (the batch's max timestamp), for DescribeProducers. */
    private long lastTimestamp = RecordBatch.NO_TIMESTAMP;

    ProducerStateEntry(long producerId, short producerEpoch) {
        this(producerId, producerEpoch, new ArrayDeque<>(MAX_CACHED_BATCHES + 1));
    }

    private ProducerStateEntry(long producerId, short producerEpoch, ArrayDeque<BatchMetadata> batches) {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.batches = batches;
    }

    ProducerStateEntry copy() {
        ProducerStateEntry copy = new ProducerStateEntry(producerId, producerEpoch, new ArrayDeque<>(batches));
        copy.currentTxnFirstOffset = currentTxnFirstOffset;
        copy.coordinatorEpoch = coordinatorEpoch;
        copy.lastTimestamp = lastTimestamp;
        return copy;
    }

    /** The first offset of this producer's open transaction in this partition, or -1. */
    long currentTxnFirstOffset() {
        return currentTxnFirstOffset;
    }

    void currentTxnFirstOffset(long offset) {
        currentTxnFirstOffset = offset;
    }

    int coordinatorEpoch() {
        return coordinatorEpoch;
    }

    void coordinatorEpoch(int epoch) {
        coordinatorEpoch = epoch;
    }

    long lastTimestamp() {
        return lastTimestamp;
    }

    void lastTimestamp(long timestampMs) {
        lastTimestamp = Math.max(lastTimestamp, timestampMs);
    }

    long producerId() {
        return producerId;
    }

    short producerEpoch() {
        return producerEpoch;
    }

    /** Oldest first. */
    List<BatchMetadata> batches() {
        return List.copyOf(batches);
    }

    /** The last sequence written in the current epoch, or NO_SEQUENCE if none. */
    int lastSeq() {
        return batches.isEmpty() ? RecordBatch.NO_SEQUENCE : batches.peekLast().lastSeq();
    }

    /** Records a batch; an epoch change clears the batches of the previous epoch. */
    void addBatch(short epoch, BatchMetadata batch) {
        if (epoch != producerEpoch) {
            producerEpoch = epoch;
            batches.clear();
        }
        batches.addLast(batch);
        while (batches.size() > MAX_CACHED_BATCHES) batches.removeFirst();
    }

    /** Sets the epoch without a batch (a control batch on replay). */
    void bumpEpoch(short epoch) {
        if (epoch != producerEpoch) {
            producerEpoch = epoch;
            batches.clear();
        }
    }

    /** The cached batch with exactly this epoch and sequence range, if any. */
    Optional<BatchMetadata> findDuplicate(short epoch, int firstSeq, int lastSeq) {
        if (epoch != producerEpoch) return Optional.empty();
        return batches.stream().filter(b -> b.firstSeq() == firstSeq && b.lastSeq() == lastSeq).findFirst();
    }

    @Override
    public String toString() {
        return "ProducerStateEntry(producerId=" + producerId + ", epoch=" + producerEpoch + ", batches=" + batches
                + ", txnFirstOffset=" + currentTxnFirstOffset + ", coordinatorEpoch=" + coordinatorEpoch + ")";
    }
}
