package io.runnel.broker.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.LeaderChangeMessage;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import io.runnel.broker.ManualTime;
import org.apache.kafka.raft.Isolation;
import org.apache.kafka.raft.LogOffsetMetadata;
import org.apache.kafka.server.common.OffsetAndEpoch;
import org.apache.kafka.snapshot.RawSnapshotWriter;
import org.apache.kafka.snapshot.Snapshots;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunnelRaftLog} against the RaftLog contract kafka-raft relies on: follower appends keep
 * the leader's offsets and epochs, control batches are allowed, the high watermark bounds
 * committed reads and truncation, divergence answers come from the epoch cache, and snapshots
 * survive a restart (and a snapshot past the log end resets the log).
 */
class RunnelRaftLogTest {
    @TempDir
    Path dir;
    private final ManualTime time = new ManualTime(1_700_000_000_000L);

    private RunnelRaftLog open() {
        return RunnelRaftLog.open(dir, time, 1 << 20, -1, -1);
    }

    private static MemoryRecords batch(long baseOffset, int epoch, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
        return MemoryRecords.withRecords(baseOffset, Compression.NONE, epoch, records);
    }

    private static List<String> values(MemoryRecords records) {
        List<String> out = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            if (batch.isControlBatch()) {
                out.add("control@" + batch.baseOffset());
                continue;
            }
            batch.forEach(r -> out.add(StandardCharsets.UTF_8.decode(r.value()).toString() + "@" + r.offset() + "/e" + batch.partitionLeaderEpoch()));
        }
        return out;
    }

    @Test
    void leaderAppendsGetOffsetsAndTheEpochAndMayBeControlBatches() {
        try (RunnelRaftLog log = open()) {
            log.initializeLeaderEpoch(3);
            MemoryRecords leaderChange = MemoryRecords.withLeaderChangeMessage(0, time.milliseconds(), 3, ByteBuffer.allocate(256),
                    new LeaderChangeMessage().setLeaderId(1));
            assertEquals(0, log.appendAsLeader(leaderChange, 3).firstOffset());
            var info = log.appendAsLeader(batch(0, 0, "a", "b"), 3);
            assertEquals(1, info.firstOffset());
            assertEquals(2, info.lastOffset());
            assertEquals(3, log.lastFetchedEpoch());
            assertEquals(new OffsetAndEpoch(3, 3), log.endOffsetForEpoch(3));
            log.updateHighWatermark(new LogOffsetMetadata(3));
            assertEquals(List.of("control@0", "a@1/e3", "b@2/e3"), values((MemoryRecords) log.read(0, Isolation.COMMITTED, 1 << 20).records));
        }
    }

    @Test
    void followerAppendsKeepTheLeadersOffsetsAndEpochsAndCommittedReadsStopAtTheHighWatermark() {
        try (RunnelRaftLog log = open()) {
            log.appendAsFollower(batch(0, 1, "a", "b"), 1);
            log.appendAsFollower(batch(2, 2, "c"), 2);
            assertEquals(3, log.endOffset().offset());
            assertEquals(2, log.lastFetchedEpoch());
            log.updateHighWatermark(new LogOffsetMetadata(2));
            assertEquals(List.of("a@0/e1", "b@1/e1"), values((MemoryRecords) log.read(0, Isolation.COMMITTED, 1 << 20).records));
            assertEquals(List.of("a@0/e1", "b@1/e1", "c@2/e2"), values((MemoryRecords) log.read(0, Isolation.UNCOMMITTED, 1 << 20).records));
            // Epoch 1 ended where epoch 2 began: a follower that diverged in epoch 1 truncates to 2.
            assertEquals(new OffsetAndEpoch(2, 1), log.endOffsetForEpoch(1));
            assertThrows(IllegalArgumentException.class, () -> log.appendAsFollower(batch(1, 2, "overlap"), 2));
        }
    }

    @Test
    void truncationMayDropUncommittedRecordsButNeverCommittedOnes() {
        try (RunnelRaftLog log = open()) {
            log.appendAsFollower(batch(0, 1, "a"), 1);
            log.appendAsFollower(batch(1, 1, "b"), 1);
            log.appendAsFollower(batch(2, 2, "c"), 2);
            log.updateHighWatermark(new LogOffsetMetadata(2));
            assertThrows(IllegalArgumentException.class, () -> log.truncateTo(1));
            log.truncateTo(2);
            assertEquals(2, log.endOffset().offset());
            assertEquals(1, log.lastFetchedEpoch(), "the epoch cache forgets the truncated epoch");
            log.appendAsFollower(batch(2, 3, "c'"), 3);
            assertEquals(List.of("a@0/e1", "b@1/e1", "c'@2/e3"), values((MemoryRecords) log.read(0, Isolation.UNCOMMITTED, 1 << 20).records));
        }
    }

    @Test
    void snapshotsSurviveARestartAndLetTheLogBeDeletedBelowThem() throws Exception {
        try (RunnelRaftLog log = open()) {
            for (int i = 0; i < 4; i++) log.appendAsFollower(batch(i, 1, "v" + i), 1);
            log.updateHighWatermark(new LogOffsetMetadata(4));
            OffsetAndEpoch id = new OffsetAndEpoch(2, 1);
            try (RawSnapshotWriter writer = log.createNewSnapshot(id).orElseThrow()) {
                writer.append(batch(0, 1, "state"));
                writer.freeze();
            }
            assertEquals(id, log.latestSnapshotId().orElseThrow());
            assertTrue(log.deleteBeforeSnapshot(id));
            assertEquals(2, log.startOffset());
            assertThrows(IllegalArgumentException.class, () -> log.createNewSnapshot(new OffsetAndEpoch(5, 1)),
                    "a snapshot above the high watermark would hold uncommitted state");
        }
        // A leftover partial snapshot is removed; the frozen one is found again.
        Path partial = Path.of(Snapshots.snapshotPath(dir, new OffsetAndEpoch(3, 1)) + ".part");
        Files.writeString(partial, "torn");
        try (RunnelRaftLog log = open()) {
            assertEquals(new OffsetAndEpoch(2, 1), log.latestSnapshotId().orElseThrow());
            assertEquals(2, log.startOffset());
            assertFalse(Files.exists(partial));
            var snapshot = log.readSnapshot(new OffsetAndEpoch(2, 1)).orElseThrow();
            var slice = (org.apache.kafka.common.record.internal.UnalignedMemoryRecords) snapshot.slice(0, (int) snapshot.sizeInBytes());
            assertEquals(List.of("state@0/e1"), values(MemoryRecords.readableRecords(slice.buffer())));
        }
    }

    @Test
    void aSnapshotFetchedPastTheLogEndResetsTheLogToStartAtIt() {
        try (RunnelRaftLog log = open()) {
            log.appendAsFollower(batch(0, 1, "old"), 1);
            // A follower fetched the leader's snapshot at offset 10 (FetchSnapshot writes it unchecked)...
            try (RawSnapshotWriter writer = log.createNewSnapshotUnchecked(new OffsetAndEpoch(10, 2)).orElseThrow()) {
                writer.append(batch(0, 2, "state"));
                writer.freeze();
            }
            assertTrue(log.truncateToLatestSnapshot());
            assertEquals(10, log.startOffset());
            assertEquals(10, log.endOffset().offset());
            assertEquals(2, log.lastFetchedEpoch());
            log.appendAsFollower(batch(10, 2, "next"), 2);
            assertEquals(11, log.endOffset().offset());
        }
    }

    @Test
    void retentionDropsOlderSnapshotsAndTheLogTheyCoveredButKeepsTheNewest() {
        try (RunnelRaftLog log = RunnelRaftLog.open(dir, time, 1 << 20, 0, -1)) {
            for (int i = 0; i < 6; i++) log.appendAsFollower(batch(i, 1, "v" + i), 1);
            log.updateHighWatermark(new LogOffsetMetadata(6));
            for (long offset : new long[] {2, 4}) {
                try (RawSnapshotWriter writer = log.createNewSnapshot(new OffsetAndEpoch(offset, 1)).orElseThrow()) {
                    writer.append(batch(0, 1, "state-" + offset));
                    writer.freeze();
                }
            }
            assertTrue(log.maybeClean());
            assertEquals(new OffsetAndEpoch(4, 1), log.earliestSnapshotId().orElseThrow());
            assertEquals(4, log.startOffset());
            assertTrue(Files.exists(dir.resolve(Snapshots.filenameFromSnapshotId(new OffsetAndEpoch(2, 1)) + Snapshots.DELETE_SUFFIX)),
                    "a dropped snapshot stays readable for a while under its .deleted name");
            time.advance(RunnelRaftLog.SNAPSHOT_DELETE_DELAY_MS + 1);
            log.maybeClean();
            assertFalse(Files.exists(dir.resolve(Snapshots.filenameFromSnapshotId(new OffsetAndEpoch(2, 1)) + Snapshots.DELETE_SUFFIX)));
        }
    }

    @Test
    void aControlRecordDecodesAsKafkaWroteIt() {
        try (RunnelRaftLog log = open()) {
            MemoryRecords leaderChange = MemoryRecords.withLeaderChangeMessage(0, 0, 7, ByteBuffer.allocate(256),
                    new LeaderChangeMessage().setLeaderId(2));
            log.appendAsLeader(leaderChange, 7);
            RecordBatch stored = ((MemoryRecords) log.read(0, Isolation.UNCOMMITTED, 1 << 20).records).batches().iterator().next();
            assertTrue(stored.isControlBatch());
            assertEquals(2, ControlRecordUtils.deserializeLeaderChangeMessage(stored.iterator().next()).leaderId());
        }
    }

    @Test
    void aCorruptBatchFromTheLeaderIsRefusedAndNothingIsWritten() {
        try (RunnelRaftLog log = open()) {
            log.appendAsFollower(batch(0, 1, "good"), 1);
            MemoryRecords corrupt = batch(1, 1, "payload", "more");
            corrupt.buffer().put(corrupt.sizeInBytes() - 3, (byte) 0x7f); // a byte inside the last record: the CRC no longer matches
            assertThrows(org.apache.kafka.common.errors.CorruptRecordException.class, () -> log.appendAsFollower(corrupt, 1));
            assertEquals(1, log.endOffset().offset());
            log.appendAsFollower(batch(1, 1, "payload"), 1);
            assertEquals(2, log.endOffset().offset());
        }
    }
}
