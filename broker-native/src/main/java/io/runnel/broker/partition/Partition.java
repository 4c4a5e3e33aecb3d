package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.log.FileSlice;
import io.runnel.broker.log.LogAppendInfo;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.LogCompactor;
import io.runnel.broker.log.PartitionLog;

/**
 * One partition this broker leads: its log, its leader epoch and high watermark, and the queue of
 * appends waiting for its disk thread.
 *
 * <p>Threading: every log operation runs on the partition's own I/O thread ({@link #io}); other
 * threads only enqueue work and read the volatile offsets. Appends from many connections are
 * drained in one go, so a flush policy that fsyncs pays one fsync per drained group, not per
 * request (group commit). On one node the high watermark is the log end offset: every replica in
 * the ISR (only this one) has the data as soon as the append returns.
 */
public final class Partition {
    private static final Logger LOG = Logger.getLogger(Partition.class);

    private final TopicPartition topicPartition;
    private final Uuid topicId;
    private final PartitionLog log;
    private final ScheduledExecutorService io;
    private final FetchPurgatory purgatory;
    private final Time time;
    private final ConcurrentLinkedQueue<PendingAppend> appendQueue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile int leaderEpoch;
    private volatile boolean closed;
    /** The log's size on disk as of the partition thread's last append or retention run. */
    private volatile long sizeBytes;
    /** The log's segment count, published by the I/O thread for metrics (the segment map itself is confined to it). */
    private volatile int segmentCount;

    private record PendingAppend(MemoryRecords records, CompletableFuture<AppendResult> result) {}

    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, int leaderEpoch,
                     ScheduledExecutorService io, FetchPurgatory purgatory, Time time) {
        this.time = time;
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
        this.leaderEpoch = leaderEpoch;
        this.io = io;
        this.purgatory = purgatory;
        this.sizeBytes = log.sizeInBytes(); // not yet shared: the caller hands the log over after this
        this.segmentCount = log.numberOfSegments();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Uuid topicId() {
        return topicId;
    }

    public int leaderEpoch() {
        return leaderEpoch;
    }

    public void setLeaderEpoch(int leaderEpoch) {
        this.leaderEpoch = leaderEpoch;
    }

    public long highWatermark() {
        return log.logEndOffset();
    }

    public long logStartOffset() {
        return log.logStartOffset();
    }

    public long logEndOffset() {
        return log.logEndOffset();
    }

    /** Bytes of the partition's segments on disk; readable from any thread, refreshed by its own. */
    public long sizeInBytes() {
        return sizeBytes;
    }

    /** The log's segment count as of its last change; any thread. */
    public long segmentCount() {
        return segmentCount;
    }

    /** The log directory (a {@code log.dirs} entry) holding this partition. */
    public java.nio.file.Path logDir() {
        return log.dir().toAbsolutePath().getParent();
    }

    /** Queues an append; completes on the I/O thread once the records are in the log (and flushed if policy says so). */
    public CompletableFuture<AppendResult> appendRecordsToLeader(MemoryRecords records) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        appendQueue.add(new PendingAppend(records, result));
        if (drainScheduled.compareAndSet(false, true)) io.execute(this::drainAppends);
        return result;
    }

    private void drainAppends() {
        drainScheduled.set(false);
        List<PendingAppend> group = new ArrayList<>();
        List<AppendResult> results = new ArrayList<>();
        PendingAppend pending;
        while ((pending = appendQueue.poll()) != null) {
            group.add(pending);
            results.add(appendOne(pending.records()));
        }
        if (group.isEmpty()) return;
        // One fsync, if the policy says one is due, for the whole group; only then do acks go out.
        String flushFailure = flushPerPolicy();
        for (int i = 0; i < group.size(); i++) {
            AppendResult result = results.get(i);
            if (flushFailure != null && result.error() == Errors.NONE) {
                result = AppendResult.error(Errors.KAFKA_STORAGE_ERROR, flushFailure);
            }
            group.get(i).result().complete(result);
        }
        purgatory.wake(topicPartition);
    }

    /** Returns null when flushed or not due, else why the flush failed. */
    private String flushPerPolicy() {
        if (closed) return null;
        try {
            log.maybeFlush(time.milliseconds());
            return null;
        } catch (RuntimeException e) {
            LOG.errorf(e, "Flush of %s failed; the appends of this group are not acknowledged", topicPartition);
            return "flush failed: " + e.getMessage();
        }
    }

    private AppendResult appendOne(MemoryRecords records) {
        if (closed) return AppendResult.error(Errors.NOT_LEADER_OR_FOLLOWER, "partition " + topicPartition + " is closing");
        try {
            LogAppendInfo info = log.appendAsLeader(records, leaderEpoch);
            sizeBytes += info.validBytes(); // a duplicate wrote nothing and reports 0
            segmentCount = log.numberOfSegments(); // an append may have rolled
            return new AppendResult(Errors.NONE, null, info.firstOffset(), info.logAppendTimeMs(), log.logStartOffset());
        } catch (ApiException e) {
            // A client's bad batch (CRC, format, size, sequence) is named in the log; the partition serves on.
            LOG.infof("Rejected produce to %s with %s: %s", topicPartition, Errors.forException(e).name(), e.getMessage());
            return AppendResult.error(Errors.forException(e), e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Append to %s failed", topicPartition);
            return AppendResult.error(Errors.KAFKA_STORAGE_ERROR, "append failed: " + e.getMessage());
        }
    }

    /**
     * Reads up to {@code maxBytes} from {@code fetchOffset}, never past the high watermark. The
     * caller's {@code currentLeaderEpoch} (-1 when unknown) fences clients with stale metadata.
     */
    public CompletableFuture<ReadResult> read(long fetchOffset, int maxBytes, boolean minOneMessage, int currentLeaderEpoch) {
        return readWith(currentLeaderEpoch, (l, hw) -> l.read(fetchOffset, maxBytes, hw, minOneMessage).records());
    }

    /**
     * A client fetch: like {@link #read}, but the records stay in their segment file and go to the
     * socket with {@code sendfile} ({@link io.runnel.broker.protocol.FileSliceRecords}); from one
     * segment, as Kafka's fetch.
     */
    public CompletableFuture<ReadResult> readForFetch(long fetchOffset, int maxBytes, boolean minOneMessage, int currentLeaderEpoch) {
        return readWith(currentLeaderEpoch, (l, hw) -> {
            FileSlice slice = l.readSlice(fetchOffset, maxBytes, hw, minOneMessage);
            return slice.sizeInBytes() == 0 ? MemoryRecords.EMPTY : new io.runnel.broker.protocol.FileSliceRecords(slice);
        });
    }

    /** Epoch fencing and the offset-range answer around a read up to the high watermark, on the partition's thread. */
    private CompletableFuture<ReadResult> readWith(int currentLeaderEpoch,
                                                   java.util.function.BiFunction<PartitionLog, Long, org.apache.kafka.common.record.internal.BaseRecords> reader) {
        return onIo(l -> {
            Errors epochError = checkLeaderEpoch(currentLeaderEpoch);
            if (epochError != Errors.NONE) return ReadResult.error(epochError, highWatermark(), l.logStartOffset());
            long hw = highWatermark();
            try {
                return new ReadResult(Errors.NONE, reader.apply(l, hw), hw, l.logStartOffset());
            } catch (OffsetOutOfRangeException e) {
                return ReadResult.error(Errors.OFFSET_OUT_OF_RANGE, hw, l.logStartOffset());
            }
        });
    }

    /** Kafka's leader-epoch fencing for requests that carry the client's view of the epoch. */
    public Errors checkLeaderEpoch(int currentLeaderEpoch) {
        if (currentLeaderEpoch == -1 || currentLeaderEpoch == leaderEpoch) return Errors.NONE;
        return currentLeaderEpoch < leaderEpoch ? Errors.FENCED_LEADER_EPOCH : Errors.UNKNOWN_LEADER_EPOCH;
    }

    public CompletableFuture<Optional<FileRecords.TimestampAndOffset>> offsetForTimestamp(long timestampMs) {
        return onIo(l -> l.offsetForTimestamp(timestampMs));
    }

    public CompletableFuture<Optional<FileRecords.TimestampAndOffset>> offsetOfMaxTimestamp() {
        return onIo(PartitionLog::offsetOfMaxTimestamp);
    }

    /** (epoch, end offset) as OffsetForLeaderEpoch defines it. */
    public CompletableFuture<long[]> endOffsetForEpoch(int epoch) {
        return onIo(l -> {
            var end = l.endOffsetForEpoch(epoch);
            return new long[] {end.epoch(), end.endOffset()};
        });
    }

    /** Applies changed topic configs (retention, roll, flush policy...) on the partition's own thread. */
    public void updateConfig(LogConfig config) {
        io.execute(() -> {
            if (!closed) log.updateConfig(config);
        });
    }

    /**
     * DeleteRecords: moves the log start to {@code offset} (-1: the high watermark); completes with
     * the new log start, or OFFSET_OUT_OF_RANGE beyond the high watermark.
     */
    public CompletableFuture<Long> deleteRecordsBefore(long offset) {
        return onIo(l -> {
            long target = offset == -1 ? highWatermark() : offset;
            if (target < 0 || target > highWatermark())
                throw new OffsetOutOfRangeException("offset " + offset + " is outside [0, " + highWatermark() + "]");
            long start = l.deleteRecordsBefore(target);
            sizeBytes = l.sizeInBytes();
            segmentCount = l.numberOfSegments();
            return start;
        });
    }

    /** Periodic housekeeping on the partition's own thread: time-based roll, then retention. */
    public void runRetention(long nowMs) {
        io.execute(() -> {
            if (closed) return;
            try {
                log.maybeRoll(nowMs);
                log.maybeFlush(nowMs);
                int deleted = log.deleteSegmentsPerRetention(nowMs);
                sizeBytes = log.sizeInBytes();
                segmentCount = log.numberOfSegments();
                if (deleted > 0) LOG.infof("Retention deleted %d segment(s) of %s; log start offset is now %d",
                        deleted, topicPartition, log.logStartOffset());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Retention of %s failed", topicPartition);
            }
        });
    }

    /** For the log cleaner: what a cleaning pass should clean now, worked out on the partition's thread. */
    public CompletableFuture<Optional<LogCompactor.Plan>> compactionPlan(long nowMs) {
        return onIo(l -> l.compactionPlan(nowMs));
    }

    /** For the log cleaner: swaps a finished pass in on the partition's thread; false if the log changed meanwhile. */
    public CompletableFuture<Boolean> installCompaction(LogCompactor.Result result) {
        return onIo(l -> {
            boolean installed = l.installCompaction(result);
            sizeBytes = l.sizeInBytes();
            segmentCount = l.numberOfSegments();
            return installed;
        });
    }

    /** Stops accepting work and closes (or deletes) the log on its own thread. */
    public CompletableFuture<Void> close(boolean deleteFiles) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        io.execute(() -> {
            closed = true;
            drainAppends(); // queued appends are answered, not dropped
            try {
                if (deleteFiles) log.deleteFiles(); else log.close();
                done.complete(null);
            } catch (RuntimeException e) {
                LOG.errorf(e, "Closing log of %s failed", topicPartition);
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private <T> CompletableFuture<T> onIo(Function<PartitionLog, T> task) {
        return CompletableFuture.supplyAsync(() -> {
            if (closed) throw new NotLeaderOrFollowerException("partition " + topicPartition + " is closed");
            return task.apply(log);
        }, io);
    }

    PartitionLog log() {
        return log;
    }
}
