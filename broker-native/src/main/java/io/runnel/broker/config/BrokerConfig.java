package io.runnel.broker.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The broker's static configuration: every {@code runnel.*} setting, named as Kafka names it.
 * Immutable; safe to share between threads. {@link #from(Function)} reads it from any key/value
 * source (SmallRye config in the Quarkus shell, a map in tests) so that defaults live only here.
 */
public record BrokerConfig(
        int nodeId,
        List<Listener> listeners,
        List<Listener> advertisedListeners,
        List<Path> logDirs,
        String clusterId,
        String rack,
        int numPartitions,
        short defaultReplicationFactor,
        boolean autoCreateTopicsEnable,
        boolean deleteTopicEnable,
        int messageMaxBytes,
        int socketRequestMaxBytes,
        int socketSendBufferBytes,
        int socketReceiveBufferBytes,
        long connectionsMaxIdleMs,
        int maxInflightRequestsPerConnection,
        int numIoThreads,
        int numNetworkThreads,
        long logSegmentBytes,
        long logRollMs,
        long logRetentionMs,
        long logRetentionBytes,
        long logRetentionCheckIntervalMs,
        int logIndexIntervalBytes,
        int logIndexSizeMaxBytes,
        long logFlushIntervalMessages,
        long logFlushIntervalMs,
        String logMessageTimestampType,
        int minInsyncReplicas,
        String compressionType,
        CleanerConfig logCleaner,
        ClusterConfig cluster,
        Map<String, String> quorumSettings,
        Map<String, ListenerSecurity> listenerSecurity,
        QuotaSettings quotas,
        NodeChannelSecurity interBrokerChannel,
        NodeChannelSecurity controllerChannel,
        List<io.runnel.broker.security.ScramBootstrap.Credential> scramBootstrapCredentials,
        AuthorizerConfig authorizer,
        FetchSessionSettings fetchSessions) {

    /**
     * KRaft's metadata quorum and metadata log settings, passed to kafka-raft under their Kafka
     * names; Kafka's defaults.
     */
    public static final Map<String, String> QUORUM_DEFAULTS = Map.ofEntries(
            Map.entry("controller.quorum.election.timeout.ms", "1000"),
            Map.entry("controller.quorum.fetch.timeout.ms", "2000"),
            Map.entry("controller.quorum.election.backoff.max.ms", "1000"),
            Map.entry("controller.quorum.append.linger.ms", "25"),
            Map.entry("controller.quorum.request.timeout.ms", "2000"),
            Map.entry("controller.quorum.retry.backoff.ms", "20"),
            Map.entry("metadata.log.segment.bytes", "1073741824"),
            Map.entry("metadata.max.retention.bytes", "104857600"),
            Map.entry("metadata.max.retention.ms", "604800000"),
            Map.entry("metadata.log.max.record.bytes.between.snapshots", "20971520"),
            Map.entry("metadata.log.max.snapshot.interval.ms", "3600000"));

    /** One {@code NAME://host:port} entry of {@code listeners}. */
    public record Listener(String name, String host, int port) {
        static Listener parse(String spec) {
            int scheme = spec.indexOf("://");
            if (scheme < 0) throw new IllegalArgumentException("listener '" + spec + "' is not NAME://host:port");
            String name = spec.substring(0, scheme).trim();
            String hostPort = spec.substring(scheme + 3).trim();
            int colon = hostPort.lastIndexOf(':');
            if (colon < 0) throw new IllegalArgumentException("listener '" + spec + "' has no port");
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            return new Listener(name, host, Integer.parseInt(hostPort.substring(colon + 1)));
        }

        @Override
        public String toString() {
            return name + "://" + host + ":" + port;
        }
    }

    /** Kafka's documented defaults, with the embedded single-node listener and a local data folder. */
    public static final Map<String, String> DEFAULTS = defaults();

    /** The {@code node.id} value that takes the id from the host name's trailing ordinal. */
    public static final String NODE_ID_FROM_HOSTNAME = "from-hostname";

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("node.id", "1");
        d.put("listeners", "PLAINTEXT://127.0.0.1:9092");
        d.put("advertised.listeners", "");
        d.put("log.dirs", "data");
        d.put("cluster.id", "");
        d.put("broker.rack", "");
        d.put("broker.rack.node.label", "");
        d.put("num.partitions", "1");
        d.put("default.replication.factor", "1");
        d.put("auto.create.topics.enable", "true");
        d.put("delete.topic.enable", "true");
        d.put("message.max.bytes", "1048588");
        d.put("socket.request.max.bytes", "104857600");
        d.put("socket.send.buffer.bytes", "102400");
        d.put("socket.receive.buffer.bytes", "102400");
        d.put("connections.max.idle.ms", "600000");
        d.put("max.inflight.requests.per.connection", "16");
        d.put("num.io.threads", "2");
        d.put("num.network.threads", "0");
        d.put("log.segment.bytes", "1073741824");
        d.put("log.roll.ms", "604800000");
        d.put("log.retention.ms", "604800000");
        d.put("log.retention.bytes", "-1");
        d.put("log.retention.check.interval.ms", "300000");
        d.put("log.index.interval.bytes", "4096");
        d.put("log.index.size.max.bytes", "10485760");
        d.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
        d.put("log.flush.interval.ms", Long.toString(Long.MAX_VALUE));
        d.put("log.message.timestamp.type", "CreateTime");
        d.putAll(CleanerConfig.DEFAULTS);
        d.put("min.insync.replicas", "1");
        d.put("compression.type", "producer");
        d.putAll(QUORUM_DEFAULTS);
        d.putAll(ClusterConfig.DEFAULTS);
        d.putAll(ListenerSecurity.DEFAULTS);
        d.putAll(QuotaSettings.DEFAULTS);
        d.putAll(AuthorizerConfig.DEFAULTS);
        d.putAll(FetchSessionSettings.DEFAULTS);
        return Map.copyOf(d);
    }

    /**
     * Builds the config from a source that answers Kafka key names (without the {@code runnel.}
     * prefix); absent keys take {@link #DEFAULTS}.
     */
    public static BrokerConfig from(Function<String, Optional<String>> source) {
        Function<String, String> get = key -> source.apply(key)
                .filter(v -> !v.isBlank() || key.equals("advertised.listeners") || key.equals("authorizer.class.name") || key.equals("super.users") || key.equals("broker.rack") || key.equals("broker.rack.node.label") || key.equals("cluster.id")
                        || key.equals("controller.quorum.voters"))
                .orElseGet(() -> {
                    String d = DEFAULTS.get(key);
                    if (d == null) throw new IllegalStateException("no default for " + key);
                    return d;
                });
        List<Listener> listeners = parseListeners(get.apply("listeners"));
        int nodeId = parseNodeId(get.apply("node.id"), () -> System.getenv("HOSTNAME"));
        ClusterConfig cluster = ClusterConfig.from(get, nodeId);
        List<Listener> clientListeners = listeners.stream().filter(l -> !cluster.isControllerListener(l.name())).toList();
        String advertised = get.apply("advertised.listeners");
        int networkThreads = Integer.parseInt(get.apply("num.network.threads"));
        Map<String, ListenerSecurity> listenerSecurity = ListenerSecurity.resolve(listeners.stream().map(Listener::name).toList(), source);
        BrokerConfig config = new BrokerConfig(
                nodeId,
                listeners,
                advertised.isBlank() ? clientListeners
                        : parseListeners(advertised).stream().filter(l -> !cluster.isControllerListener(l.name())).toList(),
                Arrays.stream(get.apply("log.dirs").split(",")).map(String::trim).map(Path::of).toList(),
                get.apply("cluster.id"),
                rack(get),
                Integer.parseInt(get.apply("num.partitions")),
                Short.parseShort(get.apply("default.replication.factor")),
                Boolean.parseBoolean(get.apply("auto.create.topics.enable")),
                Boolean.parseBoolean(get.apply("delete.topic.enable")),
                Integer.parseInt(get.apply("message.max.bytes")),
                Integer.parseInt(get.apply("socket.request.max.bytes")),
                Integer.parseInt(get.apply("socket.send.buffer.bytes")),
                Integer.parseInt(get.apply("socket.receive.buffer.bytes")),
                Long.parseLong(get.apply("connections.max.idle.ms")),
                Integer.parseInt(get.apply("max.inflight.requests.per.connection")),
                Integer.parseInt(get.apply("num.io.threads")),
                networkThreads > 0 ? networkThreads : Runtime.getRuntime().availableProcessors(),
                Long.parseLong(get.apply("log.segment.bytes")),
                Long.parseLong(get.apply("log.roll.ms")),
                Long.parseLong(get.apply("log.retention.ms")),
                Long.parseLong(get.apply("log.retention.bytes")),
                Long.parseLong(get.apply("log.retention.check.interval.ms")),
                Integer.parseInt(get.apply("log.index.interval.bytes")),
                Integer.parseInt(get.apply("log.index.size.max.bytes")),
                Long.parseLong(get.apply("log.flush.interval.messages")),
                Long.parseLong(get.apply("log.flush.interval.ms")),
                get.apply("log.message.timestamp.type"),
                Integer.parseInt(get.apply("min.insync.replicas")),
                get.apply("compression.type"),
                CleanerConfig.from(get),
                cluster,
                quorumSettings(get),
                listenerSecurity,
                QuotaSettings.from(get, source, listeners.stream().map(Listener::name).toList()),
                clientListeners.isEmpty() ? null : NodeChannelSecurity.interBroker(cluster, clientListeners, listenerSecurity, source),
                NodeChannelSecurity.controller(cluster, listenerSecurity, source),
                io.runnel.broker.security.ScramBootstrap.parse(source.apply("scram.bootstrap.credentials").orElse("")),
                AuthorizerConfig.from(get),
                FetchSessionSettings.from(get));
        config.validate();
        return config;
    }

    private static Map<String, String> quorumSettings(Function<String, String> get) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String key : QUORUM_DEFAULTS.keySet()) settings.put(key, get.apply(key));
        return Map.copyOf(settings);
    }

    /** Convenience for tests and tools: a map of Kafka key names over the defaults. */
    public static BrokerConfig from(Map<String, String> overrides) {
        return from(key -> Optional.ofNullable(overrides.get(key)));
    }

    private static List<Listener> parseListeners(String spec) {
        return Arrays.stream(spec.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Listener::parse).toList();
    }

    private void validate() {
        if (listeners.isEmpty()) throw new IllegalArgumentException("runnel.listeners is empty");
        cluster.validate(nodeId, listeners);
        if (!cluster.isSingleNode() && clusterId.isBlank())
            throw new IllegalArgumentException("a node of a multi-node cluster needs runnel.cluster.id, the same on every node");
        if (logDirs.isEmpty()) throw new IllegalArgumentException("runnel.log.dirs is empty");
        if (numIoThreads < 1) throw new IllegalArgumentException("runnel.num.io.threads must be >= 1");
        if (maxInflightRequestsPerConnection < 1) throw new IllegalArgumentException("runnel.max.inflight.requests.per.connection must be >= 1");
        if (messageMaxBytes < 0 || socketRequestMaxBytes < 1) throw new IllegalArgumentException("message.max.bytes / socket.request.max.bytes out of range");
        if (socketSendBufferBytes < -1 || socketSendBufferBytes == 0)
            throw new IllegalArgumentException("socket.send.buffer.bytes must be -1 (the OS default) or > 0: " + socketSendBufferBytes);
        if (socketReceiveBufferBytes < -1 || socketReceiveBufferBytes == 0)
            throw new IllegalArgumentException("socket.receive.buffer.bytes must be -1 (the OS default) or > 0: " + socketReceiveBufferBytes);
        if (!logMessageTimestampType.equals("CreateTime") && !logMessageTimestampType.equals("LogAppendTime"))
            throw new IllegalArgumentException("runnel.log.message.timestamp.type must be CreateTime or LogAppendTime");
    }

    /** {@code broker.rack}, or on Kubernetes the value of {@code broker.rack.node.label} on the pod's node. */
    private static String rack(Function<String, String> get) {
        String rack = get.apply("broker.rack");
        String label = get.apply("broker.rack.node.label");
        if (!rack.isBlank() || label.isBlank()) return rack;
        return NodeRack.lookup(label.trim(), System.getenv(), NodeRack.SERVICE_ACCOUNT);
    }

    /**
     * {@code node.id} is a number, or {@value #NODE_ID_FROM_HOSTNAME}: the number after the last
     * '-' of the host name, which on Kubernetes is a StatefulSet pod's ordinal ({@code runnel-2} → 2),
     * so that all pods of a StatefulSet share one configuration.
     */
    static int parseNodeId(String value, java.util.function.Supplier<String> hostname) {
        if (!value.trim().equals(NODE_ID_FROM_HOSTNAME)) return Integer.parseInt(value.trim());
        String host = hostname.get();
        if (host == null || host.isBlank()) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("runnel.node.id=" + NODE_ID_FROM_HOSTNAME + " but the host name is unknown", e);
            }
        }
        String shortName = host.split("\\.", 2)[0];
        int dash = shortName.lastIndexOf('-');
        try {
            return Integer.parseInt(shortName.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("runnel.node.id=" + NODE_ID_FROM_HOSTNAME + " but host name '" + host
                    + "' does not end in -<number> (a StatefulSet pod's ordinal)");
        }
    }

    /** The listeners clients connect to: every listener but the controller listeners, in config order. */
    public List<Listener> clientListeners() {
        return listeners.stream().filter(l -> !cluster.isControllerListener(l.name())).toList();
    }

    /** The security settings of listener {@code name}, which must be one of {@link #listeners()}. */
    public ListenerSecurity security(String name) {
        ListenerSecurity security = listenerSecurity.get(name);
        if (security == null) throw new IllegalArgumentException("no listener named " + name);
        return security;
    }

    /** The client listener brokers replicate and send transaction markers over ({@code inter.broker.listener.name}). */
    public String interBrokerListener() {
        return interBrokerChannel.listenerName();
    }

    /** The listener the metadata quorum is served on, if this node has one. */
    public Optional<Listener> controllerListener() {
        return listeners.stream().filter(l -> cluster.isControllerListener(l.name())).findFirst();
    }

    /** The broker's settings as Kafka key names and values, for DescribeConfigs. */
    public Map<String, String> asKafkaConfigs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("node.id", Integer.toString(nodeId));
        m.put("broker.id", Integer.toString(nodeId));
        m.put("listeners", String.join(",", listeners.stream().map(Listener::toString).toList()));
        m.put("advertised.listeners", String.join(",", advertisedListeners.stream().map(Listener::toString).toList()));
        m.put("log.dirs", String.join(",", logDirs.stream().map(Path::toString).toList()));
        m.put("broker.rack", rack);
        m.put("num.partitions", Integer.toString(numPartitions));
        m.put("default.replication.factor", Short.toString(defaultReplicationFactor));
        m.put("auto.create.topics.enable", Boolean.toString(autoCreateTopicsEnable));
        m.put("delete.topic.enable", Boolean.toString(deleteTopicEnable));
        m.put("message.max.bytes", Integer.toString(messageMaxBytes));
        m.put("socket.request.max.bytes", Integer.toString(socketRequestMaxBytes));
        m.put("socket.send.buffer.bytes", Integer.toString(socketSendBufferBytes));
        m.put("socket.receive.buffer.bytes", Integer.toString(socketReceiveBufferBytes));
        m.put("connections.max.idle.ms", Long.toString(connectionsMaxIdleMs));
        m.put("listener.security.protocol.map", String.join(",", listeners.stream()
                .map(l -> l.name() + ":" + security(l.name()).protocol().name).toList()));
        m.put("num.io.threads", Integer.toString(numIoThreads));
        m.put("num.network.threads", Integer.toString(numNetworkThreads));
        m.put("log.segment.bytes", Long.toString(logSegmentBytes));
        m.put("log.roll.ms", Long.toString(logRollMs));
        m.put("log.retention.ms", Long.toString(logRetentionMs));
        m.put("log.retention.bytes", Long.toString(logRetentionBytes));
        m.put("log.retention.check.interval.ms", Long.toString(logRetentionCheckIntervalMs));
        m.put("log.index.interval.bytes", Integer.toString(logIndexIntervalBytes));
        m.put("log.index.size.max.bytes", Integer.toString(logIndexSizeMaxBytes));
        m.put("log.flush.interval.messages", Long.toString(logFlushIntervalMessages));
        m.put("log.flush.interval.ms", Long.toString(logFlushIntervalMs));
        m.put("log.message.timestamp.type", logMessageTimestampType);
        m.put("min.insync.replicas", Integer.toString(minInsyncReplicas));
        m.put("compression.type", compressionType);
        logCleaner.putKafkaConfigs(m);
        cluster.putKafkaConfigs(m);
        quotas.putKafkaConfigs(m);
        fetchSessions.putKafkaConfigs(m);
        if (interBrokerChannel != null) m.put("inter.broker.listener.name", interBrokerChannel.listenerName());
        return m;
    }

    /** The keys whose value was not the default, for DescribeConfigs' config source. */
    public boolean isDefault(String kafkaKey, String value) {
        String d = DEFAULTS.get(kafkaKey);
        return d != null && d.equals(value);
    }
}
