package io.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;

/** What one partition contributed to a fetch: records (possibly empty) and the offsets around them. */
public record ReadResult(Errors error, MemoryRecords records, long highWatermark, long logStartOffset) {

    public static ReadResult error(Errors error, long highWatermark, long logStartOffset) {
        return new ReadResult(error, MemoryRecords.EMPTY, highWatermark, logStartOffset);
    }

    public int sizeInBytes() {
        return records.sizeInBytes();
    }
}
