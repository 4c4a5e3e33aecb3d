package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The append-only file behind an in-memory index: fixed-size big-endian entries, written through
 * a small buffer and made durable only by {@link #flush()}. Losing unflushed entries in a crash
 * is fine: recovery rebuilds every index at or after the recovery point from the log itself.
 *
 * <p>Invariant: file length + buffered bytes = entries × entry size. The channel is opened only
 * when the first entry is written, so inactive segments hold no index file handles.
 *
 * <p>Not thread-safe: owned by its segment's owner thread.
 */
final class IndexFile {
    private static final int ENTRIES_PER_WRITE = 512;

    private final Path path;
    private final int entryBytes;
    private final ByteBuffer pending;
    private FileChannel channel;
    private boolean dirty;

    IndexFile(Path path, int entryBytes) {
        this.path = path;
        this.entryBytes = entryBytes;
        this.pending = ByteBuffer.allocate(entryBytes * ENTRIES_PER_WRITE);
    }

    Path path() {
        return path;
    }

    /** The whole file, or empty if it does not exist. Call before any append. */
    Optional<ByteBuffer> readAll() throws IOException {
        try {
            return Optional.of(ByteBuffer.wrap(Files.readAllBytes(path)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Queues one entry; {@code entry} must hold exactly one entry between position and limit. */
    void append(ByteBuffer entry) throws IOException {
        if (entry.remaining() != entryBytes) throw new IllegalStateException("index entry of " + entry.remaining() + " bytes, expected " + entryBytes);
        if (pending.remaining() < entryBytes) writePending();
        pending.put(entry);
        dirty = true;
    }

    /** Cuts the file to its first {@code entries} entries (0 empties it). */
    void truncateToEntries(int entries) throws IOException {
        writePending();
        open().truncate((long) entries * entryBytes);
        dirty = true;
    }

    /** Writes buffered entries and fsyncs. */
    void flush() throws IOException {
        writePending();
        if (dirty && channel != null) channel.force(true);
        dirty = false;
    }

    /** Writes buffered entries and releases the file handle; the index stays usable. */
    void close() throws IOException {
        writePending();
        if (channel != null) channel.close();
        channel = null;
    }

    void delete() throws IOException {
        pending.clear();
        if (channel != null) channel.close();
        channel = null;
        Files.deleteIfExists(path);
    }

    private void writePending() throws IOException {
        if (pending.position() == 0) return;
        pending.flip();
        FileChannel ch = open();
        while (pending.hasRemaining()) ch.write(pending);
        pending.clear();
    }

    private FileChannel open() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        }
        return channel;
    }
}
