package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.utils.internals.Crc32C;

/**
 * The {@code %020d.snapshot} file format: every producer's epoch and cached batches, as of the
 * offset in the file name. Runnel's own layout (Kafka's keeps only the last batch per producer;
 * we keep all five so duplicates are still recognised after a restart):
 *
 * <pre>
 *   int32 version (2) | uint32 CRC32C of the rest | int32 producer count
 *   per producer: int64 producerId | int16 epoch | int64 open transaction's first offset (-1: none)
 *                 | int32 coordinator epoch | int64 last timestamp | int32 batch count
 *     per batch: int32 firstSeq | int32 lastSeq | int64 firstOffset | int64 lastOffset | int64 maxTimestamp
 * </pre>
 *
 * Version 1 files (before transactions: no transaction fields) are still read.
 * Written atomically ({@link LogFiles#writeAtomically}); a file that fails its CRC or does not
 * parse is reported as {@link CorruptSnapshotException}. Stateless.
 */
final class ProducerStateSnapshot {
    private static final int VERSION = 2;
    private static final int VERSION_WITHOUT_TRANSACTIONS = 1;
    private static final int HEADER_BYTES = 12;
    private static final int PRODUCER_BYTES = 8 + 2 + 8 + 4 + 8 + 4;
    private static final int BATCH_BYTES = 4 + 4 + 8 + 8 + 8;

    /** A snapshot file that cannot be trusted. */
    static final class CorruptSnapshotException extends IOException {
        CorruptSnapshotException(String message) {
            super(message);
        }
    }

    private ProducerStateSnapshot() {}

    static void write(Path file, Collection<ProducerStateEntry> entries) {
        int size = HEADER_BYTES;
        for (ProducerStateEntry e : entries) size += PRODUCER_BYTES + e.batches().size() * BATCH_BYTES;
        ByteBuffer buffer = ByteBuffer.allocate(size);
        buffer.putInt(VERSION).putInt(0).putInt(entries.size());
        for (ProducerStateEntry e : entries) {
            buffer.putLong(e.producerId()).putShort(e.producerEpoch()).putLong(e.currentTxnFirstOffset()).putInt(e.coordinatorEpoch())
                    .putLong(e.lastTimestamp()).putInt(e.batches().size());
            for (BatchMetadata b : e.batches()) {
                buffer.putInt(b.firstSeq()).putInt(b.lastSeq()).putLong(b.firstOffset()).putLong(b.lastOffset()).putLong(b.maxTimestamp());
            }
        }
        buffer.putInt(4, (int) Crc32C.compute(buffer.array(), 8, size - 8));
        LogFiles.writeAtomically(file, buffer.array());
    }

    static Map<Long, ProducerStateEntry> read(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file));
        if (buffer.remaining() < HEADER_BYTES) throw new CorruptSnapshotException(file + " is too short");
        int version = buffer.getInt();
        if (version != VERSION && version != VERSION_WITHOUT_TRANSACTIONS) throw new CorruptSnapshotException(file + " has unknown version " + version);
        long crc = Integer.toUnsignedLong(buffer.getInt());
        if (crc != Crc32C.compute(buffer.array(), 8, buffer.limit() - 8)) throw new CorruptSnapshotException(file + " fails its CRC");
        try {
            return readEntries(buffer, version);
        } catch (RuntimeException e) {
            throw new CorruptSnapshotException(file + " does not parse: " + e);
        }
    }

    private static Map<Long, ProducerStateEntry> readEntries(ByteBuffer buffer, int version) throws CorruptSnapshotException {
        int producers = buffer.getInt();
        Map<Long, ProducerStateEntry> entries = new HashMap<>();
        for (int i = 0; i < producers; i++) {
            ProducerStateEntry entry = new ProducerStateEntry(buffer.getLong(), buffer.getShort());
            if (version >= VERSION) {
                entry.currentTxnFirstOffset(buffer.getLong());
                entry.coordinatorEpoch(buffer.getInt());
                entry.lastTimestamp(buffer.getLong());
            }
            int batches = buffer.getInt();
            for (int j = 0; j < batches; j++) {
                entry.addBatch(entry.producerEpoch(), new BatchMetadata(buffer.getInt(), buffer.getInt(), buffer.getLong(), buffer.getLong(), buffer.getLong()));
            }
            entries.put(entry.producerId(), entry);
        }
        if (buffer.hasRemaining()) throw new CorruptSnapshotException("trailing bytes after " + producers + " producers");
        return entries;
    }
}
