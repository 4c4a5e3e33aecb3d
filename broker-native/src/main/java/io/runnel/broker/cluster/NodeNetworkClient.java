package io.runnel.broker.cluster;

import java.util.Map;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.BootstrapConfiguration;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.NetworkReceive;
import org.apache.kafka.common.network.PlaintextChannelBuilder;
import org.apache.kafka.common.network.Selectable;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;

/**
 * Builds the kafka-clients {@link NetworkClient} one node uses to talk to others (quorum peers,
 * the active controller): Kafka's own connection handling, ApiVersions negotiation, request
 * timeouts and reconnect back-off, as Kafka's brokers use it. Plaintext only for now. The client
 * is not thread-safe: its owner polls it from one thread.
 */
public final class NodeNetworkClient {
    private static final long RECONNECT_BACKOFF_MS = 50;
    private static final long RECONNECT_BACKOFF_MAX_MS = 1000;
    private static final long CONNECTION_SETUP_TIMEOUT_MS = 10_000;
    private static final long CONNECTION_SETUP_TIMEOUT_MAX_MS = 30_000;

    private NodeNetworkClient() {
    }

    /**
     * @param clientId         sent in every request header, so the peer's logs name the caller
     * @param listenerName     the listener the peers serve these requests on
     * @param requestTimeoutMs how long a request may wait for its response before it fails
     */
    public static NetworkClient create(String clientId, ListenerName listenerName, int requestTimeoutMs, long connectionsMaxIdleMs, Time time) {
        LogContext logContext = new LogContext("[" + clientId + "] ");
        PlaintextChannelBuilder channelBuilder = new PlaintextChannelBuilder(listenerName);
        channelBuilder.configure(Map.of());
        Selector selector = new Selector(NetworkReceive.UNLIMITED, connectionsMaxIdleMs, new Metrics(time), time, clientId, Map.of(), false,
                channelBuilder, logContext);
        return new NetworkClient(selector, new ManualMetadataUpdater(), clientId, 1, RECONNECT_BACKOFF_MS, RECONNECT_BACKOFF_MAX_MS,
                Selectable.USE_DEFAULT_BUFFER_SIZE, Selectable.USE_DEFAULT_BUFFER_SIZE, requestTimeoutMs, CONNECTION_SETUP_TIMEOUT_MS,
                CONNECTION_SETUP_TIMEOUT_MAX_MS, time, true, new ApiVersions(), logContext, MetadataRecoveryStrategy.NONE,
                BootstrapConfiguration.DISABLED, false);
    }
}
