package io.runnel.broker.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.raft.Isolation;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.OffsetAndEpoch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three (or one) {@link RaftQuorum} members in one JVM, each with its own {@link RunnelRaftLog} on
 * disk, talking through {@link InMemoryQuorumNetwork} so a node can be cut off exactly. After every
 * scenario: no epoch had two leaders, and every member's log is byte-identical up to its high
 * watermark.
 */
class RaftQuorumTest {
    private static final Map<String, Object> FAST_TIMEOUTS = Map.of(
            "controller.quorum.election.timeout.ms", "500",
            "controller.quorum.fetch.timeout.ms", "1000",
            "controller.quorum.election.backoff.max.ms", "300",
            "controller.quorum.append.linger.ms", "5",
            "controller.quorum.request.timeout.ms", "1000");

    @TempDir
    Path dir;

    private final InMemoryQuorumNetwork network = new InMemoryQuorumNetwork();
    private final Map<Integer, Integer> leadersByEpoch = CommittedRecords.sharedLeaderMap();
    private final Map<Integer, RaftQuorum> running = new TreeMap<>();
    private final Map<Integer, CommittedRecords> states = new HashMap<>();
    private Map<Integer, InetSocketAddress> voters;

    @AfterEach
    void stopAll() {
        // In parallel: the last leader standing waits out its 5 s resignation timeout, once.
        running.values().parallelStream().forEach(RaftQuorum::stop);
        running.keySet().forEach(network::detach);
        running.clear();
    }

    private void startVoters(int count) {
        voters = new HashMap<>();
        for (int id = 0; id < count; id++) voters.put(id, InMemoryQuorumNetwork.addressOf(id));
        for (int id = 0; id < count; id++) start(id);
    }

    private RaftQuorum start(int id) {
        return start(id, FAST_TIMEOUTS);
    }

    private RaftQuorum start(int id, Map<String, Object> settings) {
        RaftQuorum node = new RaftQuorum(id, "raft-test-cluster", dir.resolve("node" + id).resolve("__cluster_metadata-0"), voters,
                InMemoryQuorumNetwork.LISTENER, InMemoryQuorumNetwork.addressOf(id), network.channelFor(id), settings,
                (message, cause) -> new RuntimeException(message, cause), Time.SYSTEM);
        CommittedRecords state = new CommittedRecords(id, leadersByEpoch);
        network.attach(node);
        node.start(state);
        running.put(id, node);
        states.put(id, state);
        return node;
    }

    private void stop(int id) {
        running.remove(id).stop();
        network.detach(id);
    }

    private int awaitLeader() {
        return awaitLeaderOtherThan(-1);
    }

    private int awaitLeaderOtherThan(int excluded) {
        int[] found = {-1};
        await("a leader other than " + excluded, () -> {
            for (int id : running.keySet()) {
                if (id != excluded && states.get(id).leads()) {
                    found[0] = id;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private void write(int leaderId, String... topics) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (String topic : topics) records.add(new ApiMessageAndVersion(new TopicRecord().setName(topic).setTopicId(Uuid.randomUuid()), (short) 0));
        running.get(leaderId).prepareAppend(states.get(leaderId).leader().epoch(), records);
    }

    private void awaitCommitted(List<Integer> ids, List<String> expected) {
        await("nodes " + ids + " to commit " + expected, () -> ids.stream().allMatch(id -> states.get(id).names().equals(expected)));
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /** The invariants every scenario ends with. */
    private void assertQuorumInvariants() {
        for (CommittedRecords state : states.values()) assertFalse(state.sawTwoLeadersInOneEpoch(), "two leaders in one epoch: " + leadersByEpoch);
        await("every member to reach the same high watermark", () -> running.values().stream()
                .map(n -> n.highWatermark().orElse(-1)).distinct().count() == 1);
        List<String> reference = null;
        for (RaftQuorum node : running.values()) {
            RunnelRaftLog log = node.log();
            long hw = log.highWatermark().offset();
            List<String> batches = new ArrayList<>();
            long offset = log.startOffset();
            while (offset < hw) {
                MemoryRecords records = (MemoryRecords) log.read(offset, Isolation.COMMITTED, 1 << 20).records;
                for (RecordBatch batch : records.batches()) {
                    batches.add(batch.baseOffset() + "-" + batch.lastOffset() + "@" + batch.partitionLeaderEpoch() + "#" + Long.toHexString(batch.checksum()));
                    offset = batch.nextOffset();
                }
            }
            if (reference == null) reference = batches;
            else assertEquals(reference, batches, "node " + node.nodeId() + "'s committed log differs");
        }
    }

    @Test
    void aSingleVoterIsAQuorumOfOne() {
        startVoters(1);
        int leader = awaitLeader();
        write(leader, "a", "b");
        write(leader, "c");
        awaitCommitted(List.of(0), List.of("a", "b", "c"));
        assertQuorumInvariants();
    }

    @Test
    void threeVotersElectOneLeaderAndCommitOnEveryMember() {
        startVoters(3);
        int leader = awaitLeader();
        write(leader, "t1");
        write(leader, "t2", "t3");
        awaitCommitted(List.of(0, 1, 2), List.of("t1", "t2", "t3"));
        assertQuorumInvariants();
    }

    @Test
    void aCutOffLeaderIsReplacedAndItsUncommittedWritesAreTruncatedWhenItReturns() {
        startVoters(3);
        int first = awaitLeader();
        write(first, "committed");
        awaitCommitted(List.of(0, 1, 2), List.of("committed"));

        network.cutOff(first);
        write(first, "lost-1"); // the old leader still believes it leads: these reach only its own log
        write(first, "lost-2");
        int second = awaitLeaderOtherThan(first);
        assertTrue(states.get(second).leader().epoch() > leadersByEpoch.entrySet().stream()
                .filter(e -> e.getValue() == first).mapToInt(Map.Entry::getKey).max().orElseThrow());
        List<Integer> majority = running.keySet().stream().filter(id -> id != first).toList();
        write(second, "after-failover");
        awaitCommitted(majority, List.of("committed", "after-failover"));

        network.heal(first);
        awaitCommitted(List.of(0, 1, 2), List.of("committed", "after-failover"));
        assertFalse(states.get(first).names().contains("lost-1"));
        assertQuorumInvariants();
    }

    @Test
    void theWholeQuorumRestartsFromDiskWithEveryCommittedRecord() {
        startVoters(3);
        int leader = awaitLeader();
        write(leader, "x", "y");
        awaitCommitted(List.of(0, 1, 2), List.of("x", "y"));
        stopAll();

        for (int id = 0; id < 3; id++) start(id);
        awaitCommitted(List.of(0, 1, 2), List.of("x", "y"));
        int newLeader = awaitLeader();
        write(newLeader, "z");
        awaitCommitted(List.of(0, 1, 2), List.of("x", "y", "z"));
        assertQuorumInvariants();
    }

    @Test
    void aMemberThatLostItsDiskCatchesUpFromTheLeadersSnapshot() throws Exception {
        startVoters(3);
        int leader = awaitLeader();
        for (int i = 0; i < 5; i++) write(leader, "before-snapshot-" + i);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 5; i++) expected.add("before-snapshot-" + i);
        awaitCommitted(List.of(0, 1, 2), expected);

        int lagging = (leader + 1) % 3;
        stop(lagging);
        write(leader, "while-down");
        expected.add("while-down");
        List<Integer> others = running.keySet().stream().toList();
        awaitCommitted(others, expected);

        // Every remaining member snapshots its state and drops the log the snapshot covers.
        for (int id : others) {
            OffsetAndEpoch snapshotId = states.get(id).nextSnapshotId();
            try (var writer = running.get(id).createSnapshot(snapshotId, System.currentTimeMillis()).orElseThrow()) {
                List<ApiMessageAndVersion> records = new ArrayList<>();
                for (String name : states.get(id).names())
                    records.add(new ApiMessageAndVersion(new TopicRecord().setName(name).setTopicId(Uuid.randomUuid()), (short) 0));
                writer.append(records);
                writer.freeze();
            }
            assertTrue(running.get(id).log().deleteBeforeSnapshot(snapshotId), "node " + id + " kept the log its snapshot covers");
        }

        // The lagging member comes back with an empty disk: the leader's log no longer holds offset 0.
        org.apache.kafka.common.utils.Utils.delete(dir.resolve("node" + lagging).toFile());
        start(lagging);
        awaitCommitted(List.of(0, 1, 2), expected);
        assertEquals(1, states.get(lagging).snapshotsLoaded(), "the returning member should have loaded the leader's snapshot");
        int current = awaitLeader();
        write(current, "after-catch-up");
        expected.add("after-catch-up");
        awaitCommitted(List.of(0, 1, 2), expected);
        assertNotEquals(-1, current);
    }
}
