package io.runnel.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The record batches of one replica of a partition as they lie in a broker's segment files
 * ({@code <log dir>/<topic>-<partition>/<base offset>.log}, Kafka's format), read with
 * kafka-clients' record classes, and the comparison of several replicas of one partition.
 *
 * <p>The contract compared (Kafka's replication): every replica in the ISR holds, below the
 * partition's high watermark, exactly the leader's batches: same offsets, same leader epoch
 * stamped in each batch, same CRC (which covers the records), same producer id and sequence, since
 * a follower appends the batches it fetched as they are and truncates whatever it has that the
 * leader does not. Above the high watermark replicas may differ (not committed yet).
 *
 * <p>Reading a segment a broker is appending to is fine: the reader stops at a batch not written
 * completely, which can only be above the high watermark.
 */
public final class ReplicaLogs {
    private static final int MAX_LISTED = 10;

    private ReplicaLogs() {}

    /** A batch header, as stored; {@code segment} is the file it was read from (not part of the comparison). */
    public record Batch(long baseOffset, long lastOffset, int partitionLeaderEpoch, long crc, long producerId, int baseSequence,
                        int records, String segment) {
        boolean sameAs(Batch other) {
            return baseOffset == other.baseOffset && lastOffset == other.lastOffset && partitionLeaderEpoch == other.partitionLeaderEpoch
                    && crc == other.crc && producerId == other.producerId && baseSequence == other.baseSequence && records == other.records;
        }

        @Override
        public String toString() {
            return "[" + baseOffset + ".." + lastOffset + " epoch " + partitionLeaderEpoch + " crc " + Long.toHexString(crc)
                    + " pid " + producerId + " seq " + baseSequence + " in " + segment + "]";
        }
    }

    /** The directory of {@code topic}-{@code partition} in a broker's log dir. */
    public static Path partitionDir(Path logDir, String topic, int partition) {
        return logDir.resolve(topic + "-" + partition);
    }

    /** Every batch of the replica, in offset order (segment by segment); empty if the directory is not there. */
    public static List<Batch> read(Path partitionDir) {
        List<Batch> batches = new ArrayList<>();
        for (Path segment : segments(partitionDir)) {
            for (RecordBatch batch : snapshot(segment).batches()) {
                batches.add(new Batch(batch.baseOffset(), batch.lastOffset(), batch.partitionLeaderEpoch(), batch.checksum(),
                        batch.producerId(), batch.baseSequence(), batch.countOrNull() == null ? -1 : batch.countOrNull(),
                        segment.getFileName().toString()));
            }
        }
        return batches;
    }

    /** Offset → value (UTF-8) of every record of the replica, checking each batch's CRC on the way. */
    public static Map<Long, String> values(Path partitionDir) {
        Map<Long, String> values = new TreeMap<>();
        for (Path segment : segments(partitionDir)) {
            for (RecordBatch batch : snapshot(segment).batches()) {
                batch.ensureValid();
                for (Record record : batch) {
                    values.put(record.offset(), record.value() == null ? null
                            : StandardCharsets.UTF_8.decode(record.value().duplicate()).toString());
                }
            }
        }
        return values;
    }

    /**
     * What breaks the contract among {@code replicas} (broker id → its batches) below
     * {@code highWatermark}: a replica that does not hold every offset below it, a gap or overlap
     * in a replica's own batches, and the first batch where two replicas differ. Empty when they
     * agree.
     */
    public static List<String> compareBelow(long highWatermark, Map<Integer, List<Batch>> replicas) {
        List<String> problems = new ArrayList<>();
        Map<Integer, List<Batch>> committed = new TreeMap<>();
        replicas.forEach((broker, batches) -> {
            List<Batch> below = batches.stream().filter(b -> b.baseOffset() < highWatermark).toList();
            committed.put(broker, below);
            long next = below.isEmpty() ? -1 : below.get(0).baseOffset();
            for (Batch batch : below) {
                if (batch.baseOffset() != next) {
                    problems.add("broker " + broker + ": batch " + batch + " does not follow the batch before it (expected base offset "
                            + next + ")");
                }
                next = batch.lastOffset() + 1;
            }
            long end = below.isEmpty() ? 0 : below.get(below.size() - 1).lastOffset() + 1;
            if (end < highWatermark) {
                problems.add("broker " + broker + " holds offsets up to " + (end - 1) + " only, below the high watermark " + highWatermark
                        + " (last batches: " + tail(below) + ")");
            }
        });
        if (committed.isEmpty()) return problems;
        Map.Entry<Integer, List<Batch>> reference = committed.entrySet().iterator().next();
        for (Map.Entry<Integer, List<Batch>> other : committed.entrySet()) {
            if (other.getKey().equals(reference.getKey())) continue;
            List<Batch> a = reference.getValue();
            List<Batch> b = other.getValue();
            int common = Math.min(a.size(), b.size());
            boolean differ = false;
            for (int i = 0; i < common && !differ; i++) {
                if (!a.get(i).sameAs(b.get(i))) {
                    problems.add("brokers " + reference.getKey() + " and " + other.getKey() + " differ below the high watermark "
                            + highWatermark + " at their batch #" + i + ": " + a.get(i) + " vs " + b.get(i));
                    differ = true;
                }
            }
            if (!differ && a.size() != b.size()) {
                problems.add("brokers " + reference.getKey() + " and " + other.getKey() + " hold " + a.size() + " and " + b.size()
                        + " batches below the high watermark " + highWatermark + " (last batches: " + tail(a) + " vs " + tail(b) + ")");
            }
        }
        return problems;
    }

    /**
     * The segment's bytes as they are now, as records. Not {@link org.apache.kafka.common.record.internal.FileRecords}:
     * its close() trims the file to the size it saw at open, which would cut off whatever the
     * broker appended meanwhile (a read-only one throws instead). A batch still being written at
     * the end is left out, as FileRecords would.
     */
    private static MemoryRecords snapshot(Path segment) {
        try {
            return MemoryRecords.readableRecords(ByteBuffer.wrap(Files.readAllBytes(segment)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + segment, e);
        }
    }

    private static String tail(List<Batch> batches) {
        return batches.subList(Math.max(0, batches.size() - 2), batches.size()).toString();
    }

    private static List<Path> segments(Path partitionDir) {
        if (!Files.isDirectory(partitionDir)) return List.of();
        try (Stream<Path> files = Files.list(partitionDir)) {
            // Segment names are 20-digit zero-padded base offsets, so name order is log order.
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + partitionDir, e);
        }
    }

    /** The first few problems, one per line, for assertion messages. */
    public static String describe(List<String> problems) {
        StringBuilder text = new StringBuilder();
        problems.stream().limit(MAX_LISTED).forEach(p -> text.append("\n  ").append(p));
        if (problems.size() > MAX_LISTED) text.append("\n  ... and ").append(problems.size() - MAX_LISTED).append(" more");
        return text.toString();
    }
}
