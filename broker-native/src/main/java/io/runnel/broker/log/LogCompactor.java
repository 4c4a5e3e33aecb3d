package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.jboss.logging.Logger;

/**
 * One cleaning pass of a compacted log ({@code cleanup.policy=compact}), Kafka's algorithm:
 * <ol>
 *   <li>map every key of the dirty part (from the cleaner checkpoint up to the first uncleanable
 *       offset: the active segment, or a record younger than {@code min.compaction.lag.ms}) to its
 *       latest offset, as far as {@code log.cleaner.dedupe.buffer.size} allows;</li>
 *   <li>rewrite the segments below that point, grouped up to {@code segment.bytes}, keeping a
 *       record only if no later record has its key; a tombstone (null value) is kept, and stamped
 *       with a delete horizon of now + {@code delete.retention.ms}, until a pass after that horizon;
 *       records without a key are dropped; a producer's last batch stays (empty if need be) so its
 *       idempotence state survives;</li>
 *   <li>each group is written to {@code <base>.log.cleaned}, fsynced and renamed to
 *       {@code <base>.log.swap}; {@link PartitionLog#installCompaction} then replaces the old
 *       segments on the log's owner thread.</li>
 * </ol>
 * Offsets never change: a kept record keeps its offset, so consumers' positions stay valid.
 *
 * <p>Threading: {@link #clean} runs on the cleaner's own thread and only reads segment files that
 * the owner no longer writes (everything below the active segment); the owner may still delete
 * them (retention), which makes the pass fail or its install refuse. Stateless.
 */
public final class LogCompactor {
    private static final Logger LOG = Logger.getLogger(LogCompactor.class);
    private static final int READ_CHUNK_BYTES = 1024 * 1024;
    /** Rough heap cost of one map entry beyond its key bytes (HashMap node, boxed Long, ByteBuffer). */
    private static final int MAP_ENTRY_OVERHEAD_BYTES = 96;

    private LogCompactor() {}

    /** Paces the cleaner's I/O ({@code log.cleaner.io.max.bytes.per.second}); called with each chunk read or written. */
    public interface Throttle {
        void consumed(long bytes);

        Throttle NONE = bytes -> { };
    }

    /** What the owner handed over: the segments below the first uncleanable offset, and the rules. */
    public record Plan(Path dir, List<Source> sources, long firstDirtyOffset, long firstUncleanableOffset,
                       Map<Long, Long> lastOffsetOfProducer, CompactionConfig config, int segmentBytes, long nowMs,
                       double dirtyRatio, List<AbortedTxn> abortedTxns) {
        /** Whether a transactional batch's records belong to an aborted transaction: they never win a key and are removed. */
        boolean isAborted(RecordBatch batch) {
            if (!batch.isTransactional() || batch.isControlBatch()) return false;
            for (AbortedTxn txn : abortedTxns) {
                if (txn.producerId() == batch.producerId() && batch.baseOffset() >= txn.firstOffset() && batch.lastOffset() <= txn.lastOffset()) return true;
            }
            return false;
        }

        /** A segment to clean: its base, where the next segment starts, its file. */
        public record Source(long baseOffset, long nextBaseOffset, FileRecords records) {}
    }

    /** One rewritten group: its base offset, the {@code .swap} file, and the old segments it replaces. */
    public record CleanedGroup(long baseOffset, Path swapFile, List<Source> replaced) {
        public record Source(long baseOffset, FileRecords records) {}
    }

    /** The pass's output; {@code cleanedUpTo} becomes the next pass's first dirty offset. */
    public record Result(List<CleanedGroup> groups, long cleanedUpTo, long bytesRead, long bytesWritten, int recordsRead,
                         int recordsKept) {}

    /** Cleans what {@code plan} names; on failure deletes what it wrote and rethrows. */
    public static Result clean(Plan plan, long dedupeBufferBytes, Throttle throttle) throws IOException {
        Map<ByteBuffer, Long> latest = new HashMap<>();
        long mappedUpTo = buildOffsetMap(plan, latest, dedupeBufferBytes, throttle);
        List<List<Plan.Source>> groups = group(plan.sources(), mappedUpTo, plan.segmentBytes());
        List<CleanedGroup> cleaned = new ArrayList<>();
        long[] stats = new long[4];
        try {
            for (List<Plan.Source> group : groups) cleaned.add(cleanGroup(plan, group, latest, throttle, stats));
        } catch (IOException | RuntimeException e) {
            for (CleanedGroup g : cleaned) Files.deleteIfExists(g.swapFile());
            throw e;
        }
        long cleanedUpTo = groups.isEmpty() ? plan.firstDirtyOffset() : groups.get(groups.size() - 1).get(groups.get(groups.size() - 1).size() - 1).nextBaseOffset();
        return new Result(cleaned, Math.max(plan.firstDirtyOffset(), cleanedUpTo), stats[0], stats[1], (int) stats[2], (int) stats[3]);
    }

    /**
     * Maps each key of the dirty range to its latest offset. Returns the offset the map is complete
     * up to (exclusive): the first uncleanable offset, or less when the buffer filled up.
     */
    private static long buildOffsetMap(Plan plan, Map<ByteBuffer, Long> latest, long maxBytes, Throttle throttle) throws IOException {
        long usedBytes = 0;
        for (Plan.Source source : plan.sources()) {
            if (source.nextBaseOffset() <= plan.firstDirtyOffset()) continue;
            if (source.baseOffset() >= plan.firstUncleanableOffset()) break;
            // Keys are mapped a whole segment at a time, so the map never ends in the middle of one.
            Map<ByteBuffer, Long> segmentKeys = new HashMap<>();
            long segmentBytes = 0;
            for (FileChannelRecordBatch batch : source.records().batches()) {
                if (batch.lastOffset() < plan.firstDirtyOffset() || batch.isControlBatch() || plan.isAborted(batch)) continue;
                for (Record record : batch) {
                    if (!record.hasKey() || record.offset() < plan.firstDirtyOffset()) continue;
                    ByteBuffer key = copy(record.key());
                    if (segmentKeys.put(key, record.offset()) == null) segmentBytes += key.remaining() + MAP_ENTRY_OVERHEAD_BYTES;
                }
            }
            throttle.consumed(source.records().sizeInBytes());
            if (usedBytes + segmentBytes > maxBytes && !latest.isEmpty()) return source.baseOffset();
            latest.putAll(segmentKeys);
            usedBytes += segmentBytes;
        }
        return plan.firstUncleanableOffset();
    }

    /** Consecutive segments below {@code upTo}, grouped so each group fits one segment and 32-bit relative offsets. */
    private static List<List<Plan.Source>> group(List<Plan.Source> sources, long upTo, int segmentBytes) {
        List<List<Plan.Source>> groups = new ArrayList<>();
        List<Plan.Source> current = new ArrayList<>();
        long currentBytes = 0;
        for (Plan.Source s : sources) {
            if (s.nextBaseOffset() > upTo) break;
            boolean fits = !current.isEmpty() && currentBytes + s.records().sizeInBytes() <= segmentBytes
                    && s.nextBaseOffset() - 1 - current.get(0).baseOffset() <= Integer.MAX_VALUE;
            if (!current.isEmpty() && !fits) {
                groups.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(s);
            currentBytes += s.records().sizeInBytes();
        }
        if (!current.isEmpty()) groups.add(current);
        return groups;
    }

    private static CleanedGroup cleanGroup(Plan plan, List<Plan.Source> group, Map<ByteBuffer, Long> latest, Throttle throttle,
                                           long[] stats) throws IOException {
        long base = group.get(0).baseOffset();
        Path cleanedFile = LogFiles.cleanedFile(plan.dir(), base);
        Path swapFile = LogFiles.swapFile(plan.dir(), base);
        Files.deleteIfExists(cleanedFile);
        MemoryRecords.RecordFilter filter = new KeepLatest(plan, latest);
        FileRecords out = FileRecords.open(cleanedFile.toFile(), true, false, 0, false);
        try {
            ByteBuffer writeBuffer = ByteBuffer.allocate(READ_CHUNK_BYTES);
            for (Plan.Source source : group) {
                FileRecords in = source.records();
                int position = 0;
                int end = in.sizeInBytes();
                while (position < end) {
                    int chunk = chunkEnd(in, position, end) - position;
                    ByteBuffer read = ByteBuffer.allocate(chunk);
                    Utils.readFully(in.channel(), read, position);
                    read.flip();
                    MemoryRecords.FilterResult result = MemoryRecords.readableRecords(read).filterTo(filter, writeBuffer,
                            BufferSupplier.NO_CACHING, Integer.MAX_VALUE);
                    ByteBuffer filtered = result.outputBuffer();
                    filtered.flip();
                    if (filtered.hasRemaining()) out.append(MemoryRecords.readableRecords(filtered));
                    stats[0] += chunk;
                    stats[1] += filtered.remaining();
                    stats[2] += result.messagesRead();
                    stats[3] += result.messagesRetained();
                    throttle.consumed(chunk + filtered.remaining());
                    writeBuffer = filtered.capacity() > writeBuffer.capacity() ? ByteBuffer.allocate(filtered.capacity()) : writeBuffer;
                    writeBuffer.clear();
                    position += chunk;
                }
            }
            out.flush();
        } catch (IOException | RuntimeException e) {
            out.close();
            Files.deleteIfExists(cleanedFile);
            throw e;
        }
        out.close();
        Files.move(cleanedFile, swapFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LogFiles.fsyncDirectory(plan.dir());
        List<CleanedGroup.Source> replaced = group.stream().map(s -> new CleanedGroup.Source(s.baseOffset(), s.records())).toList();
        return new CleanedGroup(base, swapFile, replaced);
    }

    /** Where a read starting at {@code position} ends: whole batches, about a chunk, at least one batch. */
    private static int chunkEnd(FileRecords in, int position, int end) {
        int chunkEnd = position;
        for (FileChannelRecordBatch batch : in.batchesFrom(position)) {
            int next = batch.position() + batch.sizeInBytes();
            if (chunkEnd > position && next - position > READ_CHUNK_BYTES) break;
            chunkEnd = next;
            if (chunkEnd >= end) break;
        }
        return chunkEnd;
    }

    private static ByteBuffer copy(ByteBuffer key) {
        ByteBuffer copy = ByteBuffer.allocate(key.remaining());
        copy.put(key.duplicate()).flip();
        return copy;
    }

    /** Kafka's retention rules for one record and one batch during cleaning. */
    private static final class KeepLatest extends MemoryRecords.RecordFilter {
        private final Plan plan;
        private final Map<ByteBuffer, Long> latest;

        KeepLatest(Plan plan, Map<ByteBuffer, Long> latest) {
            super(plan.nowMs(), plan.config().deleteRetentionMs());
            this.plan = plan;
            this.latest = latest;
        }

        @Override
        protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
            // Transaction markers are kept: read_committed readers and replays need them to close the transactions.
            if (batch.isControlBatch()) return new BatchRetentionResult(BatchRetention.RETAIN_EMPTY, false);
            boolean lastOfProducer = batch.hasProducerId()
                    && Long.valueOf(batch.lastOffset()).equals(plan.lastOffsetOfProducer().get(batch.producerId()));
            return new BatchRetentionResult(lastOfProducer ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
        }

        @Override
        protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
            if (batch.isControlBatch()) return true;
            if (!record.hasKey() || plan.isAborted(batch)) return false;
            Long newest = latest.get(record.key());
            boolean isLatest = newest == null || record.offset() >= newest;
            if (!isLatest) return false;
            if (record.hasValue()) return true;
            // A tombstone: kept until the delete horizon the first pass stamped on its batch has passed.
            return batch.deleteHorizonMs().isEmpty() || plan.nowMs() < batch.deleteHorizonMs().getAsLong();
        }
    }

    static void logResult(Path dir, Result r) {
        LOG.infof("Cleaned %s: %d segment group(s), %d of %d record(s) kept, %d -> %d bytes; clean up to offset %d",
                dir.getFileName(), r.groups().size(), r.recordsKept(), r.recordsRead(), r.bytesRead(), r.bytesWritten(), r.cleanedUpTo());
    }
}
