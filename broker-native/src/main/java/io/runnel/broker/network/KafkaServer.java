package io.runnel.broker.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.ListenerSecurity;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.protocol.SupportedApis;
import io.runnel.broker.quota.ClientQuotas;
import io.runnel.broker.quota.ConnectionQuotas;
import io.runnel.broker.security.SaslServers;
import io.runnel.broker.security.ScramCredentials;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;

/**
 * The Kafka listeners: one Vert.x {@link NetServer} per event loop and listener, all sharing the
 * listener's port (Vert.x spreads accepted connections over them). Owns nothing but the servers;
 * each connection is then owned by its event loop. Each listener speaks its security protocol
 * ({@link ListenerSecurity}): TLS is terminated in Vert.x ({@link TlsServerOptions}), SASL in the
 * connection.
 */
public final class KafkaServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KafkaServer.class);

    private final Vertx vertx;
    private final BrokerConfig config;
    private final List<BrokerConfig.Listener> listeners;
    private final SupportedApis apis;
    private final BrokerMetrics metrics;
    private final ScramCredentials scramCredentials;
    /** Client quotas and connection limits; null on the controller listener, which has neither. */
    private final ClientQuotas clientQuotas;
    private final ConnectionQuotas connectionQuotas;
    private final List<String> deployments = new ArrayList<>();
    private final List<Integer> boundPorts = new ArrayList<>();

    /** Serves {@code apis} on {@code listeners} (the client listeners, or the controller listener). */
    public KafkaServer(Vertx vertx, BrokerConfig config, List<BrokerConfig.Listener> listeners, SupportedApis apis, BrokerMetrics metrics) {
        this(vertx, config, listeners, apis, metrics, (user, mechanism) -> java.util.Optional.empty());
    }

    /** @param scramCredentials where SCRAM authentication on SASL listeners finds users' credentials */
    public KafkaServer(Vertx vertx, BrokerConfig config, List<BrokerConfig.Listener> listeners, SupportedApis apis, BrokerMetrics metrics,
                       ScramCredentials scramCredentials) {
        this(vertx, config, listeners, apis, metrics, scramCredentials, null, null);
    }

    /**
     * @param clientQuotas     the client quotas applied to every request; null for none
     * @param connectionQuotas the connection limits applied to every new connection; null for none
     */
    public KafkaServer(Vertx vertx, BrokerConfig config, List<BrokerConfig.Listener> listeners, SupportedApis apis, BrokerMetrics metrics,
                       ScramCredentials scramCredentials, ClientQuotas clientQuotas, ConnectionQuotas connectionQuotas) {
        this.clientQuotas = clientQuotas;
        this.connectionQuotas = connectionQuotas;
        this.scramCredentials = scramCredentials;
        this.vertx = vertx;
        this.config = config;
        this.listeners = List.copyOf(listeners);
        this.apis = apis;
        this.metrics = metrics;
    }

    /** Binds every listener; completes when all accept connections. */
    public CompletableFuture<Void> start() {
        CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
        for (BrokerConfig.Listener listener : listeners) {
            all = all.thenCompose(v -> bind(listener));
        }
        return all;
    }

    private CompletableFuture<Void> bind(BrokerConfig.Listener listener) {
        // Vert.x shares one server among the instances only for a concrete port (each instance would
        // get its own port for 0), so port 0 is first resolved to a free port.
        BrokerConfig.Listener concrete = listener.port() != 0 ? listener
                : new BrokerConfig.Listener(listener.name(), listener.host(), freePort(listener.host()));
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        CompletableFuture<Void> done = new CompletableFuture<>();
        vertx.deployVerticle(() -> new ListenerVerticle(concrete, ports), new DeploymentOptions().setInstances(config.numNetworkThreads()))
                .onSuccess(id -> {
                    deployments.add(id);
                    if (ports.size() != 1) {
                        done.completeExceptionally(new IllegalStateException("listener " + listener + " bound to several ports: " + ports));
                        return;
                    }
                    int port = ports.iterator().next();
                    boundPorts.add(port);
                    LOG.infof("Listening for Kafka requests on %s://%s:%d (%s, %d event loops)", listener.name(), listener.host(),
                            port, config.security(listener.name()).protocol(), config.numNetworkThreads());
                    done.complete(null);
                })
                .onFailure(done::completeExceptionally);
        return done;
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }

    /** The ports actually bound, in the order of this server's listeners (differs from config when it asked for port 0). */
    public List<Integer> boundPorts() {
        return List.copyOf(boundPorts);
    }

    @Override
    public void close() {
        for (String id : deployments) {
            try {
                vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warnf("Undeploying listener %s: %s", id, e.toString());
            }
        }
        deployments.clear();
    }

    /** Netty quotes what a non-TLS client sent (as hex, all of it): the log line keeps 200 characters of it. */
    private static String abbreviated(String message) {
        return message.length() <= 200 ? message : message.substring(0, 200) + "...";
    }

    /** The client's address as accepted (Vert.x gives it as text: an IP literal, so no name lookup happens). */
    private static InetAddress peerAddress(io.vertx.core.net.NetSocket socket) {
        try {
            return InetAddress.getByName(socket.remoteAddress().hostAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("unparseable peer address " + socket.remoteAddress(), e);
        }
    }

    private final class ListenerVerticle extends AbstractVerticle {
        private final BrokerConfig.Listener listener;
        private final Set<Integer> boundPorts;

        ListenerVerticle(BrokerConfig.Listener listener, Set<Integer> boundPorts) {
            this.listener = listener;
            this.boundPorts = boundPorts;
        }

        @Override
        public void start(Promise<Void> started) {
            NetServerOptions options = new NetServerOptions()
                    .setHost(listener.host())
                    .setTcpNoDelay(true)
                    .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, config.connectionsMaxIdleMs()))
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
            options.setPort(listener.port());
            // SO_SNDBUF as Kafka sets it (socket.send.buffer.bytes, 100 KiB by default; -1 leaves the kernel's autotuning).
            // An autotuned buffer grows to MiBs: a fetch of 8 partitions (8 MiB) then fills it and sendfile hits partial
            // writes and EAGAIN, and on loopback the broker's CPU per record rose ~0.065 us (bench/profile --partitions 8).
            if (config.socketSendBufferBytes() > 0) options.setSendBufferSize(config.socketSendBufferBytes());
            // SO_RCVBUF likewise (socket.receive.buffer.bytes). Vert.x sets it on each accepted connection (Kafka, on the
            // listening socket, which accepted ones inherit) and then reads into buffers of that fixed size.
            if (config.socketReceiveBufferBytes() > 0) options.setReceiveBufferSize(config.socketReceiveBufferBytes());
            ListenerSecurity security = config.security(listener.name());
            if (security.usesTls()) TlsServerOptions.apply(options, security);
            SaslServers saslServers = security.usesSasl() ? new SaslServers(security.sasl(), scramCredentials) : null;
            // With TLS, Vert.x calls this once the handshake is done, so the peer certificate is known.
            NetServer server = vertx.createNetServer(options).connectHandler(socket -> {
                ConnectionQuotas.Lease lease = null;
                if (connectionQuotas != null) {
                    lease = connectionQuotas.tryOpen(listener.name(), peerAddress(socket), security.usesSasl());
                    if (lease == null) {
                        socket.close();
                        return;
                    }
                }
                new KafkaConnection(socket, context, listener.name(), apis, metrics, config.socketRequestMaxBytes(),
                        config.maxInflightRequestsPerConnection(), security, saslServers, clientQuotas, lease,
                        config.quotas().failedAuthenticationDelayMs()).start();
            });
            // Vert.x reports here what fails before connectHandler: on TLS listeners a handshake that timed out
            // (connections.max.unauthenticated.ms), was not TLS, or was refused (no or an untrusted client certificate).
            if (security.usesTls()) server.exceptionHandler(e -> LOG.infof("Closed a connection on listener %s before the TLS handshake completed: %s", listener.name(),
                    abbreviated(e.getMessage() != null ? e.getMessage() : e.toString())));
            server.listen().onSuccess(s -> {
                boundPorts.add(s.actualPort());
                started.complete();
            }).onFailure(started::fail);
        }
    }
}
