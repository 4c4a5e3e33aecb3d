package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;

/**
 * The aborted transactions of one partition, in marker order, in memory and in the file
 * {@code aborted-transactions.index}: fixed 34-byte entries as in Kafka's {@code .txnindex}
 * (int16 version 0, int64 producerId, int64 firstOffset, int64 lastOffset, int64 lastStableOffset),
 * but one file per partition rather than per segment, so that compaction merging segments and
 * retention deleting them never have to move entries between files.
 *
 * <p>Durability: entries are appended as their ABORT markers are written and fsynced with the
 * log's flushes, so every entry below the recovery point is on disk. The producer-state replay
 * that follows a restart or truncation first drops the entries at or after its start
 * ({@link #truncateFrom}) and re-adds them from the markers it replays, so a lost or torn tail
 * (a trailing partial entry is ignored) is rebuilt from the log. Entries wholly below the log
 * start are dropped when the start moves ({@link #dropBelow}).
 *
 * <p>Threading: owned by its {@link PartitionLog}'s thread.
 */
final class AbortedTxnIndex {
    private static final Logger LOG = Logger.getLogger(AbortedTxnIndex.class);
    static final int ENTRY_BYTES = 2 + 8 + 8 + 8 + 8;
    private static final short VERSION = 0;

    private final Path file;
    private final List<AbortedTxn> entries;
    private FileChannel channel;
    private boolean dirty;

    private AbortedTxnIndex(Path file, List<AbortedTxn> entries) {
        this.file = file;
        this.entries = entries;
    }

    static AbortedTxnIndex open(Path dir) {
        Path file = dir.resolve(LogFiles.ABORTED_TXN_INDEX);
        List<AbortedTxn> entries = new ArrayList<>();
        boolean clean = true;
        try {
            if (Files.exists(file)) {
                ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file));
                while (buffer.remaining() >= ENTRY_BYTES) {
                    short version = buffer.getShort();
                    AbortedTxn txn = new AbortedTxn(buffer.getLong(), buffer.getLong(), buffer.getLong(), buffer.getLong());
                    if (version != VERSION || txn.lastOffset() < txn.firstOffset()) {
                        LOG.warnf("%s has an invalid entry after %d good ones; the rest is rebuilt from the log", file, entries.size());
                        clean = false;
                        break;
                    }
                    entries.add(txn);
                }
                if (buffer.hasRemaining()) clean = false;
            }
        } catch (IOException e) {
            throw LogFiles.storageError("reading " + file, e);
        }
        AbortedTxnIndex index = new AbortedTxnIndex(file, entries);
        if (!clean) index.rewrite(); // drops a torn tail, so appends start on an entry boundary
        return index;
    }

    void append(AbortedTxn txn) {
        if (!entries.isEmpty() && txn.lastOffset() <= entries.get(entries.size() - 1).lastOffset())
            throw new IllegalStateException("aborted transaction " + txn + " does not follow " + entries.get(entries.size() - 1));
        entries.add(txn);
        try {
            if (channel == null) channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            channel.write(encode(List.of(txn)));
        } catch (IOException e) {
            throw LogFiles.storageError("appending to " + file, e);
        }
        dirty = true;
    }

    /** Every aborted transaction with records at or after {@code fetchOffset} and below {@code upperBoundOffset}. */
    List<AbortedTxn> collect(long fetchOffset, long upperBoundOffset) {
        List<AbortedTxn> found = new ArrayList<>();
        // Entries are in marker order; a transaction can start long before its marker, so scan back from the end.
        for (int i = entries.size() - 1; i >= 0; i--) {
            AbortedTxn txn = entries.get(i);
            if (txn.lastOffset() < fetchOffset) break;
            if (txn.firstOffset() < upperBoundOffset) found.add(0, txn);
        }
        return found;
    }

    /** Drops the entries whose marker is at or after {@code offset} (a truncation, or a replay from there). */
    void truncateFrom(long offset) {
        int keep = entries.size();
        while (keep > 0 && entries.get(keep - 1).lastOffset() >= offset) keep--;
        if (keep == entries.size()) return;
        entries.subList(keep, entries.size()).clear();
        rewrite();
    }

    /** Drops the entries wholly below the log start: no fetch can reach them. */
    void dropBelow(long logStartOffset) {
        int drop = 0;
        while (drop < entries.size() && entries.get(drop).lastOffset() < logStartOffset) drop++;
        if (drop == 0) return;
        entries.subList(0, drop).clear();
        rewrite();
    }

    void clear() {
        entries.clear();
        rewrite();
    }

    int size() {
        return entries.size();
    }

    void flush() {
        if (!dirty || channel == null) return;
        try {
            channel.force(false);
        } catch (IOException e) {
            throw LogFiles.storageError("flushing " + file, e);
        }
        dirty = false;
    }

    void close() {
        try {
            if (channel != null) channel.close();
        } catch (IOException e) {
            LOG.warnf("Closing %s: %s", file, e.toString());
        }
        channel = null;
    }

    /** Replaces the file with the entries in memory (durably); the next append reopens it. */
    private void rewrite() {
        close();
        if (entries.isEmpty()) {
            LogFiles.deleteIfExists(file);
        } else {
            LogFiles.writeAtomically(file, encode(entries).array());
        }
        dirty = false;
    }

    private static ByteBuffer encode(List<AbortedTxn> txns) {
        ByteBuffer buffer = ByteBuffer.allocate(txns.size() * ENTRY_BYTES);
        for (AbortedTxn t : txns) buffer.putShort(VERSION).putLong(t.producerId()).putLong(t.firstOffset()).putLong(t.lastOffset()).putLong(t.lastStableOffset());
        return buffer.flip();
    }
}
