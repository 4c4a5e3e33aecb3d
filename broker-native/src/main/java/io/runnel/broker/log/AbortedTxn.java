package io.runnel.broker.log;

/**
 * A transaction that was aborted in this partition: its producer, the offset of its first record
 * here, the offset of its ABORT marker, and the log's last stable offset when the marker was
 * written. A read_committed fetch that covers {@code firstOffset..lastOffset} gets
 * {@code (producerId, firstOffset)} so the consumer drops that producer's records up to the marker. Immutable.
 */
public record AbortedTxn(long producerId, long firstOffset, long lastOffset, long lastStableOffset) {}
