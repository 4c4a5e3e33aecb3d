package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Optional;

import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.FileRecords.TimestampAndOffset;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;
import org.jboss.logging.Logger;

/**
 * One segment of a partition log: the file {@code %020d.log} of record batches exactly as on the
 * wire (Kafka's {@link FileRecords}), named by its base offset, with its {@link OffsetIndex} and
 * {@link TimeIndex}. Owns the indexing rule (Kafka's): when more than {@code indexIntervalBytes}
 * were appended since the last entry, the next batch gets an offset-index entry
 * {@code (lastOffset, position)} and the time index gets {@code (max timestamp so far, last offset
 * of the batch that first reached it)}.
 *
 * <p>Indexes are loaded lazily, on first use (eagerly for the active segment, whose end offset the
 * log needs at open). Every load is checked against the log — entries monotonic, the last
 * offset-index entry points at a batch that ends at that offset, the last time-index entry names a
 * batch with that max timestamp — and rebuilt from the batch headers when the check fails.
 *
 * <p>Invariants: batches are contiguous from byte 0; every batch's offsets are within
 * [baseOffset, baseOffset + Integer.MAX_VALUE]; after load or rebuild the in-memory max timestamp
 * equals the largest batch max timestamp in the file.
 *
 * <p>Not thread-safe: every method runs on the partition's owner thread.
 */
final class LogSegment {
    private static final Logger LOG = Logger.getLogger(LogSegment.class);

    /** A byte range of whole batches; {@code limitReached} if a size or offset bound stopped it. */
    record Slice(int position, int sizeInBytes, boolean limitReached) {
        static final Slice EMPTY = new Slice(0, 0, false);
    }

    /** Where the last whole batch ends and the offset after it. */
    record Tail(long nextOffset, int endPosition) {}

    private final Path dir;
    private final long baseOffset;
    private final int indexIntervalBytes;
    private final int maxIndexBytes;
    private final FileRecords log;
    private final long createdMs;

    private OffsetIndex offsetIndex;
    private TimeIndex timeIndex;
    private int bytesSinceLastIndexEntry;
    private long maxTimestampSoFar = RecordBatch.NO_TIMESTAMP;
    private long offsetOfMaxTimestampSoFar = -1;
    private long firstBatchTimestamp = RecordBatch.NO_TIMESTAMP;
    private boolean firstBatchTimestampKnown;

    private LogSegment(Path dir, long baseOffset, LogConfig config, FileRecords log, long createdMs) {
        this.dir = dir;
        this.baseOffset = baseOffset;
        this.indexIntervalBytes = config.indexIntervalBytes();
        this.maxIndexBytes = config.segmentIndexBytes();
        this.log = log;
        this.createdMs = createdMs;
    }

    /** Opens an existing segment file; its indexes load (and are checked) on first use. */
    static LogSegment open(Path dir, long baseOffset, LogConfig config, long nowMs) {
        try {
            FileRecords log = FileRecords.open(LogFiles.logFile(dir, baseOffset).toFile(), true, true, 0, false);
            return new LogSegment(dir, baseOffset, config, log, nowMs);
        } catch (IOException e) {
            throw LogFiles.storageError("opening segment " + baseOffset + " in " + dir, e);
        }
    }

    /** Creates an empty segment, replacing any files with its name. */
    static LogSegment create(Path dir, long baseOffset, LogConfig config, long nowMs) {
        try {
            Path file = LogFiles.logFile(dir, baseOffset);
            Files.deleteIfExists(file);
            FileRecords log = FileRecords.open(file.toFile(), true, false, 0, false);
            LogSegment segment = new LogSegment(dir, baseOffset, config, log, nowMs);
            segment.offsetIndex = OffsetIndex.create(LogFiles.indexFile(dir, baseOffset), baseOffset, segment.maxIndexBytes);
            segment.timeIndex = TimeIndex.create(LogFiles.timeIndexFile(dir, baseOffset), baseOffset, segment.maxIndexBytes);
            return segment;
        } catch (IOException e) {
            throw LogFiles.storageError("creating segment " + baseOffset + " in " + dir, e);
        }
    }

    long baseOffset() {
        return baseOffset;
    }

    int sizeInBytes() {
        return log.sizeInBytes();
    }

    boolean isEmpty() {
        return log.sizeInBytes() == 0;
    }

    FileRecords records() {
        return log;
    }

    Path logFile() {
        return LogFiles.logFile(dir, baseOffset);
    }

    // ---- appending ------------------------------------------------------------------------

    /**
     * Why the segment must roll before {@code records} are appended, if it must: it would grow
     * past {@code segmentBytes}, has aged past {@code segmentMs}, has a full index, or the records'
     * offsets would not fit a 32-bit relative offset. An empty segment never rolls: it already
     * starts at the log end.
     */
    Optional<String> rollReason(LogConfig config, int recordsBytes, long maxTimestampInRecords, long lastOffsetInRecords, long nowMs) {
        if (isEmpty()) return Optional.empty();
        ensureIndexes();
        if ((long) sizeInBytes() + recordsBytes > config.segmentBytes()) return Optional.of("size");
        if (timeWaitedForRollMs(nowMs, maxTimestampInRecords) > config.segmentMs()) return Optional.of("age");
        if (offsetIndex.isFull()) return Optional.of("offset index full");
        if (timeIndex.isFull()) return Optional.of("time index full");
        if (lastOffsetInRecords - baseOffset > Integer.MAX_VALUE) return Optional.of("relative offset overflow");
        return Optional.empty();
    }

    /**
     * Age for segment.ms, as Kafka measures it: from the first batch's timestamp to the newest
     * timestamp being appended (or now), else from when this segment object was created.
     */
    long timeWaitedForRollMs(long nowMs, long messageTimestamp) {
        long first = firstBatchTimestamp();
        return first >= 0 ? messageTimestamp - first : nowMs - createdMs;
    }

    /** Appends already-validated batches with offsets assigned, in one write, then indexes them. */
    void append(MemoryRecords records) {
        ensureIndexes();
        for (RecordBatch batch : records.batches()) {
            requireInSegment(batch.baseOffset());
            requireInSegment(batch.lastOffset());
        }
        int position = log.sizeInBytes();
        try {
            int written = log.append(records);
            if (written != records.sizeInBytes()) throw new IllegalStateException("short write: " + written + " of " + records.sizeInBytes());
        } catch (IOException e) {
            undoPartialWrite(position);
            throw LogFiles.storageError("appending to " + logFile(), e);
        }
        for (RecordBatch batch : records.batches()) {
            indexBatch(batch.lastOffset(), position, batch.maxTimestamp(), batch.sizeInBytes());
            position += batch.sizeInBytes();
        }
    }

    private void undoPartialWrite(int position) {
        try {
            log.truncateTo(position);
        } catch (IOException | RuntimeException suppressed) {
            LOG.errorf(suppressed, "Could not cut %s back to %d bytes after a failed write", logFile(), position);
        }
    }

    private void indexBatch(long lastOffset, int position, long batchMaxTimestamp, int batchBytes) {
        if (batchMaxTimestamp > maxTimestampSoFar) {
            maxTimestampSoFar = batchMaxTimestamp;
            offsetOfMaxTimestampSoFar = lastOffset;
        }
        try {
            if (bytesSinceLastIndexEntry > indexIntervalBytes) {
                offsetIndex.append(lastOffset, position);
                timeIndex.maybeAppend(maxTimestampSoFar, offsetOfMaxTimestampSoFar);
                bytesSinceLastIndexEntry = 0;
            }
        } catch (IOException e) {
            throw LogFiles.storageError("writing the indexes of " + logFile(), e);
        }
        bytesSinceLastIndexEntry += batchBytes;
    }

    private void requireInSegment(long offset) {
        if (offset < baseOffset || offset - baseOffset > Integer.MAX_VALUE)
            throw new IllegalStateException("offset " + offset + " does not belong in segment " + baseOffset);
    }

    // ---- reading --------------------------------------------------------------------------

    /**
     * Byte position of the batch containing {@code offset}, or of the first batch after it;
     * -1 if the segment has no batch ending at or after {@code offset}.
     */
    int positionOf(long offset) {
        ensureIndexes();
        for (FileChannelRecordBatch batch : log.batchesFrom(offsetIndex.lookup(offset).position())) {
            if (batch.lastOffset() >= offset) return batch.position();
        }
        return -1;
    }

    /** The batch whose last offset is exactly {@code lastOffset}, if any. */
    Optional<FileChannelRecordBatch> batchEndingAt(long lastOffset) {
        int position = positionOf(lastOffset);
        if (position < 0) return Optional.empty();
        FileChannelRecordBatch batch = log.batchesFrom(position).iterator().next();
        return batch.lastOffset() == lastOffset ? Optional.of(batch) : Optional.empty();
    }

    /**
     * The whole batches to return for a fetch: from the batch containing {@code startOffset}, while
     * they fit in {@code maxBytes} and start below {@code maxOffsetExclusive}. With
     * {@code minOneBatch} the first batch is taken even if it alone exceeds {@code maxBytes}
     * (KIP-74), and nothing after it.
     *
     * <p>The batches the offset index vouches for are taken without reading their headers: a fetch
     * of 1 MiB of 16 KiB batches would otherwise read ~65 headers, one positional read each, only to
     * find where it ends. Headers are read only past the last index entry within the bounds (at most
     * an index interval of batches, plus the one that stops the read).
     */
    Slice slice(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch) {
        int first = positionOf(startOffset);
        if (first < 0) return Slice.EMPTY;
        int from = offsetIndex.lastPositionWithin(first, (long) first + Math.max(0, maxBytes), maxOffsetExclusive);
        int size = from - first;
        for (FileChannelRecordBatch batch : log.batchesFrom(from)) {
            if (batch.baseOffset() >= maxOffsetExclusive) return new Slice(first, size, true);
            boolean fits = (long) size + batch.sizeInBytes() <= maxBytes;
            if (!fits && !(minOneBatch && size == 0)) return new Slice(first, size, true);
            size += batch.sizeInBytes();
            if (!fits) return new Slice(first, size, true);
        }
        return new Slice(first, size, false);
    }

    /** Copies {@code sizeInBytes} bytes from {@code position} into {@code dst} at its position. */
    void readInto(ByteBuffer dst, int position, int sizeInBytes) {
        ByteBuffer view = dst.slice(dst.position(), sizeInBytes);
        try {
            Utils.readFully(log.channel(), view, position);
        } catch (IOException e) {
            throw LogFiles.storageError("reading " + logFile(), e);
        }
        if (view.hasRemaining()) throw new KafkaStorageException("unexpected end of " + logFile() + " at " + position);
        dst.position(dst.position() + sizeInBytes);
    }

    /**
     * The first record at or after {@code startingOffset} whose timestamp is ≥ the target. The time
     * index skips batches known to be older; then headers are scanned; then the records of the one
     * batch that must hold the answer are iterated (decompressing that batch only).
     */
    Optional<TimestampAndOffset> findOffsetByTimestamp(long targetTimestamp, long startingOffset) {
        ensureIndexes();
        TimeIndex.Entry hint = timeIndex.lookup(targetTimestamp);
        int position = offsetIndex.lookup(Math.max(hint.offset(), startingOffset)).position();
        for (FileChannelRecordBatch batch : log.batchesFrom(position)) {
            if (batch.lastOffset() < startingOffset || batch.maxTimestamp() < targetTimestamp) continue;
            Optional<TimestampAndOffset> found = firstRecord(batch, r -> r.timestamp() >= targetTimestamp && r.offset() >= startingOffset);
            if (found.isPresent()) return found;
        }
        return Optional.empty();
    }

    /** The first record with the segment's max timestamp; empty if no batch has a timestamp. */
    Optional<TimestampAndOffset> offsetOfMaxTimestamp() {
        ensureIndexes();
        if (maxTimestampSoFar == RecordBatch.NO_TIMESTAMP) return Optional.empty();
        long max = maxTimestampSoFar;
        FileChannelRecordBatch batch = batchEndingAt(offsetOfMaxTimestampSoFar).orElseThrow(() ->
                new IllegalStateException("no batch ends at " + offsetOfMaxTimestampSoFar + " in " + logFile()));
        return Optional.of(firstRecord(batch, r -> r.timestamp() == max).orElseThrow(() ->
                new IllegalStateException("batch ending at " + offsetOfMaxTimestampSoFar + " has no record at " + max)));
    }

    private static Optional<TimestampAndOffset> firstRecord(RecordBatch batch, java.util.function.Predicate<Record> match) {
        Optional<Integer> epoch = batch.partitionLeaderEpoch() == RecordBatch.NO_PARTITION_LEADER_EPOCH
                ? Optional.empty() : Optional.of(batch.partitionLeaderEpoch());
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            while (records.hasNext()) {
                Record record = records.next();
                if (match.test(record)) return Optional.of(new TimestampAndOffset(record.timestamp(), record.offset(), epoch));
            }
        }
        return Optional.empty();
    }

    long maxTimestampSoFar() {
        ensureIndexes();
        return maxTimestampSoFar;
    }

    /** The newest timestamp in the segment, for time retention; the file's mtime if it has none. */
    long largestTimestampMs() {
        long max = maxTimestampSoFar();
        if (max != RecordBatch.NO_TIMESTAMP) return max;
        try {
            return Files.getLastModifiedTime(logFile()).toMillis();
        } catch (IOException e) {
            throw LogFiles.storageError("reading the mtime of " + logFile(), e);
        }
    }

    /** The first batch's max timestamp: when the segment's oldest data arrived, roughly. */
    long firstBatchTimestamp() {
        if (!firstBatchTimestampKnown && !isEmpty()) {
            firstBatchTimestamp = log.batches().iterator().next().maxTimestamp();
            firstBatchTimestampKnown = true;
        }
        return firstBatchTimestampKnown ? firstBatchTimestamp : RecordBatch.NO_TIMESTAMP;
    }

    /**
     * Where the batches end and the offset after the last one, scanning headers from the last
     * offset-index entry. {@code endPosition < sizeInBytes()} means the file has a bad tail.
     */
    Tail scanTail() {
        ensureIndexes();
        int position = offsetIndex.lastEntry().map(OffsetIndex.Entry::position).orElse(0);
        long next = baseOffset;
        int end = position;
        try {
            for (FileChannelRecordBatch batch : log.batchesFrom(position)) {
                next = batch.nextOffset();
                end = batch.position() + batch.sizeInBytes();
            }
        } catch (CorruptRecordException e) {
            // A garbled length field: the caller sees end < size and recovers the segment.
        }
        return new Tail(next, end);
    }

    // ---- truncation and index maintenance -------------------------------------------------

    /** Drops the batch containing {@code offset} and everything after it; returns bytes dropped. */
    int truncateTo(long offset) {
        int position = positionOf(offset);
        if (position < 0) return 0;
        int dropped = sizeInBytes() - position;
        truncateToBytes(position);
        return dropped;
    }

    /** Cuts the file to {@code validBytes} (a batch boundary) and rebuilds the indexes. */
    void truncateToBytes(int validBytes) {
        try {
            log.truncateTo(validBytes);
        } catch (IOException e) {
            throw LogFiles.storageError("truncating " + logFile() + " to " + validBytes, e);
        }
        firstBatchTimestampKnown = false;
        rebuildIndexes();
    }

    /** Recomputes both indexes and the max timestamp from the batch headers in the file. */
    void rebuildIndexes() {
        try {
            if (offsetIndex != null) offsetIndex.delete();
            if (timeIndex != null) timeIndex.delete();
            offsetIndex = OffsetIndex.create(LogFiles.indexFile(dir, baseOffset), baseOffset, maxIndexBytes);
            timeIndex = TimeIndex.create(LogFiles.timeIndexFile(dir, baseOffset), baseOffset, maxIndexBytes);
        } catch (IOException e) {
            throw LogFiles.storageError("recreating the indexes of " + logFile(), e);
        }
        bytesSinceLastIndexEntry = 0;
        maxTimestampSoFar = RecordBatch.NO_TIMESTAMP;
        offsetOfMaxTimestampSoFar = -1;
        try {
            for (FileChannelRecordBatch batch : log.batches()) {
                indexBatch(batch.lastOffset(), batch.position(), batch.maxTimestamp(), batch.sizeInBytes());
            }
        } catch (CorruptRecordException e) {
            // A garbled tail (only possible before recovery has run): index what precedes it;
            // the caller's tail check sends the segment to LogRecovery.
            LOG.warnf("Indexing of %s stopped at a corrupt batch: %s", logFile(), e.getMessage());
        }
        appendFinalTimeIndexEntry();
    }

    private void ensureIndexes() {
        if (offsetIndex != null) return;
        Optional<String> problem;
        try {
            OffsetIndex offsets = OffsetIndex.load(LogFiles.indexFile(dir, baseOffset), baseOffset, maxIndexBytes);
            TimeIndex times = TimeIndex.load(LogFiles.timeIndexFile(dir, baseOffset), baseOffset, maxIndexBytes);
            offsetIndex = offsets;
            timeIndex = times;
            problem = checkIndexesAgainstLog();
        } catch (CorruptIndexException e) {
            problem = Optional.of(e.getMessage());
        } catch (IOException e) {
            throw LogFiles.storageError("loading the indexes of " + logFile(), e);
        }
        if (problem.isPresent()) {
            LOG.warnf("Rebuilding the indexes of %s from the log: %s", logFile(), problem.get());
            rebuildIndexes();
        } else if (!isEmpty() && (offsetIndex.entries() == 0 || timeIndex.entries() == 0)) {
            // An empty index is legitimate for a segment smaller than the index interval or without
            // timestamps, but is also what a lost index file looks like. Rebuilding costs the same
            // header scan a lookup would do on an empty index, so settle it.
            int loadedEntries = offsetIndex.entries() + timeIndex.entries();
            rebuildIndexes();
            if (offsetIndex.entries() + timeIndex.entries() != loadedEntries)
                LOG.warnf("Rebuilt the indexes of %s from the log: an index was empty", logFile());
        }
    }

    /** Cross-checks freshly loaded indexes with the log; sets the derived state when they agree. */
    private Optional<String> checkIndexesAgainstLog() {
        try {
            Optional<OffsetIndex.Entry> lastOffsetEntry = offsetIndex.lastEntry();
            if (lastOffsetEntry.isPresent()) {
                OffsetIndex.Entry e = lastOffsetEntry.get();
                Optional<FileChannelRecordBatch> batch = batchAtPosition(e.position());
                if (batch.isEmpty() || batch.get().lastOffset() != e.offset())
                    return Optional.of("last offset index entry " + e + " does not match a batch in the log");
            } else if (isEmpty() && timeIndex.entries() > 0) {
                return Optional.of("time index has entries for an empty segment");
            }
            Optional<TimeIndex.Entry> lastTimeEntry = timeIndex.lastEntry();
            if (lastTimeEntry.isPresent()) {
                TimeIndex.Entry e = lastTimeEntry.get();
                Optional<FileChannelRecordBatch> batch = batchEndingAt(e.offset());
                if (batch.isEmpty() || batch.get().maxTimestamp() != e.timestamp())
                    return Optional.of("last time index entry " + e + " does not match a batch in the log");
                // The final entry written on roll and close is the segment's max timestamp.
                maxTimestampSoFar = e.timestamp();
                offsetOfMaxTimestampSoFar = e.offset();
            }
            bytesSinceLastIndexEntry = sizeInBytes() - lastOffsetEntry.map(OffsetIndex.Entry::position).orElse(0);
            return Optional.empty();
        } catch (CorruptRecordException e) {
            return Optional.of("index points into a corrupt part of the log: " + e.getMessage());
        }
    }

    private Optional<FileChannelRecordBatch> batchAtPosition(int position) {
        if (position >= sizeInBytes()) return Optional.empty();
        Iterator<FileChannelRecordBatch> it = log.batchesFrom(position).iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    private void appendFinalTimeIndexEntry() {
        try {
            timeIndex.maybeAppend(maxTimestampSoFar, offsetOfMaxTimestampSoFar);
        } catch (IOException e) {
            throw LogFiles.storageError("writing the time index of " + logFile(), e);
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------

    /** Called when a newer segment takes over: seals the time index and fsyncs everything. */
    void onBecomeInactive() {
        ensureIndexes();
        appendFinalTimeIndexEntry();
        flush();
        try {
            offsetIndex.close();
            timeIndex.close();
        } catch (IOException e) {
            throw LogFiles.storageError("closing the indexes of " + logFile(), e);
        }
    }

    /** fsyncs the log file and, if loaded, both index files. */
    void flush() {
        try {
            log.flush();
            if (offsetIndex != null) {
                offsetIndex.flush();
                timeIndex.flush();
            }
        } catch (IOException e) {
            throw LogFiles.storageError("flushing " + logFile(), e);
        }
    }

    /** Like {@link #close()}, but the log's channel closes a grace period later: fetches may still read it. */
    void retire() {
        sealIndexes();
        try {
            log.flush();
        } catch (IOException e) {
            throw LogFiles.storageError("closing " + logFile(), e);
        }
        LogFiles.closeLater(log.channel());
    }

    /** Seals the time index, fsyncs and closes both indexes. */
    private void sealIndexes() {
        try {
            if (offsetIndex != null) {
                appendFinalTimeIndexEntry();
                offsetIndex.flush();
                timeIndex.flush();
                offsetIndex.close();
                timeIndex.close();
            }
        } catch (IOException e) {
            throw LogFiles.storageError("closing the indexes of " + logFile(), e);
        }
    }

    /** Seals the time index, fsyncs and closes every file. */
    void close() {
        sealIndexes();
        try {
            log.close();
        } catch (IOException e) {
            throw LogFiles.storageError("closing " + logFile(), e);
        }
    }

    /**
     * Deletes the segment's files without flushing. The log's channel closes a grace period later
     * ({@link LogFiles#closeLater}): a fetch response may still be sending bytes from it.
     */
    void deleteFiles() {
        try {
            if (offsetIndex != null) {
                offsetIndex.delete();
                timeIndex.delete();
            }
            LogFiles.closeLater(log.channel());
            Files.deleteIfExists(logFile());
            Files.deleteIfExists(LogFiles.indexFile(dir, baseOffset));
            Files.deleteIfExists(LogFiles.timeIndexFile(dir, baseOffset));
        } catch (IOException e) {
            throw LogFiles.storageError("deleting segment " + logFile(), e);
        }
    }

    @Override
    public String toString() {
        return "LogSegment(" + logFile() + ", " + sizeInBytes() + " bytes)";
    }
}
