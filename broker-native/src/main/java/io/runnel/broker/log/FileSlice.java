package io.runnel.broker.log;

import java.nio.channels.FileChannel;

import org.apache.kafka.common.record.internal.FileRecords;

/**
 * Whole record batches of one segment file, by position: what a fetch sends straight from the file
 * to the socket ({@code sendfile}) without copying it through the heap. The channel stays open at
 * least {@link LogFiles#RETIRED_CHANNEL_GRACE_MS} after the segment is deleted or replaced, so a
 * response already queued with this slice can still be written. Immutable.
 */
public record FileSlice(FileRecords file, long position, int sizeInBytes) {
    public static final FileSlice EMPTY = new FileSlice(null, 0, 0);

    public FileChannel channel() {
        return file.channel();
    }
}
