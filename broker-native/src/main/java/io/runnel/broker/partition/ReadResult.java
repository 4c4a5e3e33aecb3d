package io.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * What one partition contributed to a fetch: records (possibly empty; in memory, or a range of a
 * segment file for a client fetch) and the offsets around them.
 */
public record ReadResult(Errors error, BaseRecords records, long highWatermark, long logStartOffset) {

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
