package io.runnel.broker.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.record.TimestampType;

import io.runnel.broker.log.LogConfig;

/**
 * Kafka's topic-level configs: which keys exist, their types, how their defaults follow the
 * broker's settings, which of them Runnel enforces today, and the translation to {@link LogConfig}.
 * Stateless.
 */
public final class TopicConfigs {

    /** Kafka's DescribeConfigs config types (DescribeConfigsResponse.ConfigType ids). */
    public enum Type {
        BOOLEAN(1), STRING(2), INT(3), SHORT(4), LONG(5), DOUBLE(6), LIST(7), CLASS(8), PASSWORD(9);
        public final byte id;

        Type(int id) {
            this.id = (byte) id;
        }
    }

    /**
     * One topic config key; {@code brokerKey} names the broker setting its default follows (Kafka's
     * synonym), if any; {@code fixedDefault} is the default where the static broker config does not
     * know that setting.
     */
    public record Definition(String name, Type type, String brokerKey, String fixedDefault, boolean enforced) {}

    private static final Map<String, Definition> DEFINITIONS = definitions();
    /** Keys in Kafka's listing order (alphabetical, as Kafka's DescribeConfigs returns them). */
    private static final List<String> NAMES = DEFINITIONS.keySet().stream().sorted().toList();

    private static Map<String, Definition> definitions() {
        Map<String, Definition> d = new LinkedHashMap<>();
        // Enforced by the log today.
        add(d, "segment.bytes", Type.INT, "log.segment.bytes", null, true);
        add(d, "segment.ms", Type.LONG, "log.roll.ms", null, true);
        add(d, "segment.index.bytes", Type.INT, "log.index.size.max.bytes", null, true);
        add(d, "index.interval.bytes", Type.INT, "log.index.interval.bytes", null, true);
        add(d, "retention.ms", Type.LONG, "log.retention.ms", null, true);
        add(d, "retention.bytes", Type.LONG, "log.retention.bytes", null, true);
        add(d, "max.message.bytes", Type.INT, "message.max.bytes", null, true);
        add(d, "flush.messages", Type.LONG, "log.flush.interval.messages", null, true);
        add(d, "flush.ms", Type.LONG, "log.flush.interval.ms", null, true);
        add(d, "message.timestamp.type", Type.STRING, "log.message.timestamp.type", null, true);
        add(d, "min.insync.replicas", Type.INT, "min.insync.replicas", null, true);
        add(d, "message.timestamp.after.max.ms", Type.LONG, "log.message.timestamp.after.max.ms", "3600000", true);
        add(d, "message.timestamp.before.max.ms", Type.LONG, "log.message.timestamp.before.max.ms", Long.toString(Long.MAX_VALUE), true);
        add(d, "cleanup.policy", Type.LIST, "log.cleanup.policy", "delete", true);
        add(d, "compression.type", Type.STRING, "compression.type", null, true);
        add(d, "compression.gzip.level", Type.INT, "compression.gzip.level", "-1", true);
        add(d, "compression.lz4.level", Type.INT, "compression.lz4.level", "9", true);
        add(d, "compression.zstd.level", Type.INT, "compression.zstd.level", "3", true);
        add(d, "delete.retention.ms", Type.LONG, "log.cleaner.delete.retention.ms", "86400000", true);
        add(d, "max.compaction.lag.ms", Type.LONG, "log.cleaner.max.compaction.lag.ms", Long.toString(Long.MAX_VALUE), true);
        add(d, "min.compaction.lag.ms", Type.LONG, "log.cleaner.min.compaction.lag.ms", "0", true);
        add(d, "min.cleanable.dirty.ratio", Type.DOUBLE, "log.cleaner.min.cleanable.ratio", "0.5", true);
        // Accepted and reported, enforced by later work (log lifecycle, replication issues).

        add(d, "file.delete.delay.ms", Type.LONG, "log.segment.delete.delay.ms", "60000", false);
        add(d, "preallocate", Type.BOOLEAN, "log.preallocate", "false", false);
        add(d, "segment.jitter.ms", Type.LONG, "log.roll.jitter.ms", "0", false);
        add(d, "unclean.leader.election.enable", Type.BOOLEAN, "unclean.leader.election.enable", "false", false);
        add(d, "leader.replication.throttled.replicas", Type.LIST, null, "", true);
        add(d, "follower.replication.throttled.replicas", Type.LIST, null, "", true);
        add(d, "local.retention.bytes", Type.LONG, "log.local.retention.bytes", "-2", false);
        add(d, "local.retention.ms", Type.LONG, "log.local.retention.ms", "-2", false);
        add(d, "remote.storage.enable", Type.BOOLEAN, null, "false", false);
        return Map.copyOf(d);
    }

    private static void add(Map<String, Definition> d, String name, Type type, String brokerKey, String fixedDefault, boolean enforced) {
        d.put(name, new Definition(name, type, brokerKey, fixedDefault, enforced));
    }

    private TopicConfigs() {}

    public static Optional<Definition> definition(String name) {
        return Optional.ofNullable(DEFINITIONS.get(name));
    }

    /** The default a topic without an override gets on a broker with these settings. */
    private static String defaultValue(Definition def, EffectiveBrokerConfig broker) {
        return def.brokerKey() != null ? broker.value(def.brokerKey(), def.fixedDefault()) : def.fixedDefault();
    }

    /** The topic key whose default a broker setting is, if it is one: what makes it dynamically alterable. */
    public static Optional<Definition> forBrokerKey(String brokerKey) {
        return DEFINITIONS.values().stream().filter(d -> brokerKey.equals(d.brokerKey())).findFirst();
    }

    /** Validates one broker-level default the way its topic config is validated; the problem, if any. */
    public static Optional<String> validateBrokerDefault(String brokerKey, String value) {
        if (BROKER_ONLY_DYNAMIC.contains(brokerKey)) return value == null ? Optional.empty() : validateRate(brokerKey, value.trim());
        Optional<Definition> def = forBrokerKey(brokerKey);
        if (def.isEmpty()) return Optional.of("Cannot update these configs dynamically: [" + brokerKey + "]");
        if (value == null) return Optional.empty();
        return validateValue(def.get(), value.trim()).map(p -> p.replace("configuration " + def.get().name(), "configuration " + brokerKey));
    }

    /**
     * Dynamic broker settings that are no topic's default: the replication throttle rates (bytes
     * per second). The log-dir move rate is accepted and stored (kafka-reassign-partitions sets and
     * clears it) but moves between a broker's log dirs do not exist yet, so nothing reads it.
     */
    public static final Set<String> BROKER_ONLY_DYNAMIC = Set.of("leader.replication.throttled.rate", "follower.replication.throttled.rate",
            "replica.alter.log.dirs.io.max.bytes.per.second");

    private static Optional<String> validateRate(String key, String value) {
        try {
            if (Long.parseLong(value) >= 0) return Optional.empty();
        } catch (NumberFormatException e) {
            // falls through to the message
        }
        return Optional.of("Invalid value " + value + " for configuration " + key + ": Value must be a non-negative long");
    }

    /** Validates overrides as CreateTopics/AlterConfigs would; returns the problem, if any. */
    public static Optional<String> validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Definition def = DEFINITIONS.get(e.getKey());
            if (def == null) return Optional.of("Unknown topic config name: " + e.getKey());
            String value = e.getValue();
            if (value == null) return Optional.of("Null value not supported for topic config " + e.getKey());
            Optional<String> problem = validateValue(def, value.trim());
            if (problem.isPresent()) return problem;
        }
        return Optional.empty();
    }

    private static Optional<String> validateValue(Definition def, String value) {
        String bad = "Invalid value " + value + " for configuration " + def.name();
        try {
            switch (def.type()) {
                case INT -> Integer.parseInt(value);
                case LONG -> Long.parseLong(value);
                case DOUBLE -> Double.parseDouble(value);
                case BOOLEAN -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) return Optional.of(bad + ": Expected value to be either true or false");
                }
                default -> { }
            }
        } catch (NumberFormatException e) {
            return Optional.of(bad + ": Not a number of type " + def.type());
        }
        return switch (def.name()) {
            case "message.timestamp.type" -> Set.of("CreateTime", "LogAppendTime").contains(value) ? Optional.empty()
                    : Optional.of(bad + ": String must be one of: CreateTime, LogAppendTime");
            case "cleanup.policy" -> Set.of("delete", "compact").containsAll(List.of(value.replace(" ", "").split(",")))
                    ? Optional.empty() : Optional.of(bad + ": String must be one of: compact, delete");
            case "compression.type" -> Set.of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer").contains(value)
                    ? Optional.empty() : Optional.of(bad + ": String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer");
            case "segment.bytes" -> Integer.parseInt(value) >= 1024 * 1024 ? Optional.empty()
                    : Optional.of(bad + ": Value must be at least 1048576");
            case "min.insync.replicas", "segment.ms", "index.interval.bytes", "segment.index.bytes", "flush.messages", "flush.ms" ->
                    Long.parseLong(value) >= (def.name().equals("index.interval.bytes") ? 0 : 1) ? Optional.empty()
                            : Optional.of(bad + ": Value must be at least 1");
            case "min.cleanable.dirty.ratio" -> Double.parseDouble(value) >= 0 && Double.parseDouble(value) <= 1 ? Optional.empty()
                    : Optional.of(bad + ": Value must be no more than 1");
            case "delete.retention.ms", "min.compaction.lag.ms" -> Long.parseLong(value) >= 0 ? Optional.empty()
                    : Optional.of(bad + ": Value must be at least 0");
            case "max.compaction.lag.ms" -> Long.parseLong(value) >= 1 ? Optional.empty() : Optional.of(bad + ": Value must be at least 1");
            case "max.message.bytes" -> Integer.parseInt(value) >= 0 ? Optional.empty() : Optional.of(bad + ": Value must be at least 0");
            default -> Optional.empty();
        };
    }

    /** Every topic config with the value in force (override, else the broker's default, dynamic or static). */
    public static Map<String, String> effective(Map<String, String> overrides, EffectiveBrokerConfig broker) {
        Map<String, String> all = new LinkedHashMap<>();
        for (String name : NAMES) {
            String override = overrides.get(name);
            all.put(name, override != null ? override : defaultValue(DEFINITIONS.get(name), broker));
        }
        return all;
    }

    /** With the static broker settings only. */
    public static Map<String, String> effective(Map<String, String> overrides, BrokerConfig broker) {
        return effective(overrides, EffectiveBrokerConfig.staticOnly(broker));
    }

    /** Topic keys in Kafka's listing order. */
    public static List<String> names() {
        return NAMES;
    }

    /** The log settings a partition of a topic with these overrides runs with. */
    public static LogConfig toLogConfig(Map<String, String> overrides, BrokerConfig broker) {
        return toLogConfig(overrides, EffectiveBrokerConfig.staticOnly(broker));
    }

    public static LogConfig toLogConfig(Map<String, String> overrides, EffectiveBrokerConfig broker) {
        Map<String, String> c = effective(overrides, broker);
        return new LogConfig(
                Integer.parseInt(c.get("segment.bytes")),
                Long.parseLong(c.get("segment.ms")),
                Integer.parseInt(c.get("segment.index.bytes")),
                Integer.parseInt(c.get("index.interval.bytes")),
                Long.parseLong(c.get("retention.ms")),
                Long.parseLong(c.get("retention.bytes")),
                Integer.parseInt(c.get("max.message.bytes")),
                Long.parseLong(c.get("flush.messages")),
                Long.parseLong(c.get("flush.ms")),
                c.get("message.timestamp.type").equals("LogAppendTime") ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME,
                new io.runnel.broker.log.CompactionConfig(
                        List.of(c.get("cleanup.policy").replace(" ", "").split(",")).contains("compact"),
                        List.of(c.get("cleanup.policy").replace(" ", "").split(",")).contains("delete"),
                        Long.parseLong(c.get("delete.retention.ms")),
                        Long.parseLong(c.get("min.compaction.lag.ms")),
                        Long.parseLong(c.get("max.compaction.lag.ms")),
                        Double.parseDouble(c.get("min.cleanable.dirty.ratio"))),
                storedCompression(c));
    }

    /**
     * The codec {@code compression.type} stores batches with: null for "producer" (as sent),
     * otherwise that codec at the topic's {@code compression.<codec>.level}.
     */
    static org.apache.kafka.common.compress.Compression storedCompression(Map<String, String> c) {
        return switch (c.get("compression.type")) {
            case "producer" -> null;
            case "uncompressed" -> org.apache.kafka.common.compress.Compression.NONE;
            case "gzip" -> org.apache.kafka.common.compress.Compression.gzip().level(Integer.parseInt(c.get("compression.gzip.level"))).build();
            case "lz4" -> org.apache.kafka.common.compress.Compression.lz4().level(Integer.parseInt(c.get("compression.lz4.level"))).build();
            case "zstd" -> org.apache.kafka.common.compress.Compression.zstd().level(Integer.parseInt(c.get("compression.zstd.level"))).build();
            case "snappy" -> org.apache.kafka.common.compress.Compression.snappy().build();
            default -> throw new IllegalArgumentException("compression.type " + c.get("compression.type"));
        };
    }
}
