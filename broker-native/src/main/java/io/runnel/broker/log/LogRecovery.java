package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

/**
 * Crash recovery of a partition log, run when the broker did not shut down cleanly. Data below
 * the recovery point was fsynced and is trusted; everything from the segment holding the
 * recovery point to the end may hold torn or garbled writes.
 *
 * <p>Algorithm:
 * <ol>
 *   <li>Start at the segment containing the recovery point (or the first segment).</li>
 *   <li>Walk its batches from byte 0. A batch is intact when: its length field is at least a v2
 *       batch header and does not run past the end of the file; its magic is 2; its CRC32C
 *       (streamed, so a garbled length never makes us allocate it) matches; its base offset is at
 *       least the previous batch's next offset; its offsets fit the segment.</li>
 *   <li>At the first batch that is not intact: log the file, position and reason, cut the file
 *       there, and delete every later segment — data after a hole cannot be trusted to be
 *       contiguous.</li>
 *   <li>Rebuild each walked segment's offset and time indexes from its (now valid) batches.</li>
 * </ol>
 *
 * <p>Guarantees: every batch that was fully written and is followed only by intact batches is kept
 * exactly once; nothing after the first bad byte survives; the last remaining segment ends on a
 * batch boundary, so appends continue at the right offset. Producer state and the leader-epoch
 * cache are reconciled afterwards by {@link PartitionLog} from the recovered log end.
 *
 * <p>Stateless; runs on the thread opening the log, before the log is published.
 */
final class LogRecovery {
    private static final Logger LOG = Logger.getLogger(LogRecovery.class);
    // The CRC covers the batch from the attributes field to the end (v2 format).
    private static final int CRC_COVERED_FROM = DefaultRecordBatch.CRC_OFFSET + 4;
    private static final int MIN_LENGTH_FIELD = DefaultRecordBatch.RECORD_BATCH_OVERHEAD - Records.LOG_OVERHEAD;
    private static final int CRC_CHUNK_BYTES = 64 * 1024;

    /** How much of a segment is intact, the offset after it, and why the rest is not. */
    record ValidPrefix(int validBytes, long nextOffset, Optional<String> problem) {}

    private LogRecovery() {}

    /** Recovers {@code segments} (base offset → segment) in place from {@code recoveryPoint}. */
    static void recover(NavigableMap<Long, LogSegment> segments, long recoveryPoint) {
        Long start = segments.floorKey(recoveryPoint);
        if (start == null) start = segments.firstKey();
        long expectedNextOffset = start;
        for (LogSegment segment : new ArrayList<>(segments.tailMap(start, true).values())) {
            if (segment.baseOffset() < expectedNextOffset) {
                LOG.warnf("Truncating %s at position 0: base offset %d overlaps the previous segment, which ends at %d",
                        segment.logFile(), segment.baseOffset(), expectedNextOffset);
                deleteFrom(segments, segment.baseOffset());
                return;
            }
            ValidPrefix valid = validPrefix(segment, expectedNextOffset);
            if (valid.problem().isPresent()) {
                LOG.warnf("Truncating %s at position %d (dropping %d bytes): %s", segment.logFile(), valid.validBytes(),
                        segment.sizeInBytes() - valid.validBytes(), valid.problem().get());
                segment.truncateToBytes(valid.validBytes());
                deleteFrom(segments, segment.baseOffset() + 1);
                return;
            }
            segment.rebuildIndexes();
            expectedNextOffset = valid.nextOffset();
        }
    }

    /** Deletes every segment whose base offset is ≥ {@code fromBaseOffset}. */
    private static void deleteFrom(NavigableMap<Long, LogSegment> segments, long fromBaseOffset) {
        List<LogSegment> doomed = new ArrayList<>(segments.tailMap(fromBaseOffset, true).values());
        for (LogSegment segment : doomed) {
            LOG.warnf("Deleting %s (%d bytes): it follows a truncated segment", segment.logFile(), segment.sizeInBytes());
            segments.remove(segment.baseOffset());
            segment.deleteFiles();
        }
        if (segments.isEmpty()) throw new IllegalStateException("recovery deleted every segment");
    }

    /** Walks the segment's batches from byte 0 and stops at the first one that is not intact. */
    static ValidPrefix validPrefix(LogSegment segment, long expectedNextOffset) {
        FileRecords file = segment.records();
        int position = 0;
        long nextOffset = expectedNextOffset;
        while (position < file.sizeInBytes()) {
            Optional<String> problem = problemWithBatchAt(segment, position, nextOffset);
            if (problem.isPresent()) return new ValidPrefix(position, nextOffset, problem);
            FileChannelRecordBatch batch = file.batchesFrom(position).iterator().next();
            nextOffset = batch.nextOffset();
            position += batch.sizeInBytes();
        }
        return new ValidPrefix(position, nextOffset, Optional.empty());
    }

    private static Optional<String> problemWithBatchAt(LogSegment segment, int position, long expectedBaseOffset) {
        FileRecords file = segment.records();
        int remaining = file.sizeInBytes() - position;
        if (remaining < DefaultRecordBatch.RECORD_BATCH_OVERHEAD) return Optional.of("torn batch header (" + remaining + " bytes left)");
        ByteBuffer prefix = ByteBuffer.allocate(Records.HEADER_SIZE_UP_TO_MAGIC);
        try {
            Utils.readFully(file.channel(), prefix, position);
        } catch (IOException e) {
            throw LogFiles.storageError("reading " + segment.logFile(), e);
        }
        int length = prefix.getInt(Records.SIZE_OFFSET);
        if (length < MIN_LENGTH_FIELD) return Optional.of("length field " + length + " is below a batch header");
        if ((long) length + Records.LOG_OVERHEAD > remaining)
            return Optional.of("length field " + length + " runs past the end of the file (" + remaining + " bytes left)");
        byte magic = prefix.get(Records.MAGIC_OFFSET);
        if (magic != RecordBatch.MAGIC_VALUE_V2) return Optional.of("magic " + magic + " is not 2");
        FileChannelRecordBatch batch = file.batchesFrom(position).iterator().next();
        long crc = crcOf(file.channel(), position + CRC_COVERED_FROM, length + Records.LOG_OVERHEAD - CRC_COVERED_FROM, segment);
        if (crc != batch.checksum()) return Optional.of("CRC32C mismatch (stored " + batch.checksum() + ", computed " + crc + ")");
        if (batch.baseOffset() < expectedBaseOffset)
            return Optional.of("base offset " + batch.baseOffset() + " is below the previous batch's next offset " + expectedBaseOffset);
        if (batch.lastOffset() < batch.baseOffset()) return Optional.of("negative last offset delta");
        if (batch.lastOffset() - segment.baseOffset() > Integer.MAX_VALUE)
            return Optional.of("offset " + batch.lastOffset() + " does not fit segment " + segment.baseOffset());
        return Optional.empty();
    }

    private static long crcOf(FileChannel channel, long position, int bytes, LogSegment segment) {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(Math.min(bytes, CRC_CHUNK_BYTES));
        long end = position + bytes;
        try {
            for (long p = position; p < end; ) {
                int n = (int) Math.min(chunk.capacity(), end - p);
                chunk.clear().limit(n);
                Utils.readFully(channel, chunk, p);
                if (chunk.hasRemaining()) throw new IOException("unexpected end of file at " + (p + chunk.position()));
                chunk.flip();
                crc.update(chunk);
                p += n;
            }
        } catch (IOException e) {
            throw LogFiles.storageError("reading " + segment.logFile(), e);
        }
        return crc.getValue();
    }
}
