package io.runnel.broker.log;

/**
 * The outcome of {@link PartitionLog#appendAsLeader}: the offsets the batches were given, their
 * max timestamp, the log-append time used (-1 for CREATE_TIME topics), the log start offset after
 * the append, and how many records and bytes this call wrote. For a {@code duplicate} (an
 * idempotent producer's retry) the offsets and timestamp are those of the original append and
 * {@code recordCount} and {@code validBytes} are 0: nothing was written. Immutable.
 */
public record LogAppendInfo(
        long firstOffset,
        long lastOffset,
        long maxTimestamp,
        long logAppendTimeMs,
        long logStartOffset,
        int recordCount,
        int validBytes,
        boolean duplicate) {}
