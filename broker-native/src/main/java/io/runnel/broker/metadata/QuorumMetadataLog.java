package io.runnel.broker.metadata;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.raft.Batch;
import org.apache.kafka.raft.KafkaNetworkChannel;
import org.apache.kafka.raft.BatchReader;
import org.apache.kafka.raft.LeaderAndEpoch;
import org.apache.kafka.raft.RaftClient;
import org.apache.kafka.raft.errors.NotLeaderException;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.snapshot.SnapshotReader;
import org.jboss.logging.Logger;

import io.runnel.broker.cluster.NodeNetworkClient;
import io.runnel.broker.config.NodeChannelSecurity;
import io.runnel.broker.quorum.NoPeersNetworkChannel;
import io.runnel.broker.quorum.RaftQuorum;
import io.runnel.broker.quorum.RunnelRaftLog;

/**
 * The metadata log on the Raft quorum ({@link RaftQuorum}, ADR 0005): appends are proposed to
 * the quorum and return once committed; committed batches (this node's and other leaders') and
 * loaded snapshots are queued by the raft thread and applied by the metadata thread, in order.
 *
 * <p>An append commits only if the batch at its offset was written in the epoch it was proposed
 * in: a leader that lost its leadership meanwhile sees another epoch there and fails the append
 * with NOT_CONTROLLER, even though the offset is committed.
 *
 * <p>Threading: the listener callbacks run on the raft poll thread and only enqueue; everything
 * else runs on the metadata thread.
 */
public final class QuorumMetadataLog implements MetadataLog, RaftClient.Listener<ApiMessageAndVersion> {
    private static final Logger LOG = Logger.getLogger(QuorumMetadataLog.class);
    public static final String DIR_NAME = RunnelRaftLog.TOPIC_PARTITION.toString();
    /** Records per batch of a snapshot. */
    static final int SNAPSHOT_SLICE_RECORDS = 1000;
    /** How long an append waits for its commit before failing the operation. */
    static final long COMMIT_TIMEOUT_MS = 30_000;

    /** Committed metadata on its way from the raft thread to the metadata thread. */
    private record Committed(List<ApiMessageAndVersion> records, long lastOffset, int epoch, boolean snapshot) {}
    /**
     * Queued when the raft thread learns something the metadata thread may be waiting on that
     * carries no records (a new leader, a commit of control records only): without it a waiter
     * would sleep out its poll timeout, 100 ms on every start.
     */
    private static final Committed WAKE_UP = new Committed(List.of(), -1, -1, false);

    private final RaftQuorum quorum;
    private final LinkedBlockingQueue<Committed> committed = new LinkedBlockingQueue<>();
    private volatile LeaderAndEpoch leader = LeaderAndEpoch.UNKNOWN;
    private volatile Runnable onNewCommits = () -> { };
    private Applier applier;
    private long appliedOffset = -1;
    private int appliedEpoch = -1;

    public QuorumMetadataLog(RaftQuorum quorum) {
        this.quorum = quorum;
    }

    /**
     * A quorum of one in {@code logDir}/{@value #DIR_NAME}: the embedded single-node default.
     * Nothing is sent over a network, so the controller address is nominal.
     */
    public static QuorumMetadataLog singleNode(int nodeId, String clusterId, Path logDir, Map<String, ?> quorumSettings, Time time) {
        ListenerName listener = ListenerName.normalised("CONTROLLER");
        InetSocketAddress address = InetSocketAddress.createUnresolved("localhost", 9093);
        RaftQuorum quorum = new RaftQuorum(nodeId, clusterId, logDir.resolve(DIR_NAME), Map.of(nodeId, address), listener, address,
                new NoPeersNetworkChannel(listener), quorumSettings, QuorumMetadataLog::haltOnFault, time);
        return new QuorumMetadataLog(quorum);
    }

    /**
     * A member of a quorum of {@code voters} over the network: a voter if its id is among them,
     * else an observer that follows the log. Peers are reached on {@code controllerChannel}'s listener
     * with kafka-raft's own {@link KafkaNetworkChannel}.
     */
    public static QuorumMetadataLog networked(int nodeId, String clusterId, Path logDir, Map<Integer, InetSocketAddress> voters,
                                              NodeChannelSecurity controllerChannel, Map<String, ?> quorumSettings, long connectionsMaxIdleMs, Time time) {
        ListenerName listener = ListenerName.normalised(controllerChannel.listenerName());
        int requestTimeoutMs = Integer.parseInt(String.valueOf(quorumSettings.get("controller.quorum.request.timeout.ms")));
        KafkaNetworkChannel channel = new KafkaNetworkChannel(time, listener,
                NodeNetworkClient.create("runnel-raft-client-" + nodeId, controllerChannel, requestTimeoutMs, connectionsMaxIdleMs, time),
                requestTimeoutMs, "runnel-raft-" + nodeId + "-");
        channel.start();
        // Observers advertise no controller endpoint; a voter advertises its entry in the voter set.
        InetSocketAddress self = voters.get(nodeId);
        RaftQuorum quorum = new RaftQuorum(nodeId, clusterId, logDir.resolve(DIR_NAME), voters, listener, self, channel, quorumSettings,
                QuorumMetadataLog::haltOnFault, time);
        return new QuorumMetadataLog(quorum);
    }

    /** kafka-raft cannot go on after a fault (as in Kafka, which exits): stop this node. */
    private static RuntimeException haltOnFault(String message, Throwable cause) {
        LOG.fatalf(cause, "Metadata quorum failed: %s", message);
        Runtime.getRuntime().halt(1);
        return new IllegalStateException(message, cause);
    }

    // ---- raft thread ------------------------------------------------------------------------

    @Override
    public void handleCommit(BatchReader<ApiMessageAndVersion> reader) {
        boolean any = false;
        try (reader) {
            while (reader.hasNext()) {
                Batch<ApiMessageAndVersion> batch = reader.next();
                committed.add(new Committed(batch.records(), batch.lastOffset(), batch.epoch(), false));
                any = true;
            }
        }
        if (!any) committed.add(WAKE_UP);
        onNewCommits.run();
    }

    @Override
    public void handleLoadSnapshot(SnapshotReader<ApiMessageAndVersion> reader) {
        try (reader) {
            List<ApiMessageAndVersion> records = new ArrayList<>();
            while (reader.hasNext()) records.addAll(reader.next().records());
            committed.add(new Committed(records, reader.lastContainedLogOffset(), reader.lastContainedLogEpoch(), true));
        }
        onNewCommits.run();
    }

    @Override
    public void handleLoadBootstrap(SnapshotReader<ApiMessageAndVersion> reader) {
        reader.close(); // static voters: no bootstrap checkpoint is written, so there is nothing to apply
    }

    @Override
    public void handleLeaderChange(LeaderAndEpoch newLeader) {
        leader = newLeader;
        LOG.infof("Metadata quorum leader is now %s (this node: %d)", newLeader, quorum.nodeId());
        committed.add(WAKE_UP);
        onNewCommits.run();
    }

    // ---- metadata thread --------------------------------------------------------------------

    @Override
    public void start(Applier applier, Runnable onNewCommits) {
        this.applier = applier;
        quorum.start(this);
        long lastReportNanos = System.nanoTime();
        while (!caughtUp()) {
            awaitAndApply(100);
            if (System.nanoTime() - lastReportNanos > 10_000_000_000L) {
                LOG.infof("Waiting for the metadata quorum: leader %s, applied up to offset %d, high watermark %s",
                        leader, appliedOffset, quorum.highWatermark());
                lastReportNanos = System.nanoTime();
            }
        }
        this.onNewCommits = onNewCommits;
        LOG.infof("Metadata log replayed to offset %d (leader %s)", appliedOffset, leader);
    }

    /** A leader is known and everything below the high watermark has been applied. */
    private boolean caughtUp() {
        var hw = quorum.highWatermark();
        return leader.leaderId().isPresent() && hw.isPresent() && appliedOffset + 1 >= hw.getAsLong();
    }

    @Override
    public void catchUp() {
        Committed next;
        while ((next = committed.poll()) != null) apply(next);
    }

    private void awaitAndApply(long timeoutMs) {
        try {
            Committed next = committed.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (next != null) apply(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted while waiting for the metadata quorum");
        }
    }

    private void apply(Committed batch) {
        if (batch == WAKE_UP) return; // nothing to apply: it only ended a wait
        if (batch.snapshot()) applier.reset();
        if (!batch.records().isEmpty()) applier.apply(batch.records(), batch.lastOffset());
        appliedOffset = batch.lastOffset();
        appliedEpoch = batch.epoch();
    }

    @Override
    public long append(List<ApiMessageAndVersion> records) {
        if (records.isEmpty()) throw new IllegalArgumentException("empty metadata batch");
        LeaderAndEpoch current = leader;
        if (!current.isLeader(quorum.nodeId()))
            throw new NotControllerException("This node is not the active controller; the leader is " + current);
        long lastOffset;
        try {
            lastOffset = quorum.prepareAppend(current.epoch(), records);
        } catch (NotLeaderException e) {
            throw new NotControllerException("This node stopped being the active controller: " + e.getMessage());
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(COMMIT_TIMEOUT_MS);
        while (appliedOffset < lastOffset) {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMs <= 0) throw new TimeoutException("metadata batch ending at offset " + lastOffset + " was not committed within "
                    + COMMIT_TIMEOUT_MS + " ms");
            awaitAndApply(Math.min(remainingMs, 100));
        }
        if (appliedEpoch != current.epoch())
            throw new NotControllerException("Leadership moved to epoch " + appliedEpoch + " before the batch proposed in epoch "
                    + current.epoch() + " was committed");
        return lastOffset;
    }

    /** The quorum member under this log, for the APIs that describe the quorum. */
    public RaftQuorum quorum() {
        return quorum;
    }

    @Override
    public boolean snapshot(List<ApiMessageAndVersion> records) {
        if (appliedOffset < 0) return false;
        var writer = quorum.createSnapshot(new org.apache.kafka.server.common.OffsetAndEpoch(appliedOffset + 1, appliedEpoch),
                System.currentTimeMillis());
        if (writer.isEmpty()) return false;
        try (var w = writer.get()) {
            // kafka-raft batches are bounded in size: hand records over in slices.
            for (int from = 0; from < records.size(); from += SNAPSHOT_SLICE_RECORDS)
                w.append(records.subList(from, Math.min(records.size(), from + SNAPSHOT_SLICE_RECORDS)));
            w.freeze();
        }
        LOG.infof("Metadata snapshot at offset %d (epoch %d): %d records", appliedOffset + 1, appliedEpoch, records.size());
        return true;
    }

    @Override
    public int leaderEpoch() {
        LeaderAndEpoch current = leader;
        return current.isLeader(quorum.nodeId()) ? current.epoch() : -1;
    }

    @Override
    public long endOffset() {
        return quorum.logEndOffset();
    }

    @Override
    public void close() {
        quorum.stop();
    }
}
