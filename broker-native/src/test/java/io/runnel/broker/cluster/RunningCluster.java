package io.runnel.broker.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.kafka.common.Uuid;

import io.runnel.broker.Broker;
import io.runnel.broker.RunningBroker;

/**
 * A real cluster in the test JVM: {@code size} combined broker+controller nodes (ids 1..size),
 * each a {@link RunningBroker} with its own Vert.x, data folder, client port and controller
 * port, joined by {@code controller.quorum.voters}. Nodes start in parallel, since each waits
 * for a quorum; any one can be stopped and started again on its data.
 */
public final class RunningCluster implements AutoCloseable {
    private final Path dataRoot;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    private final Map<Integer, Integer> clientPorts = new TreeMap<>();
    private final Map<Integer, RunningBroker> nodes = new TreeMap<>();
    private final Map<String, String> overrides;
    private final String clientListener;
    private final Map<Integer, Map<String, String>> nodeOverrides;

    /** Each node's second client listener, SASL_PLAINTEXT, when the cluster has one (after the PLAINTEXT inter-broker one). */
    private final Map<Integer, Integer> saslPorts = new TreeMap<>();

    public RunningCluster(Path dataRoot, int size, Map<String, String> overrides) {
        this(dataRoot, size, overrides, false);
    }

    /**
     * @param saslListener whether every node also listens on SASL_PLAINTEXT (its mechanisms and
     *                     users come from {@code overrides}), for clients with their own principal
     */
    public RunningCluster(Path dataRoot, int size, Map<String, String> overrides, boolean saslListener) {
        this(dataRoot, size, "PLAINTEXT", overrides, Map.of(), saslListener);
    }

    /**
     * @param clientListener the name of every node's client listener (its protocol comes from the overrides'
     *                       {@code listener.security.protocol.map})
     * @param nodeOverrides  settings of single nodes, over {@code overrides}
     */
    public RunningCluster(Path dataRoot, int size, String clientListener, Map<String, String> overrides,
                          Map<Integer, Map<String, String>> nodeOverrides) {
        this(dataRoot, size, clientListener, overrides, nodeOverrides, false);
    }

    private RunningCluster(Path dataRoot, int size, String clientListener, Map<String, String> overrides,
                           Map<Integer, Map<String, String>> nodeOverrides, boolean saslListener) {
        this.dataRoot = dataRoot;
        this.overrides = overrides;
        this.clientListener = clientListener;
        this.nodeOverrides = nodeOverrides;
        for (int id = 1; id <= size; id++) {
            controllerPorts.put(id, freePort());
            clientPorts.put(id, freePort());
            if (saslListener) saslPorts.put(id, freePort());
        }
        List<CompletableFuture<Void>> starting = new ArrayList<>();
        for (int id : controllerPorts.keySet()) starting.add(CompletableFuture.runAsync(() -> start(id)));
        CompletableFuture.allOf(starting.toArray(CompletableFuture[]::new)).join();
    }

    public String voters() {
        return controllerPorts.entrySet().stream().map(e -> e.getKey() + "@127.0.0.1:" + e.getValue()).collect(Collectors.joining(","));
    }

    /** Starts node {@code id} (blocking until it has joined the quorum and registered). */
    public void start(int id) {
        Map<String, String> config = new HashMap<>(Map.of(
                "node.id", Integer.toString(id),
                "cluster.id", clusterId,
                "listeners", clientListener + "://127.0.0.1:" + clientPorts.get(id) + ",CONTROLLER://127.0.0.1:" + controllerPorts.get(id)
                        + (saslPorts.containsKey(id) ? ",SASL_PLAINTEXT://127.0.0.1:" + saslPorts.get(id) : ""),
                "controller.quorum.voters", voters(),
                "num.network.threads", "1"));
        if (saslPorts.containsKey(id))
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.putAll(overrides);
        config.putAll(nodeOverrides.getOrDefault(id, Map.of()));
        RunningBroker node = new RunningBroker(dataRoot.resolve("node-" + id), config);
        synchronized (nodes) {
            nodes.put(id, node);
        }
    }

    /**
     * Starts broker-only node {@code id} (process.roles=broker): it follows the quorum as an
     * observer, not a voter, and serves clients like any broker.
     */
    public void startBrokerOnly(int id) {
        clientPorts.putIfAbsent(id, freePort());
        Map<String, String> config = new HashMap<>(Map.of(
                "node.id", Integer.toString(id),
                "cluster.id", clusterId,
                "process.roles", "broker",
                "listeners", clientListener + "://127.0.0.1:" + clientPorts.get(id),
                "controller.quorum.voters", voters(),
                "num.network.threads", "1"));
        config.putAll(overrides);
        config.putAll(nodeOverrides.getOrDefault(id, Map.of()));
        RunningBroker node = new RunningBroker(dataRoot.resolve("node-" + id), config);
        synchronized (nodes) {
            nodes.put(id, node);
        }
    }

    /** Starts several stopped nodes at once (each waits for a quorum, so one alone may not finish). */
    public void startAll(List<Integer> ids) {
        CompletableFuture.allOf(ids.stream().map(id -> CompletableFuture.runAsync(() -> start(id))).toArray(CompletableFuture[]::new)).join();
    }

    /** Stops node {@code id} cleanly (controlled shutdown, resignation if it leads). */
    public void stop(int id) {
        RunningBroker node;
        synchronized (nodes) {
            node = nodes.remove(id);
        }
        if (node != null) node.close();
    }

    public Broker node(int id) {
        synchronized (nodes) {
            return nodes.get(id).broker();
        }
    }

    /** The meters of node {@code id}'s current run. */
    public io.micrometer.core.instrument.simple.SimpleMeterRegistry registry(int id) {
        synchronized (nodes) {
            return nodes.get(id).registry();
        }
    }

    public List<Integer> runningIds() {
        synchronized (nodes) {
            return List.copyOf(nodes.keySet());
        }
    }

    /** Every node's client listener, broker-only nodes included. */
    public String bootstrapServers() {
        return clientPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    public String bootstrapServers(int id) {
        return "127.0.0.1:" + clientPorts.get(id);
    }

    /** Node {@code id}'s SASL_PLAINTEXT listener (a cluster made with {@code saslListener}). */
    public String saslBootstrapServers(int id) {
        return "127.0.0.1:" + saslPorts.get(id);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (int id : runningIds()) stopping.add(CompletableFuture.runAsync(() -> stop(id)));
        CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new)).join();
    }
}
