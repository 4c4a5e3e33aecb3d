package io.runnel.broker.partition;

import java.util.List;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import io.runnel.broker.log.AbortedTxn;

/**
 * What one partition contributed to a fetch: records (possibly empty; in memory, or a range of a
 * segment file for a client fetch), the offsets around them, and for a read_committed fetch the
 * aborted transactions among them (null for read_uncommitted, as Kafka answers).
 */
public record ReadResult(Errors error, BaseRecords records, long highWatermark, long lastStableOffset, long logStartOffset,
                         List<AbortedTxn> abortedTransactions) {

    public ReadResult(Errors error, BaseRecords records, long highWatermark, long logStartOffset) {
        this(error, records, highWatermark, highWatermark, logStartOffset, null);
    }

    public static ReadResult error(Errors error, long highWatermark, long logStartOffset) {
        return new ReadResult(error, MemoryRecords.EMPTY, highWatermark, logStartOffset);
    }

    public int sizeInBytes() {
        return records.sizeInBytes();
    }

    /** The records as read into memory ({@link Partition#read}); not for {@link Partition#readForFetch} results. */
    public MemoryRecords memoryRecords() {
        return (MemoryRecords) records;
    }
}
