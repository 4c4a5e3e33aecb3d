package io.runnel.broker.config;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * How a node takes part in a cluster, with KRaft's own keys: its roles ({@code process.roles}),
 * the static controller quorum ({@code controller.quorum.voters}, {@code id@host:port,...}), which
 * listeners are controller listeners ({@code controller.listener.names}), the broker
 * liveness settings the active controller fences by, and how followers replicate
 * ({@code replica.*}). Immutable.
 *
 * <p>No voters at all is the embedded default: a quorum of one, this node, that needs no
 * network. Controller-only nodes ({@code process.roles=controller}) are not supported yet. Without
 * {@code process.roles} a node's roles follow from the voters: {@code broker,controller} when it is
 * one of them (or there are none), {@code broker} otherwise, so that every pod of a StatefulSet can
 * share one configuration.
 *
 * @param voters voter id → its controller listener address, ordered by id
 */
public record ClusterConfig(Set<String> processRoles, Map<Integer, InetSocketAddress> voters, List<String> controllerListenerNames,
                            long brokerSessionTimeoutMs, long brokerHeartbeatIntervalMs, long replicaLagTimeMaxMs,
                            int replicaFetchMaxBytes, int replicaFetchWaitMaxMs, long replicaFetchBackoffMs) {
    public static final String BROKER_ROLE = "broker";
    public static final String CONTROLLER_ROLE = "controller";

    static final Map<String, String> DEFAULTS = Map.of(
            "process.roles", "",
            "controller.quorum.voters", "",
            "controller.listener.names", "CONTROLLER",
            "broker.session.timeout.ms", "9000",
            "broker.heartbeat.interval.ms", "2000",
            "replica.lag.time.max.ms", "30000",
            "replica.fetch.max.bytes", "1048576",
            "replica.fetch.wait.max.ms", "500",
            "replica.fetch.backoff.ms", "1000");

    public ClusterConfig {
        processRoles = Set.copyOf(processRoles);
        voters = java.util.Collections.unmodifiableMap(new TreeMap<>(voters));
        controllerListenerNames = List.copyOf(controllerListenerNames);
    }

    /** Reads the keys through {@code get}, which already falls back to the defaults. */
    static ClusterConfig from(Function<String, String> get, int nodeId) {
        Map<Integer, InetSocketAddress> voters = parseVoters(get.apply("controller.quorum.voters"));
        Set<String> roles = Arrays.stream(get.apply("process.roles").split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        if (roles.isEmpty())
            roles = voters.isEmpty() || voters.containsKey(nodeId) ? Set.of(BROKER_ROLE, CONTROLLER_ROLE) : Set.of(BROKER_ROLE);
        List<String> controllerListeners = Arrays.stream(get.apply("controller.listener.names").split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList();
        return new ClusterConfig(roles, voters, controllerListeners,
                Long.parseLong(get.apply("broker.session.timeout.ms")), Long.parseLong(get.apply("broker.heartbeat.interval.ms")),
                Long.parseLong(get.apply("replica.lag.time.max.ms")), Integer.parseInt(get.apply("replica.fetch.max.bytes")),
                Integer.parseInt(get.apply("replica.fetch.wait.max.ms")), Long.parseLong(get.apply("replica.fetch.backoff.ms")));
    }

    /** Parses {@code id@host:port,...}, Kafka's static voter syntax. */
    static Map<Integer, InetSocketAddress> parseVoters(String spec) {
        Map<Integer, InetSocketAddress> voters = new TreeMap<>();
        for (String entry : spec.split(",")) {
            String voter = entry.trim();
            if (voter.isEmpty()) continue;
            int at = voter.indexOf('@');
            int colon = voter.lastIndexOf(':');
            if (at < 1 || colon < at + 2 || colon == voter.length() - 1)
                throw new IllegalArgumentException("controller.quorum.voters entry '" + voter + "' is not id@host:port");
            int id;
            int port;
            try {
                id = Integer.parseInt(voter.substring(0, at));
                port = Integer.parseInt(voter.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("controller.quorum.voters entry '" + voter + "' is not id@host:port");
            }
            String host = voter.substring(at + 1, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            if (voters.put(id, InetSocketAddress.createUnresolved(host, port)) != null)
                throw new IllegalArgumentException("controller.quorum.voters names node " + id + " twice");
        }
        return voters;
    }

    public boolean isBroker() {
        return processRoles.contains(BROKER_ROLE);
    }

    public boolean isController() {
        return processRoles.contains(CONTROLLER_ROLE);
    }

    /** A quorum of one with no peers: no voters configured. */
    public boolean isSingleNode() {
        return voters.isEmpty();
    }

    public boolean isControllerListener(String listenerName) {
        return controllerListenerNames.contains(listenerName);
    }

    /** Checks the roles against the node id and its listeners, naming the key at fault. */
    void validate(int nodeId, List<BrokerConfig.Listener> listeners) {
        if (processRoles.isEmpty() || !Set.of(BROKER_ROLE, CONTROLLER_ROLE).containsAll(processRoles))
            throw new IllegalArgumentException("runnel.process.roles must be broker, controller or broker,controller; got " + processRoles);
        if (!isBroker())
            throw new IllegalArgumentException("runnel.process.roles=controller (a controller-only node) is not supported yet; "
                    + "run controllers as broker,controller");
        if (replicaLagTimeMaxMs < 1 || replicaFetchMaxBytes < 1 || replicaFetchWaitMaxMs < 0 || replicaFetchBackoffMs < 0)
            throw new IllegalArgumentException("runnel.replica.* settings must be positive");
        if (brokerHeartbeatIntervalMs < 1 || brokerSessionTimeoutMs <= brokerHeartbeatIntervalMs)
            throw new IllegalArgumentException("runnel.broker.session.timeout.ms must exceed runnel.broker.heartbeat.interval.ms (>= 1)");
        boolean hasControllerListener = listeners.stream().anyMatch(l -> isControllerListener(l.name()));
        if (listeners.stream().noneMatch(l -> !isControllerListener(l.name())))
            throw new IllegalArgumentException("runnel.listeners has no client listener: every listener is in runnel.controller.listener.names");
        if (isSingleNode()) {
            if (!isController())
                throw new IllegalArgumentException("a broker-only node (runnel.process.roles=broker) needs runnel.controller.quorum.voters");
            return;
        }
        if (isController()) {
            if (!voters.containsKey(nodeId))
                throw new IllegalArgumentException("node " + nodeId + " has the controller role but is not in runnel.controller.quorum.voters "
                        + voters.keySet());
            if (!hasControllerListener)
                throw new IllegalArgumentException("a controller needs a listener named in runnel.controller.listener.names "
                        + controllerListenerNames + " in runnel.listeners");
        } else if (voters.containsKey(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is in runnel.controller.quorum.voters but runnel.process.roles has no controller");
        }
    }

    void putKafkaConfigs(Map<String, String> m) {
        m.put("process.roles", String.join(",", processRoles.stream().sorted().toList()));
        m.put("controller.quorum.voters", votersSpec(voters));
        m.put("controller.listener.names", String.join(",", controllerListenerNames));
        m.put("broker.session.timeout.ms", Long.toString(brokerSessionTimeoutMs));
        m.put("broker.heartbeat.interval.ms", Long.toString(brokerHeartbeatIntervalMs));
        m.put("replica.lag.time.max.ms", Long.toString(replicaLagTimeMaxMs));
        m.put("replica.fetch.max.bytes", Integer.toString(replicaFetchMaxBytes));
        m.put("replica.fetch.wait.max.ms", Integer.toString(replicaFetchWaitMaxMs));
        m.put("replica.fetch.backoff.ms", Long.toString(replicaFetchBackoffMs));
    }

    /** The inverse of {@link #parseVoters}. */
    public static String votersSpec(Map<Integer, InetSocketAddress> voters) {
        Map<Integer, InetSocketAddress> ordered = new LinkedHashMap<>(voters);
        return ordered.entrySet().stream().map(e -> e.getKey() + "@" + e.getValue().getHostString() + ":" + e.getValue().getPort())
                .collect(Collectors.joining(","));
    }
}
