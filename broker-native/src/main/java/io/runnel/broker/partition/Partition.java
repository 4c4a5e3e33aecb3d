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

import io.runnel.broker.log.AppendOrigin;
import io.runnel.broker.log.FileSlice;
import io.runnel.broker.log.LogAppendInfo;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.LogCompactor;
import io.runnel.broker.log.PartitionLog;

/**
 * One replica of a partition hosted by this broker: its log, its role (leader or follower of the
 * leader epoch the metadata names), its high watermark, and the queue of appends waiting for its
 * disk thread. As leader it tracks its followers' progress ({@link ReplicaProgress}), advances the
 * high watermark to what the whole ISR has, completes acks=all produces waiting for it, and
 * proposes ISR shrinks and expansions to the controller. As follower it appends what it fetched
 * from the leader, keeping the leader's offsets and epochs, and takes the leader's high watermark.
 *
 * <p>Threading: every log operation and all replication state run on the partition's own I/O
 * thread ({@link #io}); other threads only enqueue work and read the volatile fields. Appends from
 * many connections are drained in one go, so a flush policy that fsyncs pays one fsync per
 * drained group, not per request (group commit).
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
    private final int localBrokerId;
    /** Null where ISR changes cannot happen (a quorum of one): the ISR then stays as created. */
    private final IsrChangeSender isrChanges;
    private volatile int leaderId = -1;
    private volatile boolean leader;
    private volatile int partitionEpoch;
    private volatile List<Integer> isr = List.of();
    private volatile List<Integer> replicas = List.of();
    private volatile long highWatermark;
    /** min(high watermark, first offset of a transaction not yet stable): what read_committed consumers may read. I/O thread writes. */
    private volatile long lastStableOffset;
    /** The producers with a transaction open in this log, as of the I/O thread's last change (immutable). */
    private volatile java.util.Set<Long> openTxnProducers = java.util.Set.of();
    /** Leader only: the followers' progress, rebuilt at each leadership. */
    private ReplicaProgress progress;
    /** Leader only: the first offset of this leader's epoch; a follower joins the ISR only once it has reached it. */
    private long leaderEpochStartOffset;
    /** Leader only: the ISR proposed to the controller and not yet seen in the metadata, or null. */
    private List<Integer> proposedIsr;
    /** acks=all produces waiting for the high watermark to pass an offset. */
    private final java.util.TreeMap<Long, List<CompletableFuture<Errors>>> highWatermarkWaiters = new java.util.TreeMap<>();
    /** The log's size on disk as of the partition thread's last append or retention run. */
    private volatile long sizeBytes;
    /** The log's segment count, published by the I/O thread for metrics (the segment map itself is confined to it). */
    private volatile int segmentCount;

    private record PendingAppend(MemoryRecords records, AppendOrigin origin, CompletableFuture<AppendResult> result) {}

    /** A partition whose only replica is this one, leading: for tests and single-replica tools. */
    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, int leaderEpoch,
                     ScheduledExecutorService io, FetchPurgatory purgatory, Time time) {
        this(topicPartition, topicId, log, 0, null, io, purgatory, time);
        applyLeadership(List.of(0), List.of(0), 0, leaderEpoch, 0);
    }

    /**
     * A replica on broker {@code localBrokerId}; it has no role until {@link #applyLeadership}.
     *
     * @param isrChanges where, as leader, it proposes ISR changes; null if they cannot happen
     */
    public Partition(TopicPartition topicPartition, Uuid topicId, PartitionLog log, int localBrokerId, IsrChangeSender isrChanges,
                     ScheduledExecutorService io, FetchPurgatory purgatory, Time time) {
        this.localBrokerId = localBrokerId;
        this.isrChanges = isrChanges;
        this.highWatermark = log.logStartOffset();
        this.lastStableOffset = highWatermark;
        this.time = time;
        this.topicPartition = topicPartition;
        this.topicId = topicId;
        this.log = log;
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

    /** Whether this replica leads the partition (as of the metadata it last applied). */
    public boolean isLeader() {
        return leader;
    }

    /** The broker this replica lives on. */
    public int localBrokerId() {
        return localBrokerId;
    }

    public int leaderId() {
        return leaderId;
    }

    /** The ISR as the metadata last said. */
    public List<Integer> isr() {
        return isr;
    }

    /** The offset below which every ISR member has the data: what consumers may read and acks=all waits for. */
    public long highWatermark() {
        return highWatermark;
    }

    /** The offset below which every transaction is decided and replicated: where read_committed consumers stop. Any thread. */
    public long lastStableOffset() {
        return lastStableOffset;
    }

    /**
     * I/O thread, after anything that may move the high watermark or open or close a transaction:
     * recomputes the last stable offset (never above the high watermark).
     */
    private void refreshLastStableOffset() {
        log.onHighWatermark(highWatermark);
        long firstUnstable = log.firstUnstableOffset().orElse(Long.MAX_VALUE);
        lastStableOffset = Math.min(highWatermark, Math.max(firstUnstable, log.logStartOffset()));
        openTxnProducers = firstUnstable == Long.MAX_VALUE ? java.util.Set.of() : log.openTxnProducerIds();
    }

    /**
     * Whether {@code producerId} has a transaction open in this log (as of the last append): a
     * transactional produce then continues it and needs no check with the coordinator. Any thread.
     */
    public boolean hasOpenTransaction(long producerId) {
        return openTxnProducers.contains(producerId);
    }

    /**
     * Takes the role the metadata gives this replica: leader (a new leader epoch starts its
     * follower tracking afresh and marks where its epoch begins in the log) or follower (whoever
     * waits for acks=all is told NOT_LEADER_OR_FOLLOWER). Any thread; applied on the I/O thread,
     * in the order the metadata arrives.
     */
    public void applyLeadership(List<Integer> replicas, List<Integer> isr, int leaderId, int leaderEpoch, int partitionEpoch) {
        io.execute(() -> {
            if (closed) return;
            boolean wasLeader = leader;
            int oldEpoch = this.leaderEpoch;
            this.replicas = List.copyOf(replicas);
            this.isr = List.copyOf(isr);
            this.leaderId = leaderId;
            this.partitionEpoch = partitionEpoch;
            this.leaderEpoch = leaderEpoch;
            proposedIsr = null; // answered or overtaken: the next change is proposed against this state
            if (leaderId == localBrokerId) {
                if (!wasLeader || oldEpoch != leaderEpoch) becomeLeader(leaderEpoch);
                else progress.replicasChanged(this.replicas);
                this.leader = true;
                maybeIncrementHighWatermark();
                refreshLastStableOffset();
            } else {
                this.leader = false;
                progress = null;
                failHighWatermarkWaiters(Errors.NOT_LEADER_OR_FOLLOWER);
                if (wasLeader) LOG.infof("%s: now a follower of broker %d at leader epoch %d", topicPartition, leaderId, leaderEpoch);
            }
            purgatory.wake(topicPartition);
        });
    }

    private void becomeLeader(int epoch) {
        log.assignEpochStartOffset(epoch);
        leaderEpochStartOffset = log.logEndOffset();
        progress = new ReplicaProgress(localBrokerId, replicas, isr, time.milliseconds());
        highWatermark = Math.min(highWatermark, log.logEndOffset());
        if (replicas.size() > 1)
            LOG.infof("%s: leader at epoch %d from offset %d (replicas %s, ISR %s, high watermark %d)", topicPartition, epoch,
                    leaderEpochStartOffset, replicas, isr, highWatermark);
    }

    /** The ISR the high watermark waits for: the metadata's, plus any member this leader proposed to add. */
    private List<Integer> isrForHighWatermark() {
        if (proposedIsr == null) return isr;
        List<Integer> union = new ArrayList<>(isr);
        for (int r : proposedIsr) if (!union.contains(r)) union.add(r);
        return union;
    }

    /** Leader, I/O thread: raises the high watermark to what every ISR member has; wakes who waits for it. */
    private void maybeIncrementHighWatermark() {
        if (!leader || progress == null) return;
        long candidate = progress.minLogEndOffset(log.logEndOffset(), isrForHighWatermark());
        if (candidate <= highWatermark) return;
        highWatermark = candidate;
        refreshLastStableOffset();
        completeHighWatermarkWaiters();
        // Waiting fetches re-read here, on this thread, before drainAppends acks the producers: consumers first, as
        // Kafka completes its delayed fetches before the produce callback. Acks first measured ~35 us slower at the
        // median end to end (EndToEndAtRate, 6 runs each).
        purgatory.wake(topicPartition);
    }

    /** Leader, periodic: proposes dropping ISR members not caught up within {@code lagMaxMs}. */
    public void maybeShrinkIsr(long lagMaxMs) {
        io.execute(() -> {
            if (closed || !leader || progress == null || isrChanges == null) return;
            List<Integer> lagging = progress.outOfSync(isr, time.milliseconds(), lagMaxMs);
            if (lagging.isEmpty()) return;
            List<Integer> shrunk = new ArrayList<>(isr);
            shrunk.removeAll(lagging);
            proposeIsr(shrunk, "broker(s) " + lagging + " not caught up for " + lagMaxMs + " ms (replica.lag.time.max.ms)");
        });
    }

    private void proposeIsr(List<Integer> newIsr, String why) {
        if (isrChanges == null || proposedIsr != null || newIsr.equals(isr)) return;
        proposedIsr = List.copyOf(newIsr);
        int epoch = leaderEpoch;
        int pEpoch = partitionEpoch;
        LOG.infof("%s: proposing ISR %s (was %s): %s", topicPartition, newIsr, isr, why);
        isrChanges.alterIsr(topicPartition, topicId, epoch, pEpoch, proposedIsr).whenComplete((error, failure) -> io.execute(() -> {
            if (failure == null && error == Errors.NONE) return; // the metadata brings the new ISR (and clears the proposal)
            LOG.infof("%s: ISR change to %s not accepted: %s", topicPartition, newIsr, failure != null ? failure.toString() : error.name());
            if (leaderEpoch == epoch && partitionEpoch == pEpoch) proposedIsr = null; // may propose again
        }));
    }

    /**
     * acks=all: completes with NONE once the high watermark passes {@code offset}, REQUEST_TIMED_OUT
     * after {@code timeoutMs}, NOT_LEADER_OR_FOLLOWER if this replica stops leading first.
     */
    public CompletableFuture<Errors> awaitHighWatermark(long offset, long timeoutMs) {
        if (leader && highWatermark >= offset) return CompletableFuture.completedFuture(Errors.NONE); // already committed
        CompletableFuture<Errors> done = new CompletableFuture<>();
        io.execute(() -> {
            if (closed || !leader) {
                done.complete(Errors.NOT_LEADER_OR_FOLLOWER);
                return;
            }
            if (highWatermark >= offset) {
                done.complete(Errors.NONE);
                return;
            }
            highWatermarkWaiters.computeIfAbsent(offset, k -> new ArrayList<>()).add(done);
            var timeout = io.schedule(() -> {
                List<CompletableFuture<Errors>> waiting = highWatermarkWaiters.get(offset);
                if (waiting != null && waiting.remove(done)) {
                    if (waiting.isEmpty()) highWatermarkWaiters.remove(offset);
                    done.complete(Errors.REQUEST_TIMED_OUT);
                }
            }, Math.max(1, timeoutMs), java.util.concurrent.TimeUnit.MILLISECONDS);
            done.whenComplete((error, failure) -> timeout.cancel(false)); // one pending timer per waiting produce, not per produce ever
        });
        return done;
    }

    private void completeHighWatermarkWaiters() {
        while (!highWatermarkWaiters.isEmpty() && highWatermarkWaiters.firstKey() <= highWatermark) {
            for (CompletableFuture<Errors> waiter : highWatermarkWaiters.pollFirstEntry().getValue()) waiter.complete(Errors.NONE);
        }
    }

    private void failHighWatermarkWaiters(Errors error) {
        for (List<CompletableFuture<Errors>> waiting : highWatermarkWaiters.values()) for (var w : waiting) w.complete(error);
        highWatermarkWaiters.clear();
    }

    // ---- follower ----------------------------------------------------------------------------

    /**
     * Follower: appends what was fetched from the leader (its offsets and epochs kept), takes the
     * leader's high watermark as far as this log reaches, and its log start offset as far as that.
     * Completes with the new log end offset.
     */
    public CompletableFuture<Long> appendAsFollower(MemoryRecords records, long leaderHighWatermark, long leaderLogStartOffset) {
        return onIo(l -> {
            if (leader) throw new NotLeaderOrFollowerException(topicPartition + " is led here, not followed");
            if (records.sizeInBytes() > 0) {
                l.appendAsFollower(records);
                refreshSizes(l);
                l.maybeFlush(time.milliseconds());
            }
            long hw = Math.min(leaderHighWatermark, l.logEndOffset());
            if (hw > highWatermark) {
                highWatermark = hw;
                purgatory.wake(topicPartition);
            }
            refreshLastStableOffset();
            // DeleteRecords on the leader moves its log start; followers follow, never past what they have committed.
            long newStart = Math.min(leaderLogStartOffset, highWatermark);
            if (newStart > l.logStartOffset()) {
                l.deleteRecordsBefore(newStart);
                refreshSizes(l);
            }
            return l.logEndOffset();
        });
    }

    /** Follower: the latest leader epoch in this log, or -1 when it has none. */
    public CompletableFuture<Integer> latestEpoch() {
        return onIo(l -> l.latestLeaderEpoch().orElse(-1));
    }

    /**
     * Follower, before fetching from a new leader: cuts the log back to where it agrees with the
     * leader (KIP-279): the leader answered {@code leaderEpoch} ends at {@code leaderEndOffset} in
     * its log; this log keeps nothing past that, nor past its own end of that epoch.
     * Completes with the new log end offset.
     */
    public CompletableFuture<Long> truncateToLeader(int leaderEpoch, long leaderEndOffset) {
        return onIo(l -> {
            long target = leaderEndOffset;
            // This log's end of that epoch, or of the latest earlier one it has.
            var own = l.endOffsetForEpoch(leaderEpoch);
            if (own.epoch() >= 0) target = Math.min(target, own.endOffset());
            if (target < l.logEndOffset()) {
                LOG.infof("%s: truncating from %d to %d to match the leader (epoch %d ends at %d there)", topicPartition,
                        l.logEndOffset(), target, leaderEpoch, leaderEndOffset);
                l.truncateTo(Math.max(target, l.logStartOffset()));
                refreshSizes(l);
            }
            highWatermark = Math.min(highWatermark, l.logEndOffset());
            refreshLastStableOffset();
            return l.logEndOffset();
        });
    }

    /** Follower whose log is entirely below the leader's log start: starts over empty at {@code offset}. */
    public CompletableFuture<Long> truncateFullyAndStartAt(long offset) {
        return onIo(l -> {
            LOG.infof("%s: log end %d is below the leader's log start %d: starting over there", topicPartition, l.logEndOffset(), offset);
            l.truncateFullyAndStartAt(offset);
            refreshSizes(l);
            highWatermark = offset;
            refreshLastStableOffset();
            return offset;
        });
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

    /** Publishes the log's size and segment count after it changed (I/O thread), for metrics and retention. */
    private void refreshSizes(PartitionLog l) {
        sizeBytes = l.sizeInBytes();
        segmentCount = l.numberOfSegments();
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
        return appendRecordsToLeader(records, AppendOrigin.CLIENT);
    }

    /** {@link #appendRecordsToLeader(MemoryRecords)} for a coordinator (markers, transactional offset commits). */
    public CompletableFuture<AppendResult> appendRecordsToLeader(MemoryRecords records, AppendOrigin origin) {
        CompletableFuture<AppendResult> result = new CompletableFuture<>();
        appendQueue.add(new PendingAppend(records, origin, result));
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
            results.add(appendOne(pending.records(), pending.origin()));
        }
        if (group.isEmpty()) return;
        // One fsync, if the policy says one is due, for the whole group; only then do acks go out.
        String flushFailure = flushPerPolicy();
        // Before the acks: a sole ISR member commits at once, so its acks=all waits need no second hop.
        maybeIncrementHighWatermark();
        refreshLastStableOffset(); // an append may have opened a transaction below the high watermark's next move
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

    private AppendResult appendOne(MemoryRecords records, AppendOrigin origin) {
        if (closed) return AppendResult.error(Errors.NOT_LEADER_OR_FOLLOWER, "partition " + topicPartition + " is closing");
        if (!leader) return AppendResult.error(Errors.NOT_LEADER_OR_FOLLOWER, "broker " + localBrokerId + " does not lead " + topicPartition);
        try {
            LogAppendInfo info = log.appendAsLeader(records, leaderEpoch, origin);
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
     * Reads up to {@code maxBytes} from {@code fetchOffset} up to the log end, committed or not:
     * for the group coordinator replaying the partition it now leads (what is not committed yet
     * will be, by this leader), as Kafka's coordinators load to the log end.
     */
    public CompletableFuture<ReadResult> readToLogEnd(long fetchOffset, int maxBytes, boolean minOneMessage) {
        return readWith(-1, (l, hw) -> l.read(fetchOffset, maxBytes, l.logEndOffset(), minOneMessage).records());
    }

    /**
     * A client fetch, never past the high watermark: the records stay in their segment file and go to the
     * socket with {@code sendfile} ({@link io.runnel.broker.protocol.FileSliceRecords}); from one
     * segment, as Kafka's fetch.
     */
    public CompletableFuture<ReadResult> readForFetch(long fetchOffset, int maxBytes, boolean minOneMessage, int currentLeaderEpoch) {
        return readForFetch(fetchOffset, maxBytes, minOneMessage, currentLeaderEpoch, false);
    }

    /**
     * A client fetch; with {@code readCommitted} it stops at the last stable offset and names the
     * aborted transactions from {@code fetchOffset} up to there, so the consumer can drop their records.
     */
    public CompletableFuture<ReadResult> readForFetch(long fetchOffset, int maxBytes, boolean minOneMessage, int currentLeaderEpoch,
                                                     boolean readCommitted) {
        return onIoOrHere(l -> {
            Errors epochError = checkLeaderEpoch(currentLeaderEpoch);
            long hw = highWatermark;
            long lso = lastStableOffset;
            if (epochError != Errors.NONE) return ReadResult.error(epochError, hw, l.logStartOffset());
            long upTo = readCommitted ? lso : hw;
            try {
                FileSlice slice = l.readSlice(fetchOffset, maxBytes, upTo, minOneMessage);
                var records = slice.sizeInBytes() == 0 ? MemoryRecords.EMPTY : new io.runnel.broker.protocol.FileSliceRecords(slice);
                var aborted = readCommitted ? (slice.sizeInBytes() == 0 ? java.util.List.<io.runnel.broker.log.AbortedTxn>of()
                        : l.abortedTransactions(fetchOffset, upTo)) : null;
                return new ReadResult(Errors.NONE, records, hw, lso, l.logStartOffset(), aborted);
            } catch (OffsetOutOfRangeException e) {
                return ReadResult.error(Errors.OFFSET_OUT_OF_RANGE, hw, l.logStartOffset());
            }
        });
    }

    /**
     * A follower's fetch, on the leader: records its progress (which may advance the high
     * watermark and the ISR), then reads from {@code fetchOffset} up to the log end, not the high
     * watermark: followers copy what is not committed yet, which is how it gets committed.
     */
    public CompletableFuture<ReadResult> readForFollower(int replicaId, long fetchOffset, int maxBytes, boolean minOneMessage,
                                                        int currentLeaderEpoch) {
        return onIo(l -> {
            Errors epochError = checkLeaderEpoch(currentLeaderEpoch);
            if (epochError != Errors.NONE) return ReadResult.error(epochError, highWatermark, l.logStartOffset());
            if (!leader || progress == null) return ReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, highWatermark, l.logStartOffset());
            if (fetchOffset < l.logStartOffset() || fetchOffset > l.logEndOffset())
                return ReadResult.error(Errors.OFFSET_OUT_OF_RANGE, highWatermark, l.logStartOffset());
            if (!progress.onFetch(replicaId, fetchOffset, l.logEndOffset(), time.milliseconds()))
                return ReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, highWatermark, l.logStartOffset());
            maybeIncrementHighWatermark();
            if (!isr.contains(replicaId) && progress.mayJoinIsr(replicaId, highWatermark, leaderEpochStartOffset)) {
                List<Integer> expanded = new ArrayList<>();
                for (int r : replicas) if (isr.contains(r) || r == replicaId) expanded.add(r);
                proposeIsr(expanded, "broker " + replicaId + " caught up to offset " + fetchOffset);
            }
            FileSlice slice = l.readSlice(fetchOffset, maxBytes, l.logEndOffset(), minOneMessage);
            var records = slice.sizeInBytes() == 0 ? MemoryRecords.EMPTY : new io.runnel.broker.protocol.FileSliceRecords(slice);
            return new ReadResult(Errors.NONE, records, highWatermark, lastStableOffset, l.logStartOffset(), null);
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

    /** DescribeProducers: every producer this replica's log knows, read on the partition's thread. */
    public CompletableFuture<List<io.runnel.broker.log.ActiveProducer>> activeProducers() {
        return onIo(PartitionLog::activeProducers);
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
            refreshSizes(l);
            refreshLastStableOffset();
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
                refreshSizes(log);
                if (deleted > 0) LOG.infof("Retention deleted %d segment(s) of %s; log start offset is now %d",
                        deleted, topicPartition, log.logStartOffset());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Retention of %s failed", topicPartition);
            }
        });
    }

    /** The cleaner's backlog on this log as of its last plan (0 for a log that is not compacted). Any thread. */
    public long cleanableDirtyBytes() {
        return log.cleanableDirtyBytes();
    }

    /** For the log cleaner: what a cleaning pass should clean now, worked out on the partition's thread. */
    public CompletableFuture<Optional<LogCompactor.Plan>> compactionPlan(long nowMs) {
        return onIo(l -> l.compactionPlan(nowMs));
    }

    /** For the log cleaner: swaps a finished pass in on the partition's thread; false if the log changed meanwhile. */
    public CompletableFuture<Boolean> installCompaction(LogCompactor.Result result) {
        return onIo(l -> {
            boolean installed = l.installCompaction(result);
            refreshSizes(l);
            return installed;
        });
    }

    /** Stops accepting work and closes (or deletes) the log on its own thread. */
    public CompletableFuture<Void> close(boolean deleteFiles) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        io.execute(() -> {
            closed = true;
            drainAppends(); // queued appends are answered, not dropped
            failHighWatermarkWaiters(Errors.NOT_LEADER_OR_FOLLOWER); // acks=all waiting here: the producer retries on the new leader
            leader = false;
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

    /**
     * {@link #onIo}, but run at once when the caller already is this partition's I/O thread: a
     * waiting fetch woken by an append here reads the new records without a round trip through
     * the queue and an event loop (FetchHandler's DelayedFetch).
     */
    private <T> CompletableFuture<T> onIoOrHere(Function<PartitionLog, T> task) {
        if (!(io instanceof IoThread thread) || !thread.isCurrentThread()) return onIo(task);
        try {
            if (closed) throw new NotLeaderOrFollowerException("partition " + topicPartition + " is closed");
            return CompletableFuture.completedFuture(task.apply(log));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
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
