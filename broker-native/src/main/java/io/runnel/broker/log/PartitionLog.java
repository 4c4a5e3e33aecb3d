package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.FileRecords.TimestampAndOffset;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

/**
 * One partition's log, stored as Kafka stores it: a directory {@code <topic>-<partition>} of
 * {@link LogSegment}s named by base offset, each with its offset and time index, plus producer
 * state snapshots, the leader-epoch checkpoint, the recovery point and the topic id.
 *
 * <p>The produce path: {@link #appendAsLeader} validates every batch (magic 2, size, CRC32C,
 * offset delta vs record count) without decoding records, checks idempotent-producer rules,
 * assigns offsets by patching each batch header in place, rolls the active segment if needed,
 * writes all batches with one file write, then updates indexes, producer state and the leader
 * epoch cache. All or nothing: any rejected batch means nothing is written.
 *
 * <p>Invariants (checked; a violation throws {@link IllegalStateException}):
 * <ul>
 *   <li>segments are contiguous and ordered; the last one is the active segment;</li>
 *   <li>an empty active segment starts exactly at the log end offset;</li>
 *   <li>first segment's base offset ≤ logStartOffset ≤ logEndOffset, and logStartOffset ≤ recoveryPoint ≤ logEndOffset
 *   (the log start is above the first base offset only after DeleteRecords);</li>
 *   <li>every byte below the recovery point has been fsynced.</li>
 * </ul>
 *
 * <p>Durability: data is fsynced per the flush policy ({@code flushIntervalMessages},
 * {@code flushIntervalMs}), on every roll (the finished segment) and on {@link #close()}; the
 * recovery point is then persisted ({@code recovery-point}). After a crash, {@link #open} with
 * {@code hadCleanShutdown=false} runs {@link LogRecovery} from the recovery point.
 *
 * <p>Threading: one owner thread (the partition's I/O thread) calls every method. Only
 * {@link #logStartOffset()}, {@link #logEndOffset()} and the topic id accessors may be called from
 * other threads; the offsets are volatile fields written after the data they describe. No locks.
 */
public final class PartitionLog {
    private static final Logger LOG = Logger.getLogger(PartitionLog.class);

    private final Path dir;
    private final Time time;
    private LogConfig config;
    private final NavigableMap<Long, LogSegment> segments = new TreeMap<>();
    private final ProducerStateManager producerState;
    private final AbortedTxnIndex abortedTxns;
    private LeaderEpochCache epochCache;
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private long recoveryPointOffset;
    private long unflushedMessages;
    private long lastFlushMs;
    private boolean closed;
    private KafkaStorageException failure;
    private volatile Optional<Uuid> topicId;

    private PartitionLog(Path dir, LogConfig config, Time time) {
        this.dir = dir;
        this.config = config;
        this.time = time;
        this.producerState = new ProducerStateManager(dir);
        this.abortedTxns = AbortedTxnIndex.open(dir);
        this.lastFlushMs = time.milliseconds();
        this.topicId = PartitionMetadataFile.read(dir);
    }

    /**
     * Opens (creating if needed) the log in {@code dir}. Without a clean shutdown, crash recovery
     * validates the tail from the recovery point; either way indexes are checked as they load, the
     * leader-epoch cache is reconciled with the log, and producer state is rebuilt from the newest
     * snapshot plus the batch headers after it.
     */
    public static PartitionLog open(Path dir, LogConfig config, boolean hadCleanShutdown, Time time) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw LogFiles.storageError("creating " + dir, e);
        }
        LogFiles.deleteTempFiles(dir);
        completeInterruptedCompaction(dir);
        PartitionLog log = new PartitionLog(dir, config, time);
        log.loadSegments(hadCleanShutdown);
        log.loadLeaderEpochs();
        log.reloadProducerState();
        return log;
    }

    // ---- opening --------------------------------------------------------------------------

    private void loadSegments(boolean hadCleanShutdown) {
        long now = time.milliseconds();
        for (long baseOffset : LogFiles.offsetsOf(dir, LogFiles.LOG_SUFFIX)) segments.put(baseOffset, LogSegment.open(dir, baseOffset, config, now));
        deleteOrphanIndexes();
        if (segments.isEmpty()) segments.put(0L, LogSegment.create(dir, 0L, config, now));
        long recoveryPoint = readRecoveryPoint().orElse(segments.firstKey());
        if (!hadCleanShutdown) {
            LogRecovery.recover(segments, recoveryPoint);
        } else if (hasBadTail(activeSegment())) {
            // A clean shutdown never leaves a partial batch; if one is there anyway, trust the bytes, not the marker.
            LOG.warnf("%s has a partial batch at its end despite a clean shutdown; recovering it", activeSegment().logFile());
            LogRecovery.recover(segments, activeSegment().baseOffset());
        }
        LogSegment.Tail tail = activeSegment().scanTail();
        if (tail.endPosition() != activeSegment().sizeInBytes())
            throw new IllegalStateException("active segment " + activeSegment() + " does not end on a batch boundary after recovery");
        logEndOffset = tail.nextOffset();
        // DeleteRecords may have moved the start inside the first segment; a crash may have lost records after it.
        logStartOffset = Math.min(logEndOffset, Math.max(segments.firstKey(), readLogStartOffset().orElse(segments.firstKey())));
        recoveryPointOffset = hadCleanShutdown ? logEndOffset : Math.max(logStartOffset, Math.min(recoveryPoint, logEndOffset));
        writeRecoveryPoint();
    }

    private static boolean hasBadTail(LogSegment segment) {
        return segment.scanTail().endPosition() != segment.sizeInBytes();
    }

    private void deleteOrphanIndexes() {
        for (String suffix : List.of(LogFiles.INDEX_SUFFIX, LogFiles.TIME_INDEX_SUFFIX)) {
            for (long offset : LogFiles.offsetsOf(dir, suffix)) {
                if (!segments.containsKey(offset)) LogFiles.deleteIfExists(dir.resolve(LogFiles.baseName(offset) + suffix));
            }
        }
    }

    private void loadLeaderEpochs() {
        Optional<LeaderEpochCache> loaded = LeaderEpochCache.load(dir);
        if (loaded.isPresent()) {
            epochCache = loaded.get();
        } else {
            if (logEndOffset > logStartOffset) LOG.infof("Rebuilding %s from the log's batch headers", dir.resolve(LogFiles.LEADER_EPOCH_CHECKPOINT));
            epochCache = LeaderEpochCache.empty(dir);
            forEachBatchFrom(logStartOffset, batch -> epochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset()));
            epochCache.write();
        }
        epochCache.truncateFromEnd(logEndOffset);
        epochCache.truncateFromStart(logStartOffset);
    }

    /**
     * Newest snapshot at or below the log end, then the batch headers after it; the aborted
     * transactions from there on are rebuilt from the markers replayed.
     */
    private void reloadProducerState() {
        OptionalLong snapshot = producerState.truncateAndLoad(logEndOffset);
        long replayFrom = Math.max(logStartOffset, snapshot.orElse(logStartOffset));
        abortedTxns.truncateFrom(replayFrom);
        forEachBatchFrom(replayFrom, batch -> producerState.replay(batch).ifPresent(this::recordCompleted));
    }

    /** An aborted transaction goes to the index; a committed one needs nothing. */
    private void recordCompleted(ProducerStateManager.CompletedTxn txn) {
        if (!txn.aborted()) return;
        long lastStable = producerState.firstOpenTxnOffset().orElse(txn.lastOffset() + 1);
        abortedTxns.append(new AbortedTxn(txn.producerId(), txn.firstOffset(), txn.lastOffset(), lastStable));
    }

    /** Visits batch headers (nothing is decompressed) from the batch containing {@code offset}. */
    private void forEachBatchFrom(long offset, Consumer<RecordBatch> visitor) {
        if (offset >= logEndOffset) return;
        Long first = segments.floorKey(offset);
        for (LogSegment segment : segments.tailMap(first == null ? segments.firstKey() : first, true).values()) {
            int position = segment.baseOffset() <= offset ? segment.positionOf(offset) : 0;
            if (position < 0) continue;
            for (FileChannelRecordBatch batch : segment.records().batchesFrom(position)) visitor.accept(batch);
        }
    }

    // ---- appending ------------------------------------------------------------------------

    /**
     * Appends a producer's batches as the partition leader in {@code leaderEpoch}. Throws
     * {@link InvalidRecordException} (magic below 2), {@link CorruptRecordException},
     * {@link RecordTooLargeException}, {@link RecordBatchTooLargeException},
     * {@link InvalidRecordException}, {@code OutOfOrderSequenceException} or
     * {@code InvalidProducerEpochException} without writing anything. Mutates the batch headers in
     * {@code records} (offsets, leader epoch, and for LOG_APPEND_TIME the timestamp and CRC).
     */
    public LogAppendInfo appendAsLeader(MemoryRecords records, int leaderEpoch) {
        return appendAsLeader(records, leaderEpoch, AppendOrigin.CLIENT);
    }

    /** {@link #appendAsLeader(MemoryRecords, int)}, for an origin that may also write control batches. */
    public LogAppendInfo appendAsLeader(MemoryRecords records, int leaderEpoch, AppendOrigin origin) {
        ensureUsable();
        List<MutableRecordBatch> batches = validate(records, origin);
        if (needsRecompression(batches)) {
            records = recompress(batches, config.compression());
            batches = validate(records, origin);
        }
        long now = time.milliseconds();
        boolean logAppendTime = config.messageTimestampType() == TimestampType.LOG_APPEND_TIME;

        // Offsets are computed before any header is patched, so producer checks fail with no side effects.
        ProducerStateManager.Append producerAppend = producerState.newAppend();
        long nextOffset = logEndOffset;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        for (MutableRecordBatch batch : batches) {
            long firstOffset = nextOffset;
            long lastOffset = firstOffset + (batch.lastOffset() - batch.baseOffset());
            long batchMaxTimestamp = logAppendTime ? now : batch.maxTimestamp();
            if (batch.isControlBatch() && batch.hasProducerId()) {
                producerAppend.addMarker(batch, firstOffset); // Raft's control batches have no producer
            } else if (batch.hasProducerId()) {
                Optional<BatchMetadata> duplicate = producerAppend.add(batch, firstOffset, lastOffset, batchMaxTimestamp, origin);
                if (duplicate.isPresent()) return duplicateOf(duplicate.get(), logAppendTime);
            }
            maxTimestamp = Math.max(maxTimestamp, batchMaxTimestamp);
            nextOffset = lastOffset + 1;
        }
        long firstOffset = logEndOffset;
        long lastOffset = nextOffset - 1;
        assignOffsets(batches, firstOffset, leaderEpoch, logAppendTime ? now : RecordBatch.NO_TIMESTAMP);

        appendToActiveSegment(records, maxTimestamp, lastOffset, now);
        producerState.commit(producerAppend).forEach(this::recordCompleted);
        epochCache.assign(leaderEpoch, firstOffset);
        int recordCount = (int) (lastOffset - firstOffset + 1);
        unflushedMessages += recordCount; // the caller runs maybeFlush once per group of appends (group commit)
        return new LogAppendInfo(firstOffset, lastOffset, maxTimestamp, logAppendTime ? now : RecordBatch.NO_TIMESTAMP,
                logStartOffset, recordCount, records.sizeInBytes(), false);
    }

    /** With a {@code compression.type} other than "producer", batches in another codec are rewritten. */
    private boolean needsRecompression(List<MutableRecordBatch> batches) {
        if (config.compression() == null) return false;
        for (MutableRecordBatch batch : batches) {
            if (batch.compressionType() != config.compression().type()) return true;
        }
        return false;
    }

    /**
     * Rewrites each batch with {@code target}, one batch for one (so producer sequences, epochs and
     * batch boundaries stay as sent), records unchanged: Kafka's broker-side recompression.
     */
    static MemoryRecords recompress(List<MutableRecordBatch> batches, org.apache.kafka.common.compress.Compression target) {
        List<ByteBuffer> rewritten = new ArrayList<>();
        int total = 0;
        for (MutableRecordBatch batch : batches) {
            MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(Math.max(256, batch.sizeInBytes() * 2)),
                    RecordBatch.MAGIC_VALUE_V2, target, batch.timestampType(), batch.baseOffset(), RecordBatch.NO_TIMESTAMP,
                    batch.producerId(), batch.producerEpoch(), batch.baseSequence(), batch.isTransactional(), false,
                    batch.partitionLeaderEpoch());
            for (Record record : batch) builder.appendWithOffset(record.offset(), record.timestamp(), record.key(), record.value(), record.headers());
            ByteBuffer built = builder.build().buffer();
            rewritten.add(built);
            total += built.remaining();
        }
        ByteBuffer all = ByteBuffer.allocate(total);
        rewritten.forEach(all::put);
        all.flip();
        return MemoryRecords.readableRecords(all);
    }

    private List<MutableRecordBatch> validate(MemoryRecords records, AppendOrigin origin) {
        List<MutableRecordBatch> batches = new ArrayList<>();
        long bytes = 0;
        for (MutableRecordBatch batch : records.batches()) {
            validateBatch(batch, origin);
            batches.add(batch);
            bytes += batch.sizeInBytes();
        }
        checkWholeAppend(records, batches.size(), bytes);
        return batches;
    }

    /** The checks on an append as a whole: some batches, nothing after the last one, fits in a segment. */
    private void checkWholeAppend(MemoryRecords records, int batchCount, long batchBytes) {
        if (batchCount == 0) throw new InvalidRecordException("no record batch to append");
        if (batchBytes != records.sizeInBytes())
            throw new CorruptRecordException((records.sizeInBytes() - batchBytes) + " bytes after the last complete batch");
        if (records.sizeInBytes() > config.segmentBytes())
            throw new RecordBatchTooLargeException("append of " + records.sizeInBytes() + " bytes exceeds segmentBytes " + config.segmentBytes());
    }

    private void validateBatch(MutableRecordBatch batch, AppendOrigin origin) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2)
            // Kafka 4 answers INVALID_RECORD for the pre-0.11 formats (magic 0 and 1), not UNSUPPORTED_FOR_MESSAGE_FORMAT.
            throw new InvalidRecordException("record batch magic " + batch.magic() + " is not supported; only magic 2 is");
        if (batch.sizeInBytes() > config.maxMessageBytes())
            throw new RecordTooLargeException("batch of " + batch.sizeInBytes() + " bytes exceeds maxMessageBytes " + config.maxMessageBytes());
        batch.ensureValid();
        long countFromOffsets = batch.lastOffset() - batch.baseOffset() + 1;
        Integer count = batch.countOrNull();
        if (countFromOffsets <= 0 || count == null || count != countFromOffsets)
            throw new InvalidRecordException("batch offset delta " + (countFromOffsets - 1) + " does not match its record count " + count);
        if (batch.isControlBatch() && !origin.allowsControlBatches()) throw new InvalidRecordException("clients may not write control batches");
        if (batch.hasProducerId() && batch.baseSequence() < 0 && origin.checksSequences() && !batch.isControlBatch())
            throw new InvalidRecordException("idempotent batch with invalid sequence " + batch.baseSequence());
        if (batch.isTransactional() && !batch.hasProducerId())
            throw new InvalidRecordException("transactional batch without a producer id");
        if (batch.timestampType() == TimestampType.LOG_APPEND_TIME && config.messageTimestampType() == TimestampType.CREATE_TIME)
            throw new InvalidRecordException("batch claims LOG_APPEND_TIME on a CREATE_TIME topic");
    }

    /** Patches offsets and leader epoch (outside the CRC) and, for LOG_APPEND_TIME, the timestamp (CRC recomputed). */
    private static void assignOffsets(List<MutableRecordBatch> batches, long firstOffset, int leaderEpoch, long logAppendTimeMs) {
        long nextOffset = firstOffset;
        for (MutableRecordBatch batch : batches) {
            batch.setLastOffset(nextOffset + (batch.lastOffset() - batch.baseOffset()));
            batch.setPartitionLeaderEpoch(leaderEpoch);
            if (logAppendTimeMs != RecordBatch.NO_TIMESTAMP) batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, logAppendTimeMs);
            if (batch.baseOffset() != nextOffset) throw new IllegalStateException("offset assignment went wrong at " + batch);
            nextOffset = batch.nextOffset();
        }
    }

    private void appendToActiveSegment(MemoryRecords records, long maxTimestamp, long lastOffset, long now) {
        activeSegment().rollReason(config, records.sizeInBytes(), maxTimestamp, lastOffset, now).ifPresent(this::roll);
        LogSegment active = activeSegment();
        try {
            active.append(records);
        } catch (KafkaStorageException e) {
            failure = e;
            throw e;
        }
        logEndOffset = lastOffset + 1;
    }

    /**
     * Appends batches copied from the leader's log as they are: offsets, leader epochs and
     * timestamps are the leader's, control batches included. Each batch is checked (magic, CRC,
     * record count) and must start at or after the log end (a gap is allowed: the leader's log may
     * be compacted); nothing is written if any batch is rejected. Producer state and the leader
     * epoch cache follow the batches, so this replica can take over as leader.
     *
     * @throws IllegalArgumentException if the batches overlap this log or each other
     */
    public LogAppendInfo appendAsFollower(MemoryRecords records) {
        ensureUsable();
        List<MutableRecordBatch> batches = new ArrayList<>();
        long bytes = 0;
        long nextOffset = logEndOffset;
        long maxTimestamp = RecordBatch.NO_TIMESTAMP;
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2)
                throw new InvalidRecordException("record batch magic " + batch.magic() + " is not supported; only magic 2 is");
            batch.ensureValid();
            Integer count = batch.countOrNull();
            if (count == null || count != batch.lastOffset() - batch.baseOffset() + 1)
                throw new InvalidRecordException("batch offset delta " + (batch.lastOffset() - batch.baseOffset()) + " does not match its record count " + count);
            if (batch.baseOffset() < nextOffset)
                throw new IllegalArgumentException("batch at offset " + batch.baseOffset() + " overlaps " + dir + ", which already has offsets below " + nextOffset);
            nextOffset = batch.nextOffset();
            maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
            batches.add(batch);
            bytes += batch.sizeInBytes();
        }
        checkWholeAppend(records, batches.size(), bytes);
        long firstOffset = batches.get(0).baseOffset();
        long lastOffset = nextOffset - 1;
        long now = time.milliseconds();
        appendToActiveSegment(records, maxTimestamp, lastOffset, now);
        for (MutableRecordBatch batch : batches) {
            producerState.replay(batch).ifPresent(this::recordCompleted);
            epochCache.assign(batch.partitionLeaderEpoch(), batch.baseOffset());
        }
        int recordCount = (int) (lastOffset - firstOffset + 1);
        unflushedMessages += recordCount;
        return new LogAppendInfo(firstOffset, lastOffset, maxTimestamp, RecordBatch.NO_TIMESTAMP, logStartOffset, recordCount,
                records.sizeInBytes(), false);
    }

    /**
     * Records that {@code leaderEpoch} starts at the current log end, before any batch of it is
     * written: a new leader does this so that OffsetsForLeaderEpoch answers for its epoch at once.
     */
    public void assignEpochStartOffset(int leaderEpoch) {
        ensureUsable();
        epochCache.assign(leaderEpoch, logEndOffset);
    }

    private LogAppendInfo duplicateOf(BatchMetadata original, boolean logAppendTime) {
        return new LogAppendInfo(original.firstOffset(), original.lastOffset(), original.maxTimestamp(),
                logAppendTime ? original.maxTimestamp() : RecordBatch.NO_TIMESTAMP, logStartOffset, 0, 0, true);
    }

    // ---- rolling and flushing -------------------------------------------------------------

    /** Rolls the active segment if it has aged past {@code segmentMs}; for a periodic task. */
    public void maybeRoll(long nowMs) {
        ensureUsable();
        LogSegment active = activeSegment();
        if (!active.isEmpty() && active.timeWaitedForRollMs(nowMs, nowMs) > config.segmentMs()) roll("age");
    }

    /**
     * Starts a new active segment at the log end: seals the old one's time index, fsyncs
     * everything up to the new base offset (as Kafka does on roll), persists the recovery point
     * and takes a producer-state snapshot.
     */
    private void roll(String reason) {
        LogSegment old = activeSegment();
        long newBaseOffset = logEndOffset;
        if (old.isEmpty()) {
            if (old.baseOffset() != logEndOffset) throw new IllegalStateException("empty active segment " + old + " is not at the log end " + logEndOffset);
            return;
        }
        if (newBaseOffset <= old.baseOffset()) throw new IllegalStateException("roll at " + newBaseOffset + " would not follow " + old);
        old.onBecomeInactive();
        flushUpTo(newBaseOffset);
        producerState.takeSnapshot(newBaseOffset);
        segments.put(newBaseOffset, LogSegment.create(dir, newBaseOffset, config, time.milliseconds()));
        LOG.debugf("Rolled %s to a new segment at offset %d (%s)", dir, newBaseOffset, reason);
    }

    /** fsyncs everything appended so far and persists the recovery point. */
    public void flush() {
        ensureUsable();
        flushUpTo(logEndOffset);
    }

    /**
     * Applies the flush policy: fsyncs when {@code flushIntervalMessages} records are unflushed or
     * the last flush is {@code flushIntervalMs} old. Appends never flush by themselves, so a
     * caller that drains many appends pays one fsync for all of them (group commit).
     */
    public void maybeFlush(long nowMs) {
        ensureUsable();
        if (logEndOffset <= recoveryPointOffset) return;
        if (unflushedMessages >= config.flushIntervalMessages() || nowMs - lastFlushMs >= config.flushIntervalMs()) flush();
    }

    /** Receives the duration of every fsync of this log, on the log's thread (metrics). */
    public void onFlush(java.util.function.LongConsumer listener) {
        flushListener = listener;
    }

    private volatile java.util.function.LongConsumer flushListener = nanos -> { };

    private void flushUpTo(long offsetExclusive) {
        if (offsetExclusive <= recoveryPointOffset) return;
        Long from = segments.floorKey(recoveryPointOffset);
        try {
            long startNanos = System.nanoTime();
            for (LogSegment segment : segments.subMap(from == null ? segments.firstKey() : from, true, offsetExclusive, false).values()) segment.flush();
            flushListener.accept(System.nanoTime() - startNanos);
        } catch (KafkaStorageException e) {
            failure = e;
            throw e;
        }
        abortedTxns.flush(); // markers below the new recovery point are durable, and so must their entries be
        recoveryPointOffset = offsetExclusive;
        writeRecoveryPoint();
        if (offsetExclusive == logEndOffset) unflushedMessages = 0;
        lastFlushMs = time.milliseconds();
    }

    // ---- reading --------------------------------------------------------------------------

    /**
     * Whole batches from the one containing {@code startOffset}, at most {@code maxBytes} in total
     * (but with {@code minOneMessage}, the first batch even if larger — KIP-74), none starting at or
     * after {@code maxOffsetExclusive}; may span segments. Empty at the log end.
     *
     * @throws OffsetOutOfRangeException if startOffset is below the log start or above the log end
     */
    public FetchDataInfo read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage) {
        ensureUsable();
        checkInRange(startOffset);
        if (startOffset == logEndOffset) return new FetchDataInfo(startOffset, MemoryRecords.EMPTY);
        List<LogSegment> sources = new ArrayList<>();
        List<LogSegment.Slice> slices = new ArrayList<>();
        int totalBytes = 0;
        for (LogSegment segment : segments.tailMap(segments.floorKey(startOffset), true).values()) {
            LogSegment.Slice slice = segment.slice(startOffset, Math.max(0, maxBytes - totalBytes), maxOffsetExclusive, minOneMessage && totalBytes == 0);
            if (slice.sizeInBytes() > 0) {
                sources.add(segment);
                slices.add(slice);
                totalBytes += slice.sizeInBytes();
            }
            if (slice.limitReached()) break;
        }
        ByteBuffer buffer = ByteBuffer.allocate(totalBytes);
        for (int i = 0; i < slices.size(); i++) sources.get(i).readInto(buffer, slices.get(i).position(), slices.get(i).sizeInBytes());
        buffer.flip();
        return new FetchDataInfo(startOffset, MemoryRecords.readableRecords(buffer));
    }

    /**
     * For a fetch: the whole batches to send from the one segment holding {@code startOffset} (or
     * the next one with data), as a position range of its file, under the same rules as
     * {@link #read}; Kafka's fetch also reads from one segment at a time. Empty at the log end.
     *
     * @throws OffsetOutOfRangeException if startOffset is below the log start or above the log end
     */
    public FileSlice readSlice(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneMessage) {
        ensureUsable();
        checkInRange(startOffset);
        if (startOffset == logEndOffset) return FileSlice.EMPTY;
        for (LogSegment segment : segments.tailMap(segments.floorKey(startOffset), true).values()) {
            LogSegment.Slice slice = segment.slice(startOffset, maxBytes, maxOffsetExclusive, minOneMessage);
            if (slice.sizeInBytes() > 0) return new FileSlice(segment.records(), slice.position(), slice.sizeInBytes());
            if (slice.limitReached()) break;
        }
        return FileSlice.EMPTY;
    }

    private void checkInRange(long offset) {
        long start = logStartOffset;
        long end = logEndOffset;
        if (offset < start || offset > end)
            throw new OffsetOutOfRangeException("offset " + offset + " is outside the log range [" + start + ", " + end + "] of " + dir);
    }

    /**
     * The first record (by offset) whose timestamp is ≥ {@code targetTimestampMs}, with its
     * timestamp and leader epoch; empty if there is none. ListOffsets' special targets (-1, -2,
     * -3) are the caller's to map.
     */
    public Optional<TimestampAndOffset> offsetForTimestamp(long targetTimestampMs) {
        ensureUsable();
        for (LogSegment segment : segments.values()) {
            if (segment.maxTimestampSoFar() < targetTimestampMs) continue;
            Optional<TimestampAndOffset> found = segment.findOffsetByTimestamp(targetTimestampMs, logStartOffset);
            if (found.isPresent()) return found;
        }
        return Optional.empty();
    }

    /** The first record with the largest timestamp in the log; empty if no record has a timestamp. */
    public Optional<TimestampAndOffset> offsetOfMaxTimestamp() {
        ensureUsable();
        LogSegment holder = null;
        long max = RecordBatch.NO_TIMESTAMP;
        for (LogSegment segment : segments.values()) {
            if (segment.maxTimestampSoFar() > max) {
                max = segment.maxTimestampSoFar();
                holder = segment;
            }
        }
        return holder == null ? Optional.empty() : holder.offsetOfMaxTimestamp();
    }

    /** OffsetsForLeaderEpoch for this log; see {@link LeaderEpochCache#endOffsetFor}. */
    public LeaderEpochCache.EpochEndOffset endOffsetForEpoch(int leaderEpoch) {
        ensureUsable();
        return epochCache.endOffsetFor(leaderEpoch, logEndOffset);
    }

    public OptionalInt latestLeaderEpoch() {
        return epochCache.latestEpoch();
    }

    public List<LeaderEpochCache.EpochEntry> leaderEpochEntries() {
        return epochCache.entries();
    }

    // ---- retention and truncation ---------------------------------------------------------

    /**
     * Deletes the oldest segments that break retention (Kafka's rules, and only when
     * {@code cleanup.policy} includes delete): first those whose newest
     * timestamp is more than {@code retentionMs} old, then the oldest while the log stays at or
     * above {@code retentionBytes} without them. The active segment is included when it qualifies
     * and is not empty — it is rolled first, so the log keeps an (empty) active segment at its end.
     * Advances the log start offset; returns how many segments were deleted.
     */
    public int deleteSegmentsPerRetention(long nowMs) {
        ensureUsable();
        int deleted = 0;
        if (!config.compaction().delete()) return 0; // cleanup.policy=compact alone: only the cleaner removes records
        if (config.retentionMs() >= 0) {
            deleted += deleteSegments(deletableSegments(s -> nowMs - s.largestTimestampMs() > config.retentionMs()), "retention.ms");
        }
        if (config.retentionBytes() >= 0) {
            long[] excessBytes = {sizeInBytes() - config.retentionBytes()};
            deleted += deleteSegments(deletableSegments(s -> {
                if (excessBytes[0] - s.sizeInBytes() < 0) return false;
                excessBytes[0] -= s.sizeInBytes();
                return true;
            }), "retention.bytes");
        }
        return deleted;
    }

    private List<LogSegment> deletableSegments(Predicate<LogSegment> expired) {
        List<LogSegment> deletable = new ArrayList<>();
        LogSegment active = activeSegment();
        for (LogSegment segment : segments.values()) {
            if (segment == active && segment.isEmpty()) break;
            if (!expired.test(segment)) break;
            deletable.add(segment);
        }
        return deletable;
    }

    private int deleteSegments(List<LogSegment> doomed, String reason) {
        if (doomed.isEmpty()) return 0;
        if (doomed.size() == segments.size()) roll(reason);
        for (LogSegment segment : doomed) segments.remove(segment.baseOffset());
        logStartOffset = Math.max(logStartOffset, segments.firstKey());
        if (recoveryPointOffset < logStartOffset) {
            recoveryPointOffset = logStartOffset;
            writeRecoveryPoint();
        }
        epochCache.truncateFromStart(logStartOffset);
        abortedTxns.dropBelow(logStartOffset);
        for (LogSegment segment : doomed) {
            LOG.infof("Deleting %s per %s; log start offset is now %d", segment.logFile(), reason, logStartOffset);
            segment.deleteFiles();
        }
        return doomed.size();
    }

    /**
     * DeleteRecords: makes every record below {@code offset} unreadable by moving the log start
     * there (durably, before returning), then deletes the segments that now lie wholly below it.
     * Returns the log start offset afterwards. Never moves the start backwards.
     *
     * @throws OffsetOutOfRangeException if {@code offset} is beyond the log end
     */
    public long deleteRecordsBefore(long offset) {
        ensureUsable();
        if (offset > logEndOffset) throw new OffsetOutOfRangeException("cannot delete records before " + offset
                + ": the log ends at " + logEndOffset);
        if (offset <= logStartOffset) return logStartOffset;
        logStartOffset = offset;
        writeLogStartOffset(); // durable first: a crash must not bring the deleted records back
        if (recoveryPointOffset < logStartOffset) {
            recoveryPointOffset = logStartOffset;
            writeRecoveryPoint();
        }
        epochCache.truncateFromStart(logStartOffset);
        List<LogSegment> below = new ArrayList<>();
        for (var entry : segments.entrySet()) {
            Long nextBase = segments.higherKey(entry.getKey());
            long segmentEnd = nextBase != null ? nextBase : logEndOffset;
            if (segmentEnd > offset) break;
            below.add(entry.getValue());
        }
        deleteSegments(below, "DeleteRecords");
        LOG.infof("Deleted records of %s before offset %d", dir, offset);
        return logStartOffset;
    }

    /**
     * Drops every record at or after {@code offset} (a batch straddling it is dropped whole, so the
     * log end may end up below {@code offset}); indexes, producer state and the leader-epoch cache
     * follow. No-op if {@code offset} is at or beyond the log end. Below the log start this is
     * {@link #truncateFullyAndStartAt}.
     */
    public void truncateTo(long offset) {
        ensureUsable();
        if (offset < 0) throw new IllegalArgumentException("negative offset " + offset);
        if (offset >= logEndOffset) return;
        discardCleanerOutput(offset);
        if (offset < logStartOffset) {
            truncateFullyAndStartAt(offset);
            return;
        }
        for (LogSegment segment : new ArrayList<>(segments.tailMap(offset, false).values())) {
            segments.remove(segment.baseOffset());
            segment.deleteFiles();
        }
        LogSegment active = activeSegment();
        active.truncateTo(offset);
        long newEnd = active.scanTail().nextOffset();
        if (newEnd > offset) throw new IllegalStateException("truncation to " + offset + " left the log ending at " + newEnd);
        LOG.infof("Truncated %s to offset %d (log end was %d, is now %d)", dir, offset, logEndOffset, newEnd);
        logEndOffset = newEnd;
        if (recoveryPointOffset > newEnd) {
            recoveryPointOffset = newEnd;
            writeRecoveryPoint();
        }
        epochCache.truncateFromEnd(newEnd);
        reloadProducerState();
    }

    /** Deletes all data and restarts the log, empty, at {@code offset} (start = end = offset). */
    public void truncateFullyAndStartAt(long offset) {
        ensureUsable();
        if (offset < 0) throw new IllegalArgumentException("negative offset " + offset);
        discardCleanerOutput(-1);
        for (LogSegment segment : segments.values()) segment.deleteFiles();
        segments.clear();
        segments.put(offset, LogSegment.create(dir, offset, config, time.milliseconds()));
        if (offset > logEndOffset) {
            logEndOffset = offset;
            logStartOffset = offset;
        } else {
            logStartOffset = offset;
            logEndOffset = offset;
        }
        recoveryPointOffset = offset;
        writeRecoveryPoint();
        writeLogStartOffset();
        epochCache.clear();
        producerState.clear();
        abortedTxns.clear();
        producerState.deleteAllSnapshots();
        unflushedMessages = 0;
        LOG.infof("Truncated %s fully; it now starts at offset %d", dir, offset);
    }

    // ---- lifecycle ------------------------------------------------------------------------

    /** Flushes, snapshots producer state and closes every file; reopening needs no recovery. */
    public void close() {
        if (closed) return;
        if (failure == null) {
            flush();
            producerState.takeSnapshot(logEndOffset);
        }
        for (LogSegment segment : segments.values()) segment.close();
        abortedTxns.close();
        closed = true;
    }

    /** Closes without flushing and deletes the whole partition directory. */
    public void deleteFiles() {
        closed = true;
        abortedTxns.close();
        for (LogSegment segment : segments.values()) segment.deleteFiles();
        segments.clear();
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            throw LogFiles.storageError("deleting " + dir, e);
        }
    }

    /** Replaces the settings; new segments, rolls, retention and flushes use them from now on. */
    public void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
    }

    // ---- topic id ---------------------------------------------------------------------------

    /** The topic id recorded in {@code partition.metadata}, if any. Safe from any thread. */
    public Optional<Uuid> topicId() {
        return topicId;
    }

    /**
     * Records the topic id in {@code partition.metadata} (durably). Safe from any thread: it
     * touches only that file, which nothing else in the log reads or writes.
     */
    public void assignTopicId(Uuid topicId) {
        PartitionMetadataFile.write(dir, topicId);
        this.topicId = Optional.of(topicId);
    }

    // ---- transactions -----------------------------------------------------------------------

    /** The first offset of the oldest transaction that is open, or closed above the high watermark; bounds the last stable offset. */
    public OptionalLong firstUnstableOffset() {
        return producerState.firstUnstableOffset();
    }

    /** The partition's high watermark moved: transactions whose markers are below it become stable. */
    public void onHighWatermark(long highWatermark) {
        producerState.onHighWatermark(highWatermark);
    }

    /** The aborted transactions a read_committed fetch from {@code fetchOffset} up to {@code upperBoundOffset} must be told of. */
    public List<AbortedTxn> abortedTransactions(long fetchOffset, long upperBoundOffset) {
        return abortedTxns.collect(fetchOffset, upperBoundOffset);
    }

    /** The producers with a transaction open in this log (an immutable copy). */
    public java.util.Set<Long> openTxnProducerIds() {
        return producerState.openTxnProducerIds();
    }

    /** Every producer this log knows, for DescribeProducers. */
    public List<ActiveProducer> activeProducers() {
        return producerState.activeProducers();
    }

    // ---- accessors --------------------------------------------------------------------------

    /** Safe from any thread. */
    public long logStartOffset() {
        return logStartOffset;
    }

    /** The offset the next appended record gets. Safe from any thread. */
    public long logEndOffset() {
        return logEndOffset;
    }

    /** Every offset below this is known to be fsynced. */
    public long recoveryPointOffset() {
        return recoveryPointOffset;
    }

    public long sizeInBytes() {
        long total = 0;
        for (LogSegment segment : segments.values()) total += segment.sizeInBytes();
        return total;
    }

    public int numberOfSegments() {
        return segments.size();
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    List<Long> segmentBaseOffsets() {
        return List.copyOf(segments.keySet());
    }

    ProducerStateManager producerState() {
        return producerState;
    }

    private LogSegment activeSegment() {
        return segments.lastEntry().getValue();
    }

    private void ensureUsable() {
        if (closed) throw new IllegalStateException("log " + dir + " is closed");
        if (failure != null) throw new KafkaStorageException("log " + dir + " had an I/O error and must be reopened (recovering it)", failure);
    }

    // ---- recovery point ---------------------------------------------------------------------

    private OptionalLong readRecoveryPoint() {
        Path file = dir.resolve(LogFiles.RECOVERY_POINT);
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim()));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("Ignoring unreadable %s; recovering the whole log: %s", file, e.toString());
            return OptionalLong.empty();
        }
    }

    // ---- compaction -----------------------------------------------------------------------

    /** Bytes above the cleaner checkpoint that a pass could clean, as of the last {@link #compactionPlan}: the cleaner's backlog. Any thread. */
    public long cleanableDirtyBytes() {
        return cleanableDirtyBytes;
    }

    private volatile long cleanableDirtyBytes;

    /**
     * What a cleaning pass should clean now, if anything (Kafka's rules): only with
     * {@code cleanup.policy=compact}; never the active segment nor a segment holding a record younger
     * than {@code min.compaction.lag.ms}; only when the dirty part (above the cleaner checkpoint) is
     * at least {@code min.cleanable.dirty.ratio} of the cleanable log, or its oldest record has
     * waited longer than {@code max.compaction.lag.ms}.
     */
    public Optional<LogCompactor.Plan> compactionPlan(long nowMs) {
        ensureUsable();
        CompactionConfig c = config.compaction();
        cleanableDirtyBytes = 0;
        if (!c.compact() || segments.size() < 2) return Optional.empty();
        long checkpoint = readCleanerCheckpoint().orElse(logStartOffset);
        long firstDirty = checkpoint > logEndOffset ? logStartOffset : Math.max(logStartOffset, checkpoint);
        long firstUncleanable = activeSegment().baseOffset();
        for (LogSegment s : segments.headMap(activeSegment().baseOffset(), false).values()) {
            if (c.minCompactionLagMs() > 0 && nowMs - s.largestTimestampMs() < c.minCompactionLagMs()) {
                firstUncleanable = s.baseOffset();
                break;
            }
        }
        OptionalLong unstable = producerState.firstUnstableOffset();
        if (unstable.isPresent()) {
            // An open transaction may still be aborted: nothing at or after its first record is cleaned (Kafka's rule).
            Long holder = segments.floorKey(unstable.getAsLong());
            if (holder != null) firstUncleanable = Math.min(firstUncleanable, holder);
        }
        if (firstDirty >= firstUncleanable) return Optional.empty();
        List<LogCompactor.Plan.Source> sources = new ArrayList<>();
        long cleanBytes = 0;
        long dirtyBytes = 0;
        long oldestDirtyTimestamp = Long.MAX_VALUE;
        for (var e : segments.headMap(firstUncleanable, false).entrySet()) {
            long next = segments.higherKey(e.getKey());
            LogSegment s = e.getValue();
            sources.add(new LogCompactor.Plan.Source(e.getKey(), next, s.records()));
            if (next <= firstDirty) {
                cleanBytes += s.sizeInBytes();
            } else {
                dirtyBytes += s.sizeInBytes();
                long first = s.firstBatchTimestamp();
                if (first != org.apache.kafka.common.record.internal.RecordBatch.NO_TIMESTAMP) oldestDirtyTimestamp = Math.min(oldestDirtyTimestamp, first);
            }
        }
        cleanableDirtyBytes = dirtyBytes;
        if (dirtyBytes == 0) return Optional.empty();
        double ratio = dirtyBytes / (double) (cleanBytes + dirtyBytes);
        boolean overdue = c.maxCompactionLagMs() < Long.MAX_VALUE && oldestDirtyTimestamp != Long.MAX_VALUE
                && nowMs - oldestDirtyTimestamp > c.maxCompactionLagMs();
        if (ratio < c.minCleanableDirtyRatio() && !overdue) return Optional.empty();
        return Optional.of(new LogCompactor.Plan(dir, List.copyOf(sources), firstDirty, firstUncleanable, producerState.lastOffsets(), c,
                config.segmentBytes(), nowMs, ratio, abortedTxns.collect(logStartOffset, firstUncleanable)));
    }

    /**
     * Swaps the cleaner's segments in, each group in this order so that a crash at any point
     * leaves either the old segments or the cleaned one ({@link #completeInterruptedCompaction}):
     * the group's other old segments are deleted, then the {@code .swap} file is renamed over the
     * group's first segment. Returns false, deleting the cleaned files, if any replaced segment
     * was removed meanwhile (retention, DeleteRecords, truncation).
     */
    public boolean installCompaction(LogCompactor.Result result) {
        ensureUsable();
        for (LogCompactor.CleanedGroup group : result.groups()) {
            for (LogCompactor.CleanedGroup.Source source : group.replaced()) {
                LogSegment current = segments.get(source.baseOffset());
                if (current == null || current.records() != source.records() || current == activeSegment()) {
                    LOG.infof("Discarding a cleaning pass of %s: segment %d changed while it was cleaned", dir, source.baseOffset());
                    for (LogCompactor.CleanedGroup g : result.groups()) LogFiles.deleteIfExists(g.swapFile());
                    return false;
                }
            }
        }
        long now = time.milliseconds();
        for (LogCompactor.CleanedGroup group : result.groups()) {
            for (LogCompactor.CleanedGroup.Source source : group.replaced()) {
                if (source.baseOffset() == group.baseOffset()) continue;
                segments.remove(source.baseOffset()).deleteFiles();
            }
            LogSegment first = segments.remove(group.baseOffset());
            first.retire(); // a fetch may still be sending from its channel
            LogFiles.deleteIfExists(LogFiles.indexFile(dir, group.baseOffset()));
            LogFiles.deleteIfExists(LogFiles.timeIndexFile(dir, group.baseOffset()));
            try {
                Files.move(group.swapFile(), LogFiles.logFile(dir, group.baseOffset()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                failure = LogFiles.storageError("installing " + group.swapFile(), e); // reopening completes the swap
                throw failure;
            }
            LogSegment cleaned = LogSegment.open(dir, group.baseOffset(), config, now);
            cleaned.rebuildIndexes();
            cleaned.onBecomeInactive();
            segments.put(group.baseOffset(), cleaned);
        }
        LogFiles.fsyncDirectory(dir);
        writeCleanerCheckpoint(result.cleanedUpTo());
        LogCompactor.logResult(dir, result);
        return true;
    }

    /**
     * At open, before the segments load: a {@code .cleaned} file is an unfinished pass and is
     * deleted; a {@code .swap} file is a finished one whose install was interrupted, so the old
     * segments it covers are deleted and it takes its first segment's place. A swap whose first
     * segment is gone (deleted by retention before the install) is stale and deleted.
     */
    static void completeInterruptedCompaction(Path dir) {
        for (long base : LogFiles.offsetsOf(dir, LogFiles.CLEANED_SUFFIX)) {
            LOG.infof("Deleting %s: a cleaning pass did not finish", LogFiles.cleanedFile(dir, base));
            LogFiles.deleteIfExists(LogFiles.cleanedFile(dir, base));
        }
        for (long base : LogFiles.offsetsOf(dir, LogFiles.SWAP_SUFFIX)) {
            Path swap = LogFiles.swapFile(dir, base);
            if (!Files.exists(LogFiles.logFile(dir, base))) {
                LOG.warnf("Deleting %s: the segment it replaces is gone", swap);
                LogFiles.deleteIfExists(swap);
                continue;
            }
            long next;
            try (FileRecords records = FileRecords.open(swap.toFile(), false)) {
                long last = base - 1;
                for (RecordBatch batch : records.batches()) last = batch.lastOffset();
                next = last + 1;
            } catch (IOException | RuntimeException e) {
                LOG.warnf("Deleting %s: unreadable (%s)", swap, e.toString());
                LogFiles.deleteIfExists(swap);
                continue;
            }
            for (long covered : LogFiles.offsetsOf(dir, LogFiles.LOG_SUFFIX)) {
                if (covered > base && covered < next) {
                    LogFiles.deleteIfExists(LogFiles.logFile(dir, covered));
                    LogFiles.deleteIfExists(LogFiles.indexFile(dir, covered));
                    LogFiles.deleteIfExists(LogFiles.timeIndexFile(dir, covered));
                }
            }
            LogFiles.deleteIfExists(LogFiles.indexFile(dir, base));
            LogFiles.deleteIfExists(LogFiles.timeIndexFile(dir, base));
            try {
                Files.move(swap, LogFiles.logFile(dir, base), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw LogFiles.storageError("completing " + swap, e);
            }
            LOG.infof("Completed the interrupted install of %s", swap);
        }
        LogFiles.fsyncDirectory(dir);
    }

    /**
     * Before a truncation: cleaned segments not yet installed describe data that is about to go,
     * so they must not be completed after a crash; a checkpoint past the new end is dropped.
     */
    private void discardCleanerOutput(long truncationOffset) {
        for (long base : LogFiles.offsetsOf(dir, LogFiles.SWAP_SUFFIX)) LogFiles.deleteIfExists(LogFiles.swapFile(dir, base));
        for (long base : LogFiles.offsetsOf(dir, LogFiles.CLEANED_SUFFIX)) LogFiles.deleteIfExists(LogFiles.cleanedFile(dir, base));
        if (readCleanerCheckpoint().orElse(-1) > truncationOffset) LogFiles.deleteIfExists(dir.resolve(LogFiles.CLEANER_CHECKPOINT));
        LogFiles.fsyncDirectory(dir);
    }

    private OptionalLong readCleanerCheckpoint() {
        Path file = dir.resolve(LogFiles.CLEANER_CHECKPOINT);
        try {
            if (!Files.exists(file)) return OptionalLong.empty();
            return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            LOG.warnf("Ignoring unreadable %s: %s", file, e.toString()); // the next pass treats the whole log as dirty
            return OptionalLong.empty();
        }
    }

    private void writeCleanerCheckpoint(long offset) {
        LogFiles.writeAtomically(dir.resolve(LogFiles.CLEANER_CHECKPOINT), (offset + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private OptionalLong readLogStartOffset() {
        Path file = dir.resolve(LogFiles.LOG_START_OFFSET);
        try {
            if (!Files.exists(file)) return OptionalLong.empty();
            return OptionalLong.of(Long.parseLong(Files.readString(file, StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            // Unreadable: fall back to the first segment's base, i.e. keep more, never less.
            LOG.warnf("Ignoring unreadable %s: %s", file, e.toString());
            return OptionalLong.empty();
        }
    }

    private void writeLogStartOffset() {
        LogFiles.writeAtomically(dir.resolve(LogFiles.LOG_START_OFFSET), (logStartOffset + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private void writeRecoveryPoint() {
        if (recoveryPointOffset < logStartOffset || recoveryPointOffset > logEndOffset)
            throw new IllegalStateException("recovery point " + recoveryPointOffset + " outside [" + logStartOffset + ", " + logEndOffset + "]");
        LogFiles.writeAtomically(dir.resolve(LogFiles.RECOVERY_POINT), (recoveryPointOffset + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "PartitionLog(" + dir + ", start=" + logStartOffset + ", end=" + logEndOffset + ", segments=" + segments.size() + ")";
    }
}
