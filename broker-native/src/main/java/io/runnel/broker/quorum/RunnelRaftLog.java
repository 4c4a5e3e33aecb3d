package io.runnel.broker.quorum;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.UnalignedMemoryRecords;
import org.apache.kafka.common.record.internal.UnalignedRecords;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;
import org.apache.kafka.raft.Isolation;
import org.apache.kafka.raft.LogAppendInfo;
import org.apache.kafka.raft.LogFetchInfo;
import org.apache.kafka.raft.LogOffsetMetadata;
import org.apache.kafka.raft.RaftLog;
import org.apache.kafka.raft.ValidOffsetAndEpoch;
import org.apache.kafka.server.common.OffsetAndEpoch;
import org.apache.kafka.snapshot.FileRawSnapshotReader;
import org.apache.kafka.snapshot.FileRawSnapshotWriter;
import org.apache.kafka.snapshot.NotifyingRawSnapshotWriter;
import org.apache.kafka.snapshot.RawSnapshotReader;
import org.apache.kafka.snapshot.RawSnapshotWriter;
import org.apache.kafka.snapshot.SnapshotPath;
import org.apache.kafka.snapshot.Snapshots;
import org.jboss.logging.Logger;

import io.runnel.broker.log.AppendOrigin;
import io.runnel.broker.log.LeaderEpochCache;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.PartitionLog;

/**
 * The metadata quorum's log ({@code __cluster_metadata-0}) as kafka-raft needs it: Runnel's own
 * {@link PartitionLog} for the records (leader and follower appends, truncation on divergence,
 * leader epochs) plus kafka-raft's snapshot files ({@code <offset>-<epoch>.checkpoint}) in the
 * same directory, so the directory looks exactly like a KRaft node's.
 *
 * <p>Invariants: the high watermark never exceeds the log end and is never truncated below; if
 * the log start offset is above 0, a snapshot at or above it exists (it holds what was deleted).
 *
 * <p>Threading: kafka-raft calls this from its poll thread, but also reads it from the thread that
 * completes a parked follower fetch (the expiration timer) and freezes snapshots from the
 * thread that writes them; every method therefore holds this object's lock. The metadata log is
 * small and its appends are batched, so the lock is never contended for long.
 */
public final class RunnelRaftLog implements RaftLog {
    private static final Logger LOG = Logger.getLogger(RunnelRaftLog.class);
    public static final TopicPartition TOPIC_PARTITION = new TopicPartition(Topic.CLUSTER_METADATA_TOPIC_NAME, 0);
    /** Deleted snapshots stay readable this long, for a follower still fetching one. */
    static final long SNAPSHOT_DELETE_DELAY_MS = 60_000;
    /** kafka-raft's largest batch ({@code KafkaRaftClient.MAX_BATCH_SIZE_BYTES}). */
    static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;

    private final PartitionLog log;
    private final Time time;
    private final long retentionBytes;
    private final long retentionMs;
    /** Snapshot id → its reader once opened. */
    private final TreeMap<OffsetAndEpoch, Optional<FileRawSnapshotReader>> snapshots;
    /** Snapshots marked for deletion, with the time their files may go. */
    private final List<Map.Entry<Long, Map<OffsetAndEpoch, Optional<FileRawSnapshotReader>>>> pendingDeletes = new ArrayList<>();
    private long highWatermark;

    private RunnelRaftLog(PartitionLog log, Time time, long retentionBytes, long retentionMs,
                          TreeMap<OffsetAndEpoch, Optional<FileRawSnapshotReader>> snapshots) {
        this.log = log;
        this.time = time;
        this.retentionBytes = retentionBytes;
        this.retentionMs = retentionMs;
        this.snapshots = snapshots;
        this.highWatermark = log.logStartOffset();
    }

    /**
     * Opens the log in {@code dir} (always validating its tail: it is small), recovers its snapshot
     * files and, as Kafka does, truncates fully if the newest snapshot is past the log end (a
     * follower that crashed after fetching a snapshot). {@code retentionBytes} and
     * {@code retentionMs} are KRaft's {@code metadata.max.retention.*}: how much log and older
     * snapshots to keep once newer snapshots cover them (-1: no limit).
     */
    public static RunnelRaftLog open(Path dir, Time time, long segmentBytes, long retentionBytes, long retentionMs) {
        // Retention is by snapshot, never by the log's own time or size rules.
        LogConfig config = LogConfig.defaults().withRetentionMs(-1).withRetentionBytes(-1)
                .withSegmentBytes((int) segmentBytes).withMaxMessageBytes(MAX_BATCH_BYTES);
        PartitionLog log = PartitionLog.open(dir, config, false, time);
        if (log.topicId().isEmpty()) log.assignTopicId(Uuid.METADATA_TOPIC_ID);
        RunnelRaftLog raftLog = new RunnelRaftLog(log, time, retentionBytes, retentionMs, recoverSnapshots(log));
        raftLog.truncateToLatestSnapshot();
        return raftLog;
    }

    private static TreeMap<OffsetAndEpoch, Optional<FileRawSnapshotReader>> recoverSnapshots(PartitionLog log) {
        TreeMap<OffsetAndEpoch, Optional<FileRawSnapshotReader>> kept = new TreeMap<>();
        List<SnapshotPath> unneeded = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(log.dir())) {
            for (Path file : files) {
                Optional<SnapshotPath> parsed = Snapshots.parse(file);
                if (parsed.isEmpty()) continue;
                SnapshotPath snapshot = parsed.get();
                if (snapshot.partial() || snapshot.deleted() || snapshot.snapshotId().offset() < log.logStartOffset()) unneeded.add(snapshot);
                else kept.put(snapshot.snapshotId(), Optional.empty());
            }
            if (log.logStartOffset() > 0 && (kept.isEmpty() || kept.lastKey().offset() < log.logStartOffset()))
                throw new IllegalStateException("Inconsistent metadata log " + log.dir() + ": it starts at offset " + log.logStartOffset()
                        + " but no snapshot covers the records before it (snapshots: " + kept.keySet() + ")");
            for (SnapshotPath snapshot : unneeded) {
                Files.deleteIfExists(snapshot.path());
                LOG.infof("Deleted unneeded snapshot file %s", snapshot.path());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kept;
    }

    // ---- records ----------------------------------------------------------------------------

    @Override
    public synchronized LogAppendInfo appendAsLeader(Records records, int epoch) {
        if (records.sizeInBytes() == 0) throw new IllegalArgumentException("Attempt to append an empty record set");
        var info = log.appendAsLeader((MemoryRecords) records, epoch, AppendOrigin.RAFT_LEADER);
        return new LogAppendInfo(info.firstOffset(), info.lastOffset());
    }

    @Override
    public synchronized LogAppendInfo appendAsFollower(Records records, int epoch) {
        if (records.sizeInBytes() == 0) throw new IllegalArgumentException("Attempt to append an empty record set");
        var info = log.appendAsFollower((MemoryRecords) records);
        return new LogAppendInfo(info.firstOffset(), info.lastOffset());
    }

    @Override
    public synchronized LogFetchInfo read(long startOffset, Isolation isolation, int maxTotalBatchBytes) {
        long maxOffsetExclusive = isolation == Isolation.COMMITTED ? highWatermark : log.logEndOffset();
        // A copy, not a file slice: followers append what they fetch as MemoryRecords, and the
        // bytes must not change under a reader after a truncation.
        MemoryRecords records = log.read(startOffset, maxTotalBatchBytes, maxOffsetExclusive, true).records();
        var batches = records.batches().iterator();
        long firstBatchOffset = batches.hasNext() ? batches.next().baseOffset() : startOffset;
        return new LogFetchInfo(records, new LogOffsetMetadata(firstBatchOffset));
    }

    @Override
    public synchronized int lastFetchedEpoch() {
        var latest = log.latestLeaderEpoch();
        if (latest.isPresent()) return latest.getAsInt();
        Optional<OffsetAndEpoch> snapshot = latestSnapshotId();
        if (snapshot.isEmpty()) return 0;
        if (snapshot.get().offset() == log.logStartOffset() && snapshot.get().offset() == log.logEndOffset()) return snapshot.get().epoch();
        throw new IllegalStateException("The metadata log has no leader epoch but snapshot " + snapshot.get()
                + " does not end where the log starts and ends (" + log.logStartOffset() + ", " + log.logEndOffset() + ")");
    }

    @Override
    public synchronized OffsetAndEpoch endOffsetForEpoch(int epoch) {
        LeaderEpochCache.EpochEndOffset found = log.endOffsetForEpoch(epoch);
        if (found.endOffset() == LeaderEpochCache.UNDEFINED_EPOCH_OFFSET) return new OffsetAndEpoch(log.logEndOffset(), lastFetchedEpoch());
        Optional<OffsetAndEpoch> earliestSnapshot = earliestSnapshotId();
        if (earliestSnapshot.isPresent() && found.endOffset() == earliestSnapshot.get().offset() && found.epoch() == epoch) {
            // The epoch is the oldest one in the log: the snapshot at the log start answers for what precedes it.
            return earliestSnapshot.get();
        }
        return new OffsetAndEpoch(found.endOffset(), found.epoch());
    }

    @Override
    public synchronized LogOffsetMetadata endOffset() {
        return new LogOffsetMetadata(log.logEndOffset());
    }

    @Override
    public synchronized long startOffset() {
        return log.logStartOffset();
    }

    @Override
    public synchronized void initializeLeaderEpoch(int epoch) {
        log.assignEpochStartOffset(epoch);
    }

    @Override
    public synchronized void truncateTo(long offset) {
        if (offset < highWatermark)
            throw new IllegalArgumentException("Attempt to truncate to offset " + offset + ", which is below the current high watermark " + highWatermark);
        log.truncateTo(offset);
    }

    @Override
    public synchronized boolean truncateToLatestSnapshot() {
        Optional<OffsetAndEpoch> latest = latestSnapshotId();
        if (latest.isEmpty()) return false;
        OffsetAndEpoch snapshot = latest.get();
        int latestEpoch = log.latestLeaderEpoch().orElse(0);
        if (snapshot.epoch() > latestEpoch || (snapshot.epoch() == latestEpoch && snapshot.offset() > log.logEndOffset())) {
            log.truncateFullyAndStartAt(snapshot.offset());
            highWatermark = Math.max(highWatermark, snapshot.offset());
            forgetSnapshotsBefore(snapshot);
            return true;
        }
        return false;
    }

    @Override
    public synchronized void updateHighWatermark(LogOffsetMetadata offsetMetadata) {
        long offset = offsetMetadata.offset();
        if (offset < log.logStartOffset() || offset > log.logEndOffset())
            throw new IllegalArgumentException("High watermark " + offset + " is outside the log range ["
                    + log.logStartOffset() + ", " + log.logEndOffset() + "]");
        highWatermark = offset;
    }

    @Override
    public synchronized LogOffsetMetadata highWatermark() {
        return new LogOffsetMetadata(highWatermark);
    }

    @Override
    public synchronized void flush(boolean forceFlushActiveSegment) {
        log.flush();
    }

    @Override
    public TopicPartition topicPartition() {
        return TOPIC_PARTITION;
    }

    @Override
    public Uuid topicId() {
        return Uuid.METADATA_TOPIC_ID;
    }

    // ---- snapshots --------------------------------------------------------------------------

    @Override
    public synchronized Optional<RawSnapshotWriter> createNewSnapshot(OffsetAndEpoch snapshotId) {
        if (snapshotId.offset() < log.logStartOffset()) {
            LOG.infof("Not creating snapshot %s: it is below the log start offset %d", snapshotId, log.logStartOffset());
            return Optional.empty();
        }
        if (snapshotId.offset() > highWatermark)
            throw new IllegalArgumentException("Cannot create a snapshot with an id (" + snapshotId + ") greater than the high-watermark (" + highWatermark + ")");
        ValidOffsetAndEpoch valid = validateOffsetAndEpoch(snapshotId.offset(), snapshotId.epoch());
        if (valid.kind() != ValidOffsetAndEpoch.Kind.VALID)
            throw new IllegalArgumentException("Snapshot id (" + snapshotId + ") is not valid according to the log: " + valid);
        // Replication assumes a snapshot ends on a batch boundary: a follower fetching from inside
        // a batch could not append the batch the leader returns.
        long batchBase = read(snapshotId.offset(), Isolation.COMMITTED, 1).startOffsetMetadata.offset();
        if (snapshotId.offset() != batchBase)
            throw new IllegalArgumentException("Cannot create snapshot at offset (" + snapshotId.offset()
                    + ") because it is not batch aligned. The batch containing the requested offset has a base offset of (" + batchBase + ")");
        return createNewSnapshotUnchecked(snapshotId);
    }

    @Override
    public synchronized Optional<RawSnapshotWriter> createNewSnapshotUnchecked(OffsetAndEpoch snapshotId) {
        if (snapshots.containsKey(snapshotId)) return Optional.empty();
        return Optional.of(new NotifyingRawSnapshotWriter(FileRawSnapshotWriter.create(log.dir(), snapshotId), this::onSnapshotFrozen));
    }

    @Override
    public synchronized Optional<RawSnapshotReader> readSnapshot(OffsetAndEpoch snapshotId) {
        Optional<FileRawSnapshotReader> reader = snapshots.get(snapshotId);
        if (reader == null) return Optional.empty();
        if (reader.isPresent()) return Optional.of(new CopyingSnapshotReader(reader.get()));
        try {
            FileRawSnapshotReader opened = FileRawSnapshotReader.open(log.dir(), snapshotId);
            snapshots.put(snapshotId, Optional.of(opened));
            return Optional.of(new CopyingSnapshotReader(opened));
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) throw e;
            LOG.warnf("Snapshot %s is missing its file %s; forgetting it", snapshotId, Snapshots.snapshotPath(log.dir(), snapshotId));
            snapshots.remove(snapshotId);
            return Optional.empty();
        }
    }

    @Override
    public synchronized Optional<RawSnapshotReader> latestSnapshot() {
        return latestSnapshotId().flatMap(this::readSnapshot);
    }

    @Override
    public synchronized Optional<OffsetAndEpoch> latestSnapshotId() {
        return snapshots.isEmpty() ? Optional.empty() : Optional.of(snapshots.lastKey());
    }

    @Override
    public synchronized Optional<OffsetAndEpoch> earliestSnapshotId() {
        return snapshots.isEmpty() ? Optional.empty() : Optional.of(snapshots.firstKey());
    }

    @Override
    public synchronized void onSnapshotFrozen(OffsetAndEpoch snapshotId) {
        snapshots.put(snapshotId, Optional.empty());
    }

    /**
     * Moves the log start up to {@code snapshotId} and deletes the segments and older snapshots
     * below it, if a snapshot at least that new exists and the log still starts before it.
     */
    @Override
    public synchronized boolean deleteBeforeSnapshot(OffsetAndEpoch snapshotId) {
        Optional<OffsetAndEpoch> latest = latestSnapshotId();
        if (latest.isEmpty() || !snapshots.containsKey(snapshotId) || snapshotId.offset() <= log.logStartOffset()
                || snapshotId.offset() > latest.get().offset() || snapshotId.offset() > highWatermark) return false;
        log.deleteRecordsBefore(snapshotId.offset());
        forgetSnapshotsBefore(snapshotId);
        return true;
    }

    /**
     * KRaft's snapshot retention: while the log plus the snapshots are over {@code retentionBytes},
     * or the oldest snapshot is older than {@code retentionMs}, drop the oldest snapshot and the
     * log below the next one; the newest snapshot always stays. Also deletes the files of
     * snapshots marked for deletion a while ago.
     */
    @Override
    public synchronized boolean maybeClean() {
        deleteDueSnapshotFiles();
        boolean cleaned = false;
        while (snapshots.size() >= 2) {
            OffsetAndEpoch oldest = snapshots.firstKey();
            OffsetAndEpoch next = snapshots.higherKey(oldest);
            if (!overRetention(oldest) || !deleteBeforeSnapshot(next)) break;
            cleaned = true;
        }
        return cleaned;
    }

    private boolean overRetention(OffsetAndEpoch oldest) {
        if (retentionBytes >= 0) {
            long total = log.sizeInBytes();
            for (OffsetAndEpoch id : snapshots.keySet()) total += readSnapshot(id).map(RawSnapshotReader::sizeInBytes).orElse(0L);
            if (total > retentionBytes) return true;
        }
        if (retentionMs >= 0) {
            Optional<RawSnapshotReader> reader = readSnapshot(oldest);
            if (reader.isPresent()) {
                long lastContainedMs = Snapshots.lastContainedLogTimestamp(reader.get(), new LogContext());
                return time.milliseconds() - lastContainedMs > retentionMs;
            }
        }
        return false;
    }

    private void forgetSnapshotsBefore(OffsetAndEpoch snapshotId) {
        Map<OffsetAndEpoch, Optional<FileRawSnapshotReader>> expired = new TreeMap<>(snapshots.headMap(snapshotId, false));
        if (expired.isEmpty()) return;
        expired.keySet().forEach(snapshots::remove);
        for (OffsetAndEpoch id : expired.keySet()) {
            Snapshots.markForDelete(log.dir(), id);
            LOG.infof("Marked metadata snapshot %s for deletion: snapshot %s covers it", id, snapshotId);
        }
        pendingDeletes.add(Map.entry(time.milliseconds() + SNAPSHOT_DELETE_DELAY_MS, expired));
    }

    private void deleteDueSnapshotFiles() {
        long now = time.milliseconds();
        pendingDeletes.removeIf(pending -> {
            if (pending.getKey() > now) return false;
            pending.getValue().forEach((id, reader) -> {
                reader.ifPresent(FileRawSnapshotReader::close);
                Snapshots.deleteIfExists(log.dir(), id);
            });
            return true;
        });
    }

    /**
     * A snapshot whose slices (what FetchSnapshot sends) are copies in memory, like every record
     * set this log hands out: the response is encoded later on a network thread, and a file slice
     * would break if retention closed the file meanwhile.
     */
    private record CopyingSnapshotReader(FileRawSnapshotReader file) implements RawSnapshotReader {
        @Override
        public OffsetAndEpoch snapshotId() {
            return file.snapshotId();
        }

        @Override
        public long sizeInBytes() {
            return file.sizeInBytes();
        }

        @Override
        public UnalignedRecords slice(long position, int size) {
            FileRecords records = (FileRecords) file.records();
            int length = (int) Math.max(0, Math.min(size, records.sizeInBytes() - position));
            ByteBuffer buffer = ByteBuffer.allocate(length);
            try {
                records.readInto(buffer, (int) position);
            } catch (IOException e) {
                throw new UncheckedIOException("reading snapshot " + file.snapshotId(), e);
            }
            return new UnalignedMemoryRecords(buffer);
        }

        @Override
        public Records records() {
            return file.records();
        }
    }

    /** The underlying log, for tests and the quorum's own status. */
    PartitionLog partitionLog() {
        return log;
    }

    @Override
    public synchronized void close() {
        log.close();
        snapshots.values().forEach(reader -> reader.ifPresent(FileRawSnapshotReader::close));
        snapshots.clear();
        pendingDeletes.forEach(pending -> pending.getValue().values().forEach(r -> r.ifPresent(FileRawSnapshotReader::close)));
        pendingDeletes.clear();
    }
}
