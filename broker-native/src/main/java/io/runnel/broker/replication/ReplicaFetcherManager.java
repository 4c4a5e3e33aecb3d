package io.runnel.broker.replication;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.cluster.NodeNetworkClient;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.partition.ReplicaManager;

/**
 * The follower side of replication: one {@link ReplicaFetcher} per leader broker, each given the
 * partitions this broker follows on that leader as every metadata image names them. Leaders are
 * reached on the inter-broker listener: the listener of the same name as this broker's first
 * client listener, as each leader registered it.
 *
 * <p>Threading: {@link #follow} runs on the metadata thread, which alone touches the fetcher map;
 * the image is published for the fetcher threads through a volatile field.
 */
public final class ReplicaFetcherManager implements ReplicaManager.Followers, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplicaFetcherManager.class);
    private static final int REQUEST_TIMEOUT_MS = 30_000;

    private final BrokerConfig config;
    private final LongSupplier brokerEpoch;
    private final Time time;
    private final ReplicationQuotas quotas;
    private final String interBrokerListener;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private volatile MetadataImage image;
    private boolean closed;

    public ReplicaFetcherManager(BrokerConfig config, LongSupplier brokerEpoch, ReplicationQuotas quotas, Time time) {
        this.quotas = quotas;
        this.config = config;
        this.brokerEpoch = brokerEpoch;
        this.time = time;
        this.interBrokerListener = config.interBrokerListener();
    }

    @Override
    public synchronized void follow(Map<TopicPartition, ReplicaManager.Followed> followed, MetadataImage current) {
        if (closed) return;
        this.image = current;
        Map<Integer, Map<TopicPartition, ReplicaManager.Followed>> byLeader = new HashMap<>();
        followed.forEach((tp, f) -> byLeader.computeIfAbsent(f.leaderId(), id -> new HashMap<>()).put(tp, f));
        // Each fetcher keeps only what it still follows on its leader (a partition whose leader moved
        // goes to the new leader's fetcher; one now led here, or gone, leaves them all).
        for (Map.Entry<Integer, ReplicaFetcher> e : fetchers.entrySet())
            e.getValue().retainOnly(byLeader.getOrDefault(e.getKey(), Map.of()).keySet());
        byLeader.forEach((leaderId, partitions) -> {
            ReplicaFetcher fetcher = fetchers.computeIfAbsent(leaderId, this::startFetcher);
            partitions.forEach((tp, f) -> fetcher.assign(tp, f.partition(), f.leaderEpoch()));
        });
    }

    private ReplicaFetcher startFetcher(int leaderId) {
        String clientId = "runnel-replica-fetcher-" + config.nodeId() + "-from-" + leaderId;
        ReplicaFetcher fetcher = new ReplicaFetcher(config.nodeId(), leaderId, this::leaderNode, brokerEpoch, config.cluster(),
                NodeNetworkClient.create(clientId, config.interBrokerChannel(), REQUEST_TIMEOUT_MS,
                        config.connectionsMaxIdleMs(), time), quotas.follower(), time);
        fetcher.start();
        LOG.infof("Started replica fetcher from leader broker %d over %s", leaderId, config.interBrokerChannel());
        return fetcher;
    }

    /** The leader's inter-broker endpoint as it registered it; null while it is unknown. */
    private Node leaderNode(int leaderId) {
        MetadataImage current = image;
        BrokerImage broker = current == null ? null : current.brokers().get(leaderId);
        if (broker == null) return null;
        BrokerImage.Endpoint endpoint = broker.endpointFor(interBrokerListener);
        return endpoint == null ? null : new Node(leaderId, endpoint.host(), endpoint.port());
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (ReplicaFetcher fetcher : fetchers.values()) fetcher.initiateShutdown();
        for (ReplicaFetcher fetcher : fetchers.values()) {
            try {
                fetcher.awaitShutdown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fetcher.closeClient();
        }
        fetchers.clear();
    }
}
