package io.runnel.broker.quorum;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.raft.Endpoints;
import org.apache.kafka.raft.KafkaRaftClient;
import org.apache.kafka.raft.KafkaRaftClientDriver;
import org.apache.kafka.raft.LeaderAndEpoch;
import org.apache.kafka.raft.NetworkChannel;
import org.apache.kafka.raft.QuorumConfig;
import org.apache.kafka.raft.RaftClient;
import org.apache.kafka.raft.RaftRequest;
import org.apache.kafka.raft.RaftResponse;
import org.apache.kafka.raft.TimingWheelExpirationService;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.fault.FaultHandler;
import org.apache.kafka.server.util.timer.SystemTimer;
import org.jboss.logging.Logger;

import io.runnel.broker.config.BrokerConfig;

/**
 * One node's member of the metadata quorum: Kafka's own {@link KafkaRaftClient} (ADR 0005) over
 * {@link RunnelRaftLog}, a {@link QuorumStateFile} and the {@link NetworkChannel} it is given,
 * driven by its own poll thread ({@code runnel-raft-<id>}). Voters vote and may lead; a node not
 * in {@code controller.quorum.voters} observes. A single voter is a quorum of one.
 *
 * <p>This is the only class that touches kafka-raft's client: its interfaces are internal to
 * Kafka and move between releases.
 *
 * <p>Threading: {@link #handle} and {@link #prepareAppend} are safe from any thread and never
 * block; listener callbacks run on the poll thread. Start and stop from one thread.
 */
public final class RaftQuorum implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RaftQuorum.class);
    private final int nodeId;
    private final RunnelRaftLog log;
    private final KafkaRaftClient<ApiMessageAndVersion> client;
    private final SystemTimer timer;
    private final TimingWheelExpirationService expirations;
    private final KafkaRaftClientDriver<ApiMessageAndVersion> driver;
    private final Map<Integer, InetSocketAddress> voters;
    private final QuorumStateFile stateFile;
    private final NetworkChannel channel;
    private boolean started;

    /**
     * @param settings   KRaft's own quorum settings by their Kafka names
     *                   ({@code controller.quorum.election.timeout.ms}, ...); the voters are given separately
     * @param voters     the static voter set ({@code controller.quorum.voters}: id → controller address)
     * @param listenerAddress this node's address on the controller listener; null for an observer, which has none
     */
    public RaftQuorum(int nodeId, String clusterId, Path logDir, Map<Integer, InetSocketAddress> voters,
                      ListenerName listenerName, InetSocketAddress listenerAddress, NetworkChannel channel,
                      Map<String, ?> settings, FaultHandler faultHandler, Time time) {
        this.nodeId = nodeId;
        this.voters = Map.copyOf(voters);
        this.channel = channel;
        Map<String, Object> quorumSettings = new HashMap<>(settings);
        quorumSettings.remove(QuorumConfig.QUORUM_VOTERS_CONFIG);
        QuorumConfig quorumConfig = new QuorumConfig(new AbstractConfig(QuorumConfig.CONFIG_DEF, quorumSettings));
        LogContext logContext = new LogContext("[RaftQuorum id=" + nodeId + "] ");
        this.log = RunnelRaftLog.open(logDir, time, longSetting(settings, "metadata.log.segment.bytes"),
                longSetting(settings, "metadata.max.retention.bytes"), longSetting(settings, "metadata.max.retention.ms"));
        this.stateFile = new QuorumStateFile(logDir);
        this.timer = new SystemTimer("runnel-raft-expiration-" + nodeId);
        this.expirations = new TimingWheelExpirationService(timer);
        // The directory id matters only for dynamic quorums (KIP-853); static voters are known by id.
        this.client = new KafkaRaftClient<>(OptionalInt.of(nodeId), Uuid.randomUuid(), MetadataRecordSerde.INSTANCE, channel, log,
                time, expirations, logContext, voters.containsKey(nodeId), clusterId, List.of(),
                listenerAddress == null ? Endpoints.empty() : Endpoints.fromInetSocketAddresses(Map.of(listenerName, listenerAddress)),
                Feature.KRAFT_VERSION.supportedVersionRange(), quorumConfig);
        this.driver = new KafkaRaftClientDriver<>(client, "runnel-raft-" + nodeId, faultHandler, logContext);
    }

    /** A metadata-log setting from {@code settings}, else Kafka's default ({@link BrokerConfig#QUORUM_DEFAULTS}). */
    private static long longSetting(Map<String, ?> settings, String key) {
        Object value = settings.get(key);
        return Long.parseLong(value != null ? value.toString() : BrokerConfig.QUORUM_DEFAULTS.get(key));
    }

    /** Loads the log and election state, registers the listener, and starts polling. */
    public void start(RaftClient.Listener<ApiMessageAndVersion> listener) {
        client.initialize(voters, stateFile, new Metrics(), ignoredStaticVoters -> { });
        client.register(listener);
        driver.start();
        started = true;
        LOG.infof("Metadata quorum member %d started: voters %s, log %s to offset %d", nodeId, voters.keySet(),
                log.partitionLog().dir(), log.partitionLog().logEndOffset());
    }

    /** Hands an inbound quorum request (Vote, Fetch of the metadata log, ...) to the poll thread. */
    public CompletionStage<RaftResponse.Outbound> handle(RaftRequest.Inbound request) {
        return client.handle(request);
    }

    /**
     * Queues records for the next batch if this node leads {@code epoch}; returns the offset the
     * last one will get. Committed when a listener's {@code handleCommit} passes that offset.
     *
     * @throws org.apache.kafka.common.errors.NotLeaderException if it does not lead that epoch
     */
    public long prepareAppend(int epoch, List<ApiMessageAndVersion> records) {
        long offset = client.prepareAppend(epoch, records);
        client.schedulePreparedAppend();
        return offset;
    }

    /**
     * Starts a snapshot of the state up to {@code snapshotId} (exclusive: the offset after the last
     * record it covers, and that record's epoch); empty if one with that id exists. The caller
     * appends the records of its state, then freezes the writer; kafka-raft then lets older log
     * segments go per retention, and serves the snapshot to followers too far behind.
     */
    public java.util.Optional<org.apache.kafka.snapshot.SnapshotWriter<ApiMessageAndVersion>> createSnapshot(
            org.apache.kafka.server.common.OffsetAndEpoch snapshotId, long lastContainedLogTimeMs) {
        return client.createSnapshot(snapshotId, lastContainedLogTimeMs);
    }

    public LeaderAndEpoch leaderAndEpoch() {
        return client.leaderAndEpoch();
    }

    public OptionalLong highWatermark() {
        return client.highWatermark();
    }

    public long logEndOffset() {
        return client.logEndOffset();
    }

    public int nodeId() {
        return nodeId;
    }

    public boolean isVoter() {
        return voters.containsKey(nodeId);
    }

    RunnelRaftLog log() {
        return log;
    }

    /**
     * Stops polling; a leader first resigns (EndQuorumEpoch) so the others elect at once instead
     * of waiting out a fetch timeout. Then closes the log.
     */
    public void stop() {
        if (started) {
            try {
                // The driver's shutdown asks the client to resign and waits for it (up to 5 s).
                driver.shutdown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            expirations.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            timer.close();
        } catch (Exception e) {
            LOG.warnf("Closing the raft expiration timer: %s", e.toString());
        }
        try {
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("Closing the quorum network channel: %s", e.toString());
        }
        client.close();
        log.close();
        started = false;
    }

    @Override
    public void close() {
        stop();
    }
}
