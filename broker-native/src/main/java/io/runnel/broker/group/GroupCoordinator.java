package io.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

import io.runnel.broker.coordinator.CoordinatorShards;
import io.runnel.broker.coordinator.CoordinatorTopic;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicSpec;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;

/**
 * The group coordinator (classic groups and KIP-848 consumer groups): routes each group to the {@link GroupShard} of its
 * {@code __consumer_offsets} partition ({@code abs(groupId.hashCode()) % partitions}, as Kafka) and
 * creates that topic the first time a client looks for a coordinator.
 *
 * <p>Threading: any thread may call; each call hops to the shard's thread (the I/O thread of its
 * partition) and returns a future completed there. The shard table is published once, through a
 * volatile field, after the topic exists.
 *
 * <p>Life cycle: {@link #start()} after the metadata log has been replayed (it loads the shards if
 * the topic exists); {@link #close()} before the partitions and I/O threads are closed (it stops
 * the shards' timers, which would otherwise hold the I/O threads' shutdown).
 */
public final class GroupCoordinator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(GroupCoordinator.class);

    private final MetadataController controller;
    private final ReplicaManager replicas;
    private final IoThreadPool ioThreads;
    private final GroupConfig config;
    private final Time time;
    private final CoordinatorTopic internalTopic;
    private volatile GroupShard[] shards;
    private volatile boolean closed;

    // ------------------------------------------------------------------ the coordinator's vocabulary

    /** What a JoinGroup asks for, with the defaults of old versions filled in. */
    public record JoinParams(String groupId, String memberId, String groupInstanceId, String clientId, String clientHost,
                      String protocolType, LinkedHashMap<String, byte[]> protocols, int sessionTimeoutMs,
                      int rebalanceTimeoutMs, short apiVersion) {
        boolean requireKnownMemberId() {
            return apiVersion >= 4;
        }

        boolean supportsSkipAssignment() {
            return apiVersion >= 9;
        }
    }

    /** One partition's commit: what to store, or why not. */
    public record OffsetCommit(TopicPartition partition, long offset, int leaderEpoch, String metadata) {}

    /** A member named by a LeaveGroup. */
    public record LeavingMember(String memberId, String groupInstanceId) {}

    /** Group types as ListGroups names them. */
    public static final String CLASSIC = "classic";
    public static final String CONSUMER = "consumer";

    /** A group's line in ListGroups (state in Kafka's words for its type), with its member count for metrics. */
    public record Listing(String groupId, String protocolType, String state, String type, int members) {}

    /** OffsetDelete's answer: a group-level error, or one error per partition. */
    public record OffsetDeleteResult(Errors groupError, Map<TopicPartition, Errors> partitions) {}


    public GroupCoordinator(MetadataController controller, ReplicaManager replicas, IoThreadPool ioThreads, GroupConfig config, Time time) {
        this.controller = controller;
        this.replicas = replicas;
        this.ioThreads = ioThreads;
        this.config = config;
        this.time = time;
        this.internalTopic = new CoordinatorTopic(controller, GroupConfig.OFFSETS_TOPIC, this::offsetsTopicSpec, this::openShards);
    }

    public GroupConfig config() {
        return config;
    }

    /** Loads the groups of an existing offsets topic; the topic is otherwise created on first use. */
    public void start() {
        if (internalTopic.exists()) ensureTopic();
    }

    /**
     * NONE once the offsets topic exists and its shards are loading or loaded; creates the topic
     * (compacted, as Kafka's) the first time. COORDINATOR_NOT_AVAILABLE if that fails.
     */
    public CompletableFuture<Errors> ensureTopic() {
        return internalTopic.ensure();
    }

    /** Kafka's settings for the offsets topic: compacted (never time-retained), 100 MiB segments. */
    private TopicSpec offsetsTopicSpec() {
        short replicationFactor = controller.isSingleNode() ? 1 : config.offsetsTopicReplicationFactor();
        return new TopicSpec(GroupConfig.OFFSETS_TOPIC, config.offsetsTopicNumPartitions(), replicationFactor, Map.of(), Map.of(
                "cleanup.policy", "compact",
                "compression.type", "producer",
                "segment.bytes", "104857600"));
    }

    private synchronized void openShards(TopicImage topic) {
        if (shards != null || closed) return;
        int count = topic.partitionCount();
        if (count != config.offsetsTopicNumPartitions())
            LOG.warnf("%s has %d partitions, not offsets.topic.num.partitions=%d; groups are placed by the topic as it is",
                    GroupConfig.OFFSETS_TOPIC, count, config.offsetsTopicNumPartitions());
        // In a cluster each broker coordinates the groups of the offsets partitions it leads; the
        // others' slots stay empty and their groups are answered NOT_COORDINATOR.
        GroupShard[] opened = new GroupShard[count];
        for (int p = 0; p < count; p++) {
            if (topic.partition(p).leader() != controller.nodeId()) continue;
            TopicPartition tp = new TopicPartition(GroupConfig.OFFSETS_TOPIC, p);
            Partition partition = replicas.partition(tp);
            if (partition == null) throw new IllegalStateException(tp + " is led by this broker but not open on it");
            opened[p] = new GroupShard(p, partition, ioThreads.executorFor(tp), config, time, controller::image);
        }
        shards = opened;
        for (GroupShard shard : opened) if (shard != null) shard.load();
    }

    /**
     * Follows the offsets topic's leadership as the metadata moves it: a partition this broker
     * came to lead gets a shard (which replays the partition before serving); one it stopped
     * leading has its shard closed, its groups then answered NOT_COORDINATOR so clients find the
     * new coordinator. Metadata thread, after the replica manager has applied the same image.
     */
    public synchronized void onImage(MetadataImage image) {
        GroupShard[] current = shards;
        TopicImage topic = image.topic(GroupConfig.OFFSETS_TOPIC);
        if (current == null || closed || topic == null || topic.partitionCount() != current.length) return;
        GroupShard[] next = current.clone();
        for (int p = 0; p < next.length; p++) {
            boolean led = topic.partition(p).leader() == controller.nodeId();
            if (led && next[p] == null) {
                TopicPartition tp = new TopicPartition(GroupConfig.OFFSETS_TOPIC, p);
                Partition partition = replicas.partition(tp);
                if (partition == null) continue;
                next[p] = new GroupShard(p, partition, ioThreads.executorFor(tp), config, time, controller::image);
                next[p].load();
                LOG.infof("Now coordinating the groups of %s", tp);
            } else if (!led && next[p] != null) {
                GroupShard leaving = next[p];
                next[p] = null;
                CoordinatorShards.closeLater(leaving);
                LOG.infof("No longer coordinating the groups of %s-%d", GroupConfig.OFFSETS_TOPIC, p);
            }
        }
        shards = next;
    }

    /** Kafka refuses an empty (or null) group id with INVALID_GROUP_ID before anything else. */
    public static boolean isValidGroupId(String groupId) {
        return groupId != null && !groupId.isEmpty();
    }

    /** The offsets-topic partition of a group: Kafka's placement. */
    public int partitionFor(String groupId) {
        GroupShard[] s = shards;
        int count = s != null ? s.length : config.offsetsTopicNumPartitions();
        return Utils.abs(groupId.hashCode()) % count;
    }

    /**
     * Runs {@code op} on the group's shard, on its thread. When the shard cannot serve, answers
     * {@code onError} with COORDINATOR_NOT_AVAILABLE (no offsets topic yet; creating it),
     * COORDINATOR_LOAD_IN_PROGRESS (still replaying) or NOT_COORDINATOR (shutting down).
     */
    <T> CompletableFuture<T> call(String groupId, Function<GroupShard, CompletableFuture<T>> op, Function<Errors, T> onError) {
        GroupShard[] s = shards;
        if (s == null || closed) {
            if (!closed) ensureTopic();
            return CompletableFuture.completedFuture(onError.apply(closed ? Errors.NOT_COORDINATOR : Errors.COORDINATOR_NOT_AVAILABLE));
        }
        return onShard(s[Utils.abs(groupId.hashCode()) % s.length], op, onError);
    }

    // ------------------------------------------------------------------ the group APIs

    public CompletableFuture<JoinGroupResponseData> joinGroup(JoinParams p) {
        return call(p.groupId(), shard -> shard.join(p), error -> GroupShard.joinError(error, p.memberId()));
    }

    public CompletableFuture<SyncGroupResponseData> syncGroup(String groupId, int generationId, String memberId, String groupInstanceId,
                                                              String protocolType, String protocolName, Map<String, byte[]> assignments) {
        return call(groupId, shard -> shard.sync(groupId, generationId, memberId, groupInstanceId, protocolType, protocolName, assignments),
                GroupShard::syncError);
    }

    public CompletableFuture<Errors> heartbeat(String groupId, int generationId, String memberId, String groupInstanceId) {
        return call(groupId, shard -> CompletableFuture.completedFuture(shard.heartbeat(groupId, generationId, memberId, groupInstanceId)),
                error -> error);
    }

    /** Per-member errors, or a group-level error code with no members. */
    public CompletableFuture<LeaveGroupResponseData> leaveGroup(String groupId, List<LeavingMember> members) {
        return call(groupId, shard -> CompletableFuture.completedFuture(shard.leave(groupId, members)),
                error -> new LeaveGroupResponseData().setErrorCode(error.code()));
    }

    /** One error per partition (the same for all when the group refuses the commit). */
    public CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(String groupId, int generationId, String memberId, String groupInstanceId,
                                                                        long expireTimestampMs, List<OffsetCommit> commits, short apiVersion) {
        return call(groupId, shard -> shard.commit(groupId, generationId, memberId, groupInstanceId, expireTimestampMs, commits, apiVersion),
                error -> {
                    Map<TopicPartition, Errors> all = new java.util.LinkedHashMap<>();
                    commits.forEach(c -> all.put(c.partition(), error));
                    return all;
                });
    }

    /**
     * A group's committed offsets: each asked-for partition (null value when none), or all when
     * {@code partitions} is null; with require_stable, {@code unstable} names those an open
     * transaction has a pending offset for (answered UNSTABLE_OFFSET_COMMIT).
     */
    public record FetchResult(Errors error, Map<TopicPartition, CommittedOffset> offsets, Set<TopicPartition> unstable) {
        public FetchResult(Errors error, Map<TopicPartition, CommittedOffset> offsets) {
            this(error, offsets, Set.of());
        }
    }

    /** {@code memberId} null (or empty) and {@code memberEpoch} -1 when the fetcher does not say it is a member. */
    public CompletableFuture<FetchResult> fetchOffsets(String groupId, String memberId, int memberEpoch, List<TopicPartition> partitions) {
        return fetchOffsets(groupId, memberId, memberEpoch, partitions, false);
    }

    /** {@link #fetchOffsets(String, String, int, List)} with OffsetFetch v7+'s require_stable. */
    public CompletableFuture<FetchResult> fetchOffsets(String groupId, String memberId, int memberEpoch, List<TopicPartition> partitions,
                                                       boolean requireStable) {
        return call(groupId, shard -> CompletableFuture.completedFuture(shard.fetchOffsets(groupId, memberId, memberEpoch, partitions, requireStable)),
                error -> new FetchResult(error, Map.of()));
    }

    // ------------------------------------------------------------------ transactions (KIP-98, KIP-447)

    /**
     * TxnOffsetCommit after the handler's checks: one error per partition. The offsets are written
     * to the group's offsets partition as one transactional batch of {@code producerId} /
     * {@code producerEpoch} and stay pending, invisible to OffsetFetch, until
     * {@link #completeTransaction}. {@code generationId} -1 and an empty {@code memberId} (and
     * null {@code groupInstanceId}) when the producer sends no group metadata (before v3, or an
     * old client): then the group is not checked.
     */
    public CompletableFuture<Map<TopicPartition, Errors>> commitTransactionalOffsets(String groupId, long producerId, short producerEpoch,
                                                                                     int generationId, String memberId, String groupInstanceId,
                                                                                     List<OffsetCommit> commits, short apiVersion) {
        return call(groupId, shard -> shard.commitTransactional(groupId, producerId, producerEpoch, generationId, memberId == null ? "" : memberId,
                        groupInstanceId, commits, apiVersion),
                error -> {
                    Map<TopicPartition, Errors> all = new LinkedHashMap<>();
                    commits.forEach(c -> all.put(c.partition(), error));
                    return all;
                });
    }

    /**
     * Called by the WriteTxnMarkers path once the producer's COMMIT ({@code commit}) or ABORT
     * marker is in {@code offsetsPartition}'s log: its pending transactional offsets there become
     * the groups' committed offsets (each unless a regular commit of that partition was written
     * after it) or are dropped. Completes normally, doing nothing, for a partition that is not an
     * offsets partition coordinated here, a shard still loading (it replays the marker from the
     * log itself) or a producer with nothing pending. {@code producerEpoch} is not checked: the
     * log has fenced older epochs before the marker got in, and Kafka matches by producer id.
     */
    public CompletableFuture<Void> completeTransaction(TopicPartition offsetsPartition, long producerId, short producerEpoch, boolean commit) {
        GroupShard[] s = shards;
        if (s == null || !GroupConfig.OFFSETS_TOPIC.equals(offsetsPartition.topic()) || offsetsPartition.partition() < 0
                || offsetsPartition.partition() >= s.length) {
            return CompletableFuture.completedFuture(null);
        }
        return onShard(s[offsetsPartition.partition()], shard -> {
            shard.completeTransaction(producerId, commit);
            return CompletableFuture.<Void>completedFuture(null);
        }, error -> null);
    }

    /** ConsumerGroupHeartbeat (KIP-848): join, heartbeat or leave, after the handler's validation. */
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(ConsumerGroupHeartbeatRequestData request,
                                                                                      String clientId, String clientHost) {
        return call(request.groupId(), shard -> shard.consumer.heartbeat(request, clientId, clientHost),
                error -> ConsumerGroups.heartbeatError(error, null));
    }

    public CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup> describeConsumerGroup(String groupId) {
        return call(groupId, shard -> CompletableFuture.completedFuture(shard.consumer.describe(groupId)),
                error -> new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId).setErrorCode(error.code()));
    }

    public CompletableFuture<DescribeGroupsResponseData.DescribedGroup> describeGroup(String groupId) {
        return call(groupId, shard -> CompletableFuture.completedFuture(shard.describe(groupId)),
                error -> new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId).setErrorCode(error.code())
                        .setGroupState("").setProtocolType("").setProtocolData(""));
    }

    public CompletableFuture<Errors> deleteGroup(String groupId) {
        return call(groupId, shard -> shard.deleteGroup(groupId), error -> error);
    }

    public CompletableFuture<OffsetDeleteResult> deleteOffsets(String groupId, List<TopicPartition> partitions) {
        return call(groupId, shard -> shard.deleteOffsets(groupId, partitions), error -> new OffsetDeleteResult(error, Map.of()));
    }

    private <T> CompletableFuture<T> onShard(GroupShard shard, Function<GroupShard, CompletableFuture<T>> op, Function<Errors, T> onError) {
        return CoordinatorShards.call(shard, op, onError);
    }

    /** Every shard's groups, for ListGroups; the error is the first shard that could not answer (groups of the others still count). */
    public CompletableFuture<ListResult> listGroups() {
        GroupShard[] s = shards;
        if (s == null) return CompletableFuture.completedFuture(new ListResult(Errors.NONE, List.of()));
        List<CompletableFuture<ListResult>> parts = new ArrayList<>();
        for (GroupShard shard : local(s)) {
            parts.add(onShard(shard, sh -> CompletableFuture.completedFuture(new ListResult(Errors.NONE, sh.list())),
                    error -> new ListResult(error, List.of())));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Errors error = Errors.NONE;
            List<Listing> all = new ArrayList<>();
            for (CompletableFuture<ListResult> part : parts) {
                ListResult r = part.join();
                if (error == Errors.NONE && r.error() != Errors.NONE) error = r.error();
                all.addAll(r.groups());
            }
            return new ListResult(error, all);
        });
    }

    /** The shards this broker coordinates (it leads their offsets partitions). */
    private static List<GroupShard> local(GroupShard[] shards) {
        return CoordinatorShards.local(shards);
    }

    /** ListGroups across shards. */
    public record ListResult(Errors error, List<Listing> groups) {}

    /**
     * Every group's committed offsets, each shard read on its own thread; shards that are not
     * loaded are left out. For lag metrics.
     */
    public CompletableFuture<Map<String, Map<TopicPartition, Long>>> committedOffsets() {
        GroupShard[] s = shards;
        if (s == null) return CompletableFuture.completedFuture(Map.of());
        List<CompletableFuture<Map<String, Map<TopicPartition, Long>>>> parts = new ArrayList<>();
        for (GroupShard shard : local(s)) {
            parts.add(onShard(shard, sh -> CompletableFuture.completedFuture(sh.committedOffsets()), err -> Map.of()));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Map<String, Map<TopicPartition, Long>> all = new HashMap<>();
            parts.forEach(f -> all.putAll(f.join()));
            return all;
        });
    }

    /** For tests and health: completes when every shard has finished loading. */
    public CompletableFuture<Void> loaded() {
        return ensureTopic().thenCompose(e -> CoordinatorShards.loaded(shards));
    }

    /** Stops every shard on its own thread (timers cancelled, waiting requests answered NOT_COORDINATOR) and waits. */
    @Override
    public synchronized void close() {
        closed = true;
        CoordinatorShards.closeAll(shards, "group shards");
    }
}
