package io.runnel.broker.log;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * One producer id's state in one partition: its current epoch and the metadata of its last
 * {@value #MAX_CACHED_BATCHES} batches (Kafka's {@code ProducerStateEntry}). A new epoch forgets
 * the batches of the old one.
 *
 * <p>Mutable; not thread-safe. {@link ProducerStateManager} stages changes on {@link #copy()}s so
 * that a rejected append leaves the committed entry untouched.
 */
final class ProducerStateEntry {
    static final int MAX_CACHED_BATCHES = 5;

    private final long producerId;
    private short producerEpoch;
    private final ArrayDeque<BatchMetadata> batches;

    ProducerStateEntry(long producerId, short producerEpoch) {
        this(producerId, producerEpoch, new ArrayDeque<>(MAX_CACHED_BATCHES + 1));
    }

    private ProducerStateEntry(long producerId, short producerEpoch, ArrayDeque<BatchMetadata> batches) {
        this.producerId = producerId;
        this.producerEpoch = producerEpoch;
        this.batches = batches;
    }

    ProducerStateEntry copy() {
        return new ProducerStateEntry(producerId, producerEpoch, new ArrayDeque<>(batches));
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
        return "ProducerStateEntry(producerId=" + producerId + ", epoch=" + producerEpoch + ", batches=" + batches + ")";
    }
}
