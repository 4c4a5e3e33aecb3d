package io.runnel.broker.group;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The group coordinator's settings, named as Kafka names them (read under the {@code runnel.}
 * prefix like every broker setting). Immutable.
 *
 * @param offsetsTopicNumPartitions  partitions of {@code __consumer_offsets} when it is created; a group lives on
 *                                   partition {@code abs(groupId.hashCode()) % n} of the topic as it exists
 * @param initialRebalanceDelayMs    how long the first rebalance of an empty group waits for more members
 * @param minSessionTimeoutMs        smallest session timeout a member may ask for
 * @param maxSessionTimeoutMs        largest session timeout a member may ask for
 * @param maxSize                    most members a classic group may have
 * @param offsetsRetentionMs         how long the offsets of an empty group (or a simple consumer) are kept
 * @param offsetsRetentionCheckIntervalMs how often expired offsets are looked for
 * @param offsetMetadataMaxBytes     longest metadata string a commit may carry
 * @param newMemberJoinTimeoutMs     how long a new member may wait in a rebalance without rejoining
 * @param consumerSessionTimeoutMs   KIP-848 groups: how long a member may go without a heartbeat before it is removed
 * @param consumerHeartbeatIntervalMs KIP-848 groups: the heartbeat interval the coordinator gives its members
 * @param consumerMaxSize            KIP-848 groups: most members a group may have
 * @param consumerAssignors          KIP-848 groups: the server-side assignors members may name; the first is the default
 * @param consumerAssignmentIntervalMs KIP-848 groups: a new target assignment is computed at most this often
 *                                   (joins in between wait for the next one), so a burst of N joins costs a few
 *                                   assignments instead of N
 * @param offsetsTopicReplicationFactor replicas of each offsets-topic partition in a multi-node cluster (its
 *                                   creation waits until that many brokers are registered); a quorum of one uses 1
 * @param offsetsCommitTimeoutMs     how long a commit waits for the whole ISR before it fails (retriably)
 */
public record GroupConfig(
        int offsetsTopicNumPartitions,
        long initialRebalanceDelayMs,
        int minSessionTimeoutMs,
        int maxSessionTimeoutMs,
        int maxSize,
        long offsetsRetentionMs,
        long offsetsRetentionCheckIntervalMs,
        int offsetMetadataMaxBytes,
        long newMemberJoinTimeoutMs,
        int consumerSessionTimeoutMs,
        int consumerHeartbeatIntervalMs,
        int consumerMaxSize,
        List<String> consumerAssignors,
        long consumerAssignmentIntervalMs,
        short offsetsTopicReplicationFactor,
        int offsetsCommitTimeoutMs) {

    public static final String OFFSETS_TOPIC = "__consumer_offsets";

    /** Kafka's defaults. */
    public static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("offsets.topic.num.partitions", "50");
        d.put("group.initial.rebalance.delay.ms", "3000");
        d.put("group.min.session.timeout.ms", "6000");
        d.put("group.max.session.timeout.ms", "1800000");
        d.put("group.max.size", Integer.toString(Integer.MAX_VALUE));
        d.put("offsets.retention.minutes", "10080");
        d.put("offsets.retention.check.interval.ms", "600000");
        d.put("offset.metadata.max.bytes", "4096");
        d.put("group.new.member.join.timeout.ms", "300000");
        d.put("group.consumer.session.timeout.ms", "45000");
        d.put("group.consumer.heartbeat.interval.ms", "5000");
        d.put("group.consumer.max.size", Integer.toString(Integer.MAX_VALUE));
        d.put("group.consumer.assignors", "uniform,range");
        d.put("group.consumer.assignment.interval.ms", "1000");
        d.put("offsets.topic.replication.factor", "3");
        d.put("offsets.commit.timeout.ms", "5000");
        return Map.copyOf(d);
    }

    public static final GroupConfig DEFAULT = from(Map.of());

    public GroupConfig {
        if (offsetsTopicNumPartitions < 1) throw new IllegalArgumentException("offsets.topic.num.partitions must be >= 1");
        if (initialRebalanceDelayMs < 0) throw new IllegalArgumentException("group.initial.rebalance.delay.ms must be >= 0");
        if (minSessionTimeoutMs < 0 || maxSessionTimeoutMs < minSessionTimeoutMs)
            throw new IllegalArgumentException("group.min.session.timeout.ms / group.max.session.timeout.ms out of range");
        if (maxSize < 1) throw new IllegalArgumentException("group.max.size must be >= 1");
        if (offsetsRetentionMs < 1 || offsetsRetentionCheckIntervalMs < 1)
            throw new IllegalArgumentException("offsets.retention.minutes / offsets.retention.check.interval.ms must be >= 1");
        if (consumerHeartbeatIntervalMs < 1 || consumerSessionTimeoutMs <= consumerHeartbeatIntervalMs)
            throw new IllegalArgumentException("group.consumer.heartbeat.interval.ms must be >= 1 and below group.consumer.session.timeout.ms");
        if (consumerMaxSize < 1) throw new IllegalArgumentException("group.consumer.max.size must be >= 1");
        consumerAssignors = List.copyOf(consumerAssignors);
        for (String a : consumerAssignors) {
            if (!ServerAssignors.NAMES.contains(a))
                throw new IllegalArgumentException("group.consumer.assignors: unknown assignor '" + a + "' (known: " + ServerAssignors.NAMES + ")");
        }
        if (consumerAssignors.isEmpty()) throw new IllegalArgumentException("group.consumer.assignors must name at least one assignor");
        if (consumerAssignmentIntervalMs < 0) throw new IllegalArgumentException("group.consumer.assignment.interval.ms must be >= 0");
        if (offsetsTopicReplicationFactor < 1) throw new IllegalArgumentException("offsets.topic.replication.factor must be >= 1");
        if (offsetsCommitTimeoutMs < 1) throw new IllegalArgumentException("offsets.commit.timeout.ms must be >= 1");
    }

    /** Reads Kafka key names (without the {@code runnel.} prefix); absent keys take {@link #DEFAULTS}. */
    public static GroupConfig from(Function<String, Optional<String>> source) {
        Function<String, String> get = key -> source.apply(key).filter(v -> !v.isBlank()).orElseGet(() -> DEFAULTS.get(key));
        return new GroupConfig(
                Integer.parseInt(get.apply("offsets.topic.num.partitions")),
                Long.parseLong(get.apply("group.initial.rebalance.delay.ms")),
                Integer.parseInt(get.apply("group.min.session.timeout.ms")),
                Integer.parseInt(get.apply("group.max.session.timeout.ms")),
                Integer.parseInt(get.apply("group.max.size")),
                Long.parseLong(get.apply("offsets.retention.minutes")) * 60_000L,
                Long.parseLong(get.apply("offsets.retention.check.interval.ms")),
                Integer.parseInt(get.apply("offset.metadata.max.bytes")),
                Long.parseLong(get.apply("group.new.member.join.timeout.ms")),
                Integer.parseInt(get.apply("group.consumer.session.timeout.ms")),
                Integer.parseInt(get.apply("group.consumer.heartbeat.interval.ms")),
                Integer.parseInt(get.apply("group.consumer.max.size")),
                Arrays.stream(get.apply("group.consumer.assignors").split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList(),
                Long.parseLong(get.apply("group.consumer.assignment.interval.ms")),
                Short.parseShort(get.apply("offsets.topic.replication.factor")),
                Integer.parseInt(get.apply("offsets.commit.timeout.ms")));
    }

    public static GroupConfig from(Map<String, String> overrides) {
        return from(key -> Optional.ofNullable(overrides.get(key)));
    }
}
