package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A segment's sparse offset index, in Kafka's file format ({@code %020d.index}: entries of int32
 * offset relative to the segment's base offset, int32 byte position in the segment file). An entry
 * {@code (o, p)} says: the batch starting at byte {@code p} has last offset {@code o}. Lookups
 * return the position of the last entry at or below the target, from which a short scan of batch
 * headers finds the target's batch.
 *
 * <p>Held in memory as two int arrays (no mmap) backed by an append-only {@link IndexFile};
 * {@link LogSegment} loads it on first use, so inactive segments cost nothing until read.
 * {@link #isFull()} is the segment's roll trigger, not a hard cap: the file is not preallocated,
 * so a multi-batch append may go a few entries past it.
 *
 * <p>Invariant: offsets and positions strictly increase; violations throw
 * {@link IllegalStateException} rather than writing a bad entry. Not thread-safe: owned by the
 * partition's owner thread.
 */
final class OffsetIndex {
    static final int ENTRY_BYTES = 8;

    /** One index entry as absolute values. */
    record Entry(long offset, int position) {}

    private final long baseOffset;
    private final int maxEntries;
    private final IndexFile file;
    private final ByteBuffer entryBuffer = ByteBuffer.allocate(ENTRY_BYTES);
    private int[] relativeOffsets;
    private int[] positions;
    private int entries;

    private OffsetIndex(Path path, long baseOffset, int maxIndexBytes, int[] relativeOffsets, int[] positions, int entries) {
        this.baseOffset = baseOffset;
        // Kafka rounds the size down to whole entries; we keep at least one so an index can never
        // be "full" while empty, which would roll segments forever.
        this.maxEntries = Math.max(1, maxIndexBytes / ENTRY_BYTES);
        this.file = new IndexFile(path, ENTRY_BYTES);
        this.relativeOffsets = relativeOffsets;
        this.positions = positions;
        this.entries = entries;
    }

    /** A new, empty index; any existing file at {@code path} is emptied. */
    static OffsetIndex create(Path path, long baseOffset, int maxIndexBytes) throws IOException {
        OffsetIndex index = new OffsetIndex(path, baseOffset, maxIndexBytes, new int[16], new int[16], 0);
        index.file.truncateToEntries(0);
        return index;
    }

    /**
     * Loads the index file; throws {@link CorruptIndexException} when it is missing, has a partial
     * entry, or its entries are not strictly increasing.
     */
    static OffsetIndex load(Path path, long baseOffset, int maxIndexBytes) throws IOException {
        ByteBuffer bytes = new IndexFile(path, ENTRY_BYTES).readAll()
                .orElseThrow(() -> new CorruptIndexException(path + " is missing"));
        if (bytes.remaining() % ENTRY_BYTES != 0)
            throw new CorruptIndexException(path + " has a partial entry (" + bytes.remaining() + " bytes)");
        int n = bytes.remaining() / ENTRY_BYTES;
        int[] offsets = new int[Math.max(n, 16)];
        int[] positions = new int[Math.max(n, 16)];
        for (int i = 0; i < n; i++) {
            offsets[i] = bytes.getInt();
            positions[i] = bytes.getInt();
            boolean increasing = i == 0 ? offsets[i] >= 0 && positions[i] >= 0
                    : offsets[i] > offsets[i - 1] && positions[i] > positions[i - 1];
            if (!increasing) throw new CorruptIndexException(path + " entry " + i + " is not increasing");
        }
        return new OffsetIndex(path, baseOffset, maxIndexBytes, offsets, positions, n);
    }

    void append(long offset, int position) throws IOException {
        long relative = offset - baseOffset;
        if (relative < 0 || relative > Integer.MAX_VALUE) throw new IllegalStateException("offset " + offset + " outside segment " + baseOffset);
        if (entries > 0 && (relative <= relativeOffsets[entries - 1] || position <= positions[entries - 1]))
            throw new IllegalStateException("non-increasing offset index entry (" + offset + ", " + position + ") after " + lastEntry());
        if (entries == relativeOffsets.length) grow();
        relativeOffsets[entries] = (int) relative;
        positions[entries] = position;
        entries++;
        entryBuffer.clear();
        entryBuffer.putInt((int) relative).putInt(position).flip();
        file.append(entryBuffer);
    }

    /** The last entry with offset ≤ {@code targetOffset}, or (baseOffset, 0) if there is none. */
    Entry lookup(long targetOffset) {
        long relative = targetOffset - baseOffset;
        if (entries == 0 || relative < relativeOffsets[0]) return new Entry(baseOffset, 0);
        int slot = Arrays.binarySearch(relativeOffsets, 0, entries, (int) Math.min(relative, Integer.MAX_VALUE));
        if (slot < 0) slot = -slot - 2;
        return new Entry(baseOffset + relativeOffsets[slot], positions[slot]);
    }

    /**
     * The position of the last entry at or after byte {@code from} whose position is at most
     * {@code upToPosition} and whose offset is below {@code offsetBelow}; {@code from} if there is
     * none. The batches between {@code from} (a batch start) and that position are then whole,
     * end by it, and all start below {@code offsetBelow}: a read may take them without their headers.
     */
    int lastPositionWithin(int from, long upToPosition, long offsetBelow) {
        if (entries == 0 || upToPosition < positions[0] || offsetBelow - baseOffset <= relativeOffsets[0]) return from;
        int byPosition = Arrays.binarySearch(positions, 0, entries, (int) Math.min(upToPosition, Integer.MAX_VALUE));
        if (byPosition < 0) byPosition = -byPosition - 2; // the last entry at or below
        // The last entry strictly below offsetBelow: search offsetBelow - 1, at or below.
        int byOffset = Arrays.binarySearch(relativeOffsets, 0, entries, (int) Math.min(offsetBelow - 1 - baseOffset, Integer.MAX_VALUE));
        if (byOffset < 0) byOffset = -byOffset - 2;
        int slot = Math.min(byPosition, byOffset);
        return slot >= 0 && positions[slot] > from ? positions[slot] : from;
    }

    Optional<Entry> lastEntry() {
        return entries == 0 ? Optional.empty() : Optional.of(entry(entries - 1));
    }

    Entry entry(int i) {
        if (i < 0 || i >= entries) throw new IndexOutOfBoundsException(i);
        return new Entry(baseOffset + relativeOffsets[i], positions[i]);
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
        int capacity = relativeOffsets.length * 2;
        relativeOffsets = Arrays.copyOf(relativeOffsets, capacity);
        positions = Arrays.copyOf(positions, capacity);
    }
}
