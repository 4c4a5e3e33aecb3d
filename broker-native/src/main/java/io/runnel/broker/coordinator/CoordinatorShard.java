package io.runnel.broker.coordinator;

import java.util.concurrent.ScheduledExecutorService;

import org.apache.kafka.common.protocol.Errors;

/**
 * A coordinator's state for one partition of its internal topic (a group shard of
 * {@code __consumer_offsets}, a transaction shard of {@code __transaction_state}), confined to
 * that partition's I/O thread: {@link CoordinatorShards} runs every call there.
 */
public interface CoordinatorShard {
    /** The partition's I/O thread, the only thread that touches the shard. */
    ScheduledExecutorService thread();

    /** Null when the shard can serve, else the error every request gets (loading, closed). Shard thread only. */
    Errors unavailable();

    /** Stops timers and answers what waits. Shard thread only. */
    void close();

    /** The partition, for log lines ({@code __consumer_offsets-7}). */
    String name();
}
