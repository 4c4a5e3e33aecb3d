package io.runnel.broker.protocol;

import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

import io.runnel.broker.log.FileSlice;

/**
 * A fetch response's records as a range of a segment file: the response's size counts them, and
 * {@link ResponseEncoder} sends them as a file region ({@code sendfile}) between the encoded
 * bytes before and after, so they never pass through the heap. Immutable.
 */
public record FileSliceRecords(FileSlice slice) implements BaseRecords {
    @Override
    public int sizeInBytes() {
        return slice.sizeInBytes();
    }

    /** kafka-clients' own send path (SendBuilder) is not used here; ResponseEncoder handles these records. */
    @Override
    public RecordsSend<? extends BaseRecords> toSend() {
        throw new UnsupportedOperationException("FileSliceRecords are written by ResponseEncoder as a file region");
    }
}
