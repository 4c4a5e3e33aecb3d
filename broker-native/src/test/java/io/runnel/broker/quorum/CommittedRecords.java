package io.runnel.broker.quorum;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.raft.Batch;
import org.apache.kafka.raft.BatchReader;
import org.apache.kafka.raft.LeaderAndEpoch;
import org.apache.kafka.raft.RaftClient;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.snapshot.SnapshotReader;

/**
 * A test quorum member's state machine: the topic names committed so far, in order, rebuilt from
 * a snapshot when one is loaded. Also records every leader it is told of, into a map shared by
 * the whole test quorum, to prove no epoch ever had two leaders. Written by the raft poll
 * thread; read by the test thread under this object's lock.
 */
final class CommittedRecords implements RaftClient.Listener<ApiMessageAndVersion> {
    private final int nodeId;
    private final Map<Integer, Integer> leadersByEpoch;
    private final List<String> names = new ArrayList<>();
    private volatile LeaderAndEpoch leader = LeaderAndEpoch.UNKNOWN;
    private volatile boolean twoLeadersInOneEpoch;
    private long lastCommittedOffset = -1;
    private int lastCommittedEpoch;
    private int snapshotsLoaded;

    CommittedRecords(int nodeId, Map<Integer, Integer> leadersByEpoch) {
        this.nodeId = nodeId;
        this.leadersByEpoch = leadersByEpoch;
    }

    static Map<Integer, Integer> sharedLeaderMap() {
        return new ConcurrentHashMap<>();
    }

    @Override
    public synchronized void handleCommit(BatchReader<ApiMessageAndVersion> reader) {
        try (reader) {
            while (reader.hasNext()) {
                Batch<ApiMessageAndVersion> batch = reader.next();
                for (ApiMessageAndVersion record : batch.records()) names.add(((TopicRecord) record.message()).name());
                lastCommittedOffset = batch.lastOffset();
                lastCommittedEpoch = batch.epoch();
            }
        }
    }

    @Override
    public synchronized void handleLoadSnapshot(SnapshotReader<ApiMessageAndVersion> reader) {
        try (reader) {
            names.clear();
            while (reader.hasNext()) {
                for (ApiMessageAndVersion record : reader.next().records()) names.add(((TopicRecord) record.message()).name());
            }
            lastCommittedOffset = reader.lastContainedLogOffset();
            lastCommittedEpoch = reader.lastContainedLogEpoch();
            snapshotsLoaded++;
        }
    }

    @Override
    public void handleLoadBootstrap(SnapshotReader<ApiMessageAndVersion> reader) {
        reader.close(); // static voters: there is no bootstrap checkpoint to apply
    }

    @Override
    public void handleLeaderChange(LeaderAndEpoch newLeader) {
        leader = newLeader;
        if (newLeader.leaderId().isPresent()) {
            Integer previous = leadersByEpoch.putIfAbsent(newLeader.epoch(), newLeader.leaderId().getAsInt());
            if (previous != null && previous != newLeader.leaderId().getAsInt()) twoLeadersInOneEpoch = true;
        }
    }

    boolean leads() {
        return leader.isLeader(nodeId);
    }

    LeaderAndEpoch leader() {
        return leader;
    }

    boolean sawTwoLeadersInOneEpoch() {
        return twoLeadersInOneEpoch;
    }

    synchronized List<String> names() {
        return List.copyOf(names);
    }

    synchronized long lastCommittedOffset() {
        return lastCommittedOffset;
    }

    /** The id a snapshot of everything committed so far would have. */
    synchronized org.apache.kafka.server.common.OffsetAndEpoch nextSnapshotId() {
        return new org.apache.kafka.server.common.OffsetAndEpoch(lastCommittedOffset + 1, lastCommittedEpoch);
    }

    synchronized int snapshotsLoaded() {
        return snapshotsLoaded;
    }
}
