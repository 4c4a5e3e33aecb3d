package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;

/** Builds record batches the way producers send them, and reads logs back as plain values. */
final class LogTestSupport {
    private LogTestSupport() {}

    /** A record as the log holds it. */
    record Stored(long offset, long timestamp, String value) {}

    static SimpleRecord record(long timestamp, String value) {
        return new SimpleRecord(timestamp, null, value.getBytes(StandardCharsets.UTF_8));
    }

    /** One uncompressed CREATE_TIME batch of {@code values}, all with {@code timestamp}. */
    static MemoryRecords batch(long timestamp, String... values) {
        return batch(Compression.NONE, timestamp, values);
    }

    static MemoryRecords batch(Compression compression, long timestamp, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = record(timestamp, values[i]);
        return MemoryRecords.withRecords(compression, records);
    }

    /** One batch with a timestamp per record. */
    static MemoryRecords batch(Compression compression, SimpleRecord... records) {
        return MemoryRecords.withRecords(compression, records);
    }

    static MemoryRecords idempotent(long producerId, short epoch, int firstSeq, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = record(1_000L, values[i]);
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, firstSeq, records);
    }

    /** Size in bytes of a one-record batch built by {@link #batch(long, String...)}. */
    static int batchSize(String value) {
        return batch(1_000L, value).sizeInBytes();
    }

    /** Every record from the log start to the log end, read in small fetches. */
    static List<Stored> readAll(PartitionLog log) {
        List<Stored> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            MemoryRecords records = log.read(offset, 1 << 20, Long.MAX_VALUE, true).records();
            if (records.sizeInBytes() == 0) throw new AssertionError("empty read at " + offset + " below the log end " + log.logEndOffset());
            for (RecordBatch batch : records.batches()) {
                batch.ensureValid();
                for (Record r : batch) {
                    if (r.offset() >= offset) out.add(new Stored(r.offset(), r.timestamp(), value(r)));
                }
                offset = batch.nextOffset();
            }
        }
        return out;
    }

    static List<String> values(List<Stored> stored) {
        return stored.stream().map(Stored::value).toList();
    }

    static List<String> values(MemoryRecords records) {
        List<String> out = new ArrayList<>();
        for (RecordBatch batch : records.batches()) for (Record r : batch) out.add(value(r));
        return out;
    }

    static String value(Record r) {
        ByteBuffer v = r.value();
        byte[] bytes = new byte[v.remaining()];
        v.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] bytesOf(MemoryRecords records) {
        ByteBuffer b = records.buffer();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    static Path segmentFile(Path dir, long baseOffset) {
        return LogFiles.logFile(dir, baseOffset);
    }

    static Path lastSegmentFile(PartitionLog log) {
        List<Long> bases = log.segmentBaseOffsets();
        return segmentFile(log.dir(), bases.get(bases.size() - 1));
    }

    static void truncateFile(Path file, long size) throws IOException {
        try (var channel = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    /** Inverts one byte at {@code position}. */
    static void flipByte(Path file, long position) throws IOException {
        byte[] all = Files.readAllBytes(file);
        all[(int) position] = (byte) ~all[(int) position];
        Files.write(file, all);
    }
}
