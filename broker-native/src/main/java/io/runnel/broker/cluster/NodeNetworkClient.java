package io.runnel.broker.cluster;

import java.util.Map;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.BootstrapConfiguration;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.ChannelBuilders;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.NetworkReceive;
import org.apache.kafka.common.network.Selectable;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;

import io.runnel.broker.config.NodeChannelSecurity;

/**
 * Builds the kafka-clients {@link NetworkClient} one node uses to talk to others (quorum peers,
 * the active controller): Kafka's own connection handling, ApiVersions negotiation, request
 * timeouts and reconnect back-off, as Kafka's brokers use it. The channel (plaintext, TLS, SASL) is
 * kafka-clients' own, built by {@code ChannelBuilders.clientChannelBuilder} from the listener's
 * {@link NodeChannelSecurity}, so authentication to peers is the Java client's. The client is not
 * thread-safe: its owner polls it from one thread.
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
     * @param security         the listener the peers serve these requests on, and how to authenticate to them
     * @param requestTimeoutMs how long a request may wait for its response before it fails
     */
    public static NetworkClient create(String clientId, NodeChannelSecurity security, int requestTimeoutMs, long connectionsMaxIdleMs, Time time) {
        LogContext logContext = new LogContext("[" + clientId + "] ");
        ChannelBuilder channelBuilder = channelBuilder(security, time, logContext);
        Selector selector = new Selector(NetworkReceive.UNLIMITED, connectionsMaxIdleMs, new Metrics(time), time, clientId, Map.of(), false,
                channelBuilder, logContext);
        return new NetworkClient(selector, new ManualMetadataUpdater(), clientId, 1, RECONNECT_BACKOFF_MS, RECONNECT_BACKOFF_MAX_MS,
                Selectable.USE_DEFAULT_BUFFER_SIZE, Selectable.USE_DEFAULT_BUFFER_SIZE, requestTimeoutMs, CONNECTION_SETUP_TIMEOUT_MS,
                CONNECTION_SETUP_TIMEOUT_MAX_MS, time, true, new ApiVersions(), logContext, MetadataRecoveryStrategy.NONE,
                BootstrapConfiguration.DISABLED, false);
    }

    /**
     * kafka-clients' client channel builder for {@code security}, configured. A keystore or JAAS
     * entry that kafka-clients cannot load fails here, when the node starts the channel.
     */
    static ChannelBuilder channelBuilder(NodeChannelSecurity security, Time time, LogContext logContext) {
        // kafka-clients resolves class-valued settings (login, callback handlers, JWT retriever defaults) through the thread's
        // context class loader, which on a pool thread may not see kafka-clients (test launchers, Quarkus): use its own.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(ChannelBuilders.class.getClassLoader());
        try {
            // The client settings kafka-clients' channel builders read: TLS and SASL, with their defaults.
            ConfigDef definitions = new ConfigDef().withClientSslSupport().withClientSaslSupport();
            // CLIENT context: sasl.jaas.config holds the node's own entry (its username= and password=), as for any Java client.
            return ChannelBuilders.clientChannelBuilder(security.protocol(), JaasContext.Type.CLIENT, new AbstractConfig(definitions,
                    security.clientConfigs(), false), ListenerName.normalised(security.listenerName()), security.saslMechanism(), time, logContext);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
