package io.runnel.broker.coordinator;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

import io.runnel.broker.partition.Partition;

/**
 * How a coordinator shard loads: its partition is read from the log start to the log end, as the
 * end is at each step (on the partition's own thread no append can slip in between the last read
 * and the shard going active), batch by batch in offset order. Stateless.
 */
public final class CoordinatorLogReplay {
    private static final int READ_BYTES = 1 << 20;

    /** Applies one batch read from the log, from {@code fromOffset} on (the first batch read may start before it); returns the records applied. */
    @FunctionalInterface
    public interface BatchReplay {
        long replay(RecordBatch batch, long fromOffset);
    }

    private CoordinatorLogReplay() {}

    /**
     * Replays {@code log} into {@code replay}; call on {@code thread}, the partition's I/O thread,
     * where every step runs. Completes with the number of records applied, with null if
     * {@code stopped} turned true first, or exceptionally if the log could not be read.
     */
    public static CompletableFuture<Long> replay(Partition log, Executor thread, BooleanSupplier stopped, BatchReplay replay) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        step(log, thread, stopped, replay, log.logStartOffset(), 0, done);
        return done;
    }

    private static void step(Partition log, Executor thread, BooleanSupplier stopped, BatchReplay replay, long offset, long records,
                             CompletableFuture<Long> done) {
        if (stopped.getAsBoolean()) {
            done.complete(null);
            return;
        }
        if (offset >= log.logEndOffset()) {
            done.complete(records);
            return;
        }
        log.readToLogEnd(offset, READ_BYTES, true).whenCompleteAsync((read, failure) -> {
            try {
                if (failure != null || read.error() != Errors.NONE)
                    throw new IllegalStateException("cannot read " + log.topicPartition() + " at offset " + offset + ": "
                            + (failure != null ? failure : read.error()));
                long next = offset;
                long count = records;
                for (RecordBatch batch : read.memoryRecords().batches()) {
                    if (batch.lastOffset() < offset) continue;
                    count += replay.replay(batch, offset);
                    next = batch.nextOffset();
                }
                if (next == offset) throw new IllegalStateException("no progress reading " + log.topicPartition() + " at offset " + offset);
                step(log, thread, stopped, replay, next, count, done);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, thread);
    }
}
