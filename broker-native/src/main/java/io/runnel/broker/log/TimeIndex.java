package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * A segment's sparse time index, in Kafka's file format ({@code %020d.timeindex}: entries of int64
 * timestamp, int32 offset relative to the segment's base offset). An entry {@code (t, o)} says: the
 * largest timestamp in the segment up to and including the batch ending at offset {@code o} is
 * {@code t}, and that batch is the first to reach it. So every record before that batch has a
 * timestamp below {@code t}, which is what makes {@link #lookup} a safe starting point for a
 * search by timestamp.
 *
 * <p>Entries are appended when the segment's max timestamp rises, at most once per
 * {@code indexIntervalBytes} (driven by {@link LogSegment}), plus one final entry when the segment
 * stops being active or is closed, so the last entry of a finished segment is its max timestamp.
 * Held in memory as primitive arrays, backed by an append-only {@link IndexFile}, loaded lazily by
 * {@link LogSegment}. {@link #isFull()} is the segment's roll trigger, not a hard cap: the file is
 * not preallocated, so the final entry (or a multi-batch append) may go a few entries past it.
 *
 * <p>Invariant: timestamps strictly increase, offsets never decrease. Not thread-safe: owned by the
 * partition's owner thread.
 */
final class TimeIndex {
    static final int ENTRY_BYTES = 12;

    /** One index entry as absolute values. */
    record Entry(long timestamp, long offset) {}

    private final long baseOffset;
    private final int maxEntries;
    private final IndexFile file;
    private final ByteBuffer entryBuffer = ByteBuffer.allocate(ENTRY_BYTES);
    private long[] timestamps;
    private int[] relativeOffsets;
    private int entries;

    private TimeIndex(Path path, long baseOffset, int maxIndexBytes, long[] timestamps, int[] relativeOffsets, int entries) {
        this.baseOffset = baseOffset;
        this.maxEntries = Math.max(1, maxIndexBytes / ENTRY_BYTES);
        this.file = new IndexFile(path, ENTRY_BYTES);
        this.timestamps = timestamps;
        this.relativeOffsets = relativeOffsets;
        this.entries = entries;
    }

    /** A new, empty index; any existing file at {@code path} is emptied. */
    static TimeIndex create(Path path, long baseOffset, int maxIndexBytes) throws IOException {
        TimeIndex index = new TimeIndex(path, baseOffset, maxIndexBytes, new long[16], new int[16], 0);
        index.file.truncateToEntries(0);
        return index;
    }

    /** Loads the file; throws {@link CorruptIndexException} when missing, torn or non-monotonic. */
    static TimeIndex load(Path path, long baseOffset, int maxIndexBytes) throws IOException {
        ByteBuffer bytes = new IndexFile(path, ENTRY_BYTES).readAll()
                .orElseThrow(() -> new CorruptIndexException(path + " is missing"));
        if (bytes.remaining() % ENTRY_BYTES != 0)
            throw new CorruptIndexException(path + " has a partial entry (" + bytes.remaining() + " bytes)");
        int n = bytes.remaining() / ENTRY_BYTES;
        long[] timestamps = new long[Math.max(n, 16)];
        int[] offsets = new int[Math.max(n, 16)];
        for (int i = 0; i < n; i++) {
            timestamps[i] = bytes.getLong();
            offsets[i] = bytes.getInt();
            boolean monotonic = i == 0 ? offsets[i] >= 0 && timestamps[i] >= 0
                    : timestamps[i] > timestamps[i - 1] && offsets[i] >= offsets[i - 1];
            if (!monotonic) throw new CorruptIndexException(path + " entry " + i + " is not monotonic");
        }
        return new TimeIndex(path, baseOffset, maxIndexBytes, timestamps, offsets, n);
    }

    /** Appends {@code (timestamp, offset)} if it raises the last entry's timestamp. */
    void maybeAppend(long timestamp, long offset) throws IOException {
        if (timestamp == RecordBatch.NO_TIMESTAMP) return;
        if (entries > 0 && timestamp <= timestamps[entries - 1]) return;
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) throw new IllegalStateException("offset " + offset + " outside segment " + baseOffset);
        if (entries > 0 && relative < relativeOffsets[entries - 1])
            throw new IllegalStateException("time index offset " + offset + " below the last entry " + lastEntry());
        if (entries == timestamps.length) grow();
        timestamps[entries] = timestamp;
        relativeOffsets[entries] = (int) relative;
        entries++;
        entryBuffer.clear();
        entryBuffer.putLong(timestamp).putInt((int) relative).flip();
        file.append(entryBuffer);
    }

    /**
     * The last entry with timestamp ≤ {@code targetTimestamp}: every record before its batch is
     * older than the target. (NO_TIMESTAMP, baseOffset) when no entry qualifies.
     */
    Entry lookup(long targetTimestamp) {
        if (entries == 0 || targetTimestamp < timestamps[0]) return new Entry(RecordBatch.NO_TIMESTAMP, baseOffset);
        int slot = Arrays.binarySearch(timestamps, 0, entries, targetTimestamp);
        if (slot < 0) slot = -slot - 2;
        return new Entry(timestamps[slot], baseOffset + relativeOffsets[slot]);
    }

    Optional<Entry> lastEntry() {
        return entries == 0 ? Optional.empty()
                : Optional.of(new Entry(timestamps[entries - 1], baseOffset + relativeOffsets[entries - 1]));
    }

    int entries() {
        return entries;
    }

    boolean isFull() {
        return entries >= maxEntries;
    }

    void flush() throws IOException {
        file.flush();
    }

    void close() throws IOException {
        file.close();
    }

    void delete() throws IOException {
        file.delete();
    }

    private void grow() {
        int capacity = timestamps.length * 2;
        timestamps = Arrays.copyOf(timestamps, capacity);
        relativeOffsets = Arrays.copyOf(relativeOffsets, capacity);
    }
}
