package io.runnel.operator.resource;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.jboss.logging.Logger;

import io.runnel.operator.model.ClusterView;
import io.runnel.operator.model.DynamicBrokerConfigs;

/**
 * A cluster as a whole through the Kafka Admin API, the calls kafka-reassign-partitions,
 * kafka-leader-election, kafka-log-dirs and kafka-configs make: one look at brokers, replicas and
 * moves ({@link #view}), partition moves with their replication throttle, preferred leader
 * elections and the cluster-wide dynamic broker defaults. Stateless; any thread.
 */
@jakarta.inject.Singleton
public final class ClusterAdmin {
    private static final Logger LOG = Logger.getLogger(ClusterAdmin.class);
    static final String LEADER_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
    static final String FOLLOWER_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";
    private static final ConfigResource CLUSTER_DEFAULTS = new ConfigResource(ConfigResource.Type.BROKER, "");

    @jakarta.inject.Inject
    KafkaAdmins admins;

    /**
     * @param askLogsOf brokers whose partition logs to count (those a scale-down would remove); the live ones answer
     */
    public ClusterView view(String bootstrap, Set<Integer> askLogsOf) throws Exception {
        Admin admin = admins.admin(bootstrap);
        Map<Integer, String> live = new TreeMap<>();
        for (Node n : KafkaAdmins.get(admin.describeCluster().nodes())) live.put(n.id(), n.rack());
        Set<String> names = KafkaAdmins.get(admin.listTopics(new ListTopicsOptions().listInternal(true)).names());
        Map<String, TopicDescription> topics = names.isEmpty() ? Map.of() : KafkaAdmins.get(admin.describeTopics(names).allTopicNames());
        Set<TopicPartition> moving = KafkaAdmins.get(admin.listPartitionReassignments().reassignments()).keySet();
        Map<TopicPartition, ClusterView.PartitionState> partitions = new HashMap<>();
        for (TopicDescription t : topics.values()) {
            for (TopicPartitionInfo p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.name(), p.partition());
                partitions.put(tp, new ClusterView.PartitionState(ids(p.replicas()), ids(p.isr()), p.leader() == null ? -1 : p.leader().id(),
                        moving.contains(tp)));
            }
        }
        Map<String, Integer> minIsr = new HashMap<>();
        Set<String> throttled = new HashSet<>();
        if (!names.isEmpty()) {
            List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
            Map<ConfigResource, Config> configs = KafkaAdmins.get(admin.describeConfigs(resources).all());
            configs.forEach((r, c) -> {
                ConfigEntry m = c.get("min.insync.replicas");
                if (m != null && m.value() != null) minIsr.put(r.name(), Integer.parseInt(m.value()));
                if (operatorThrottle(c.get(LEADER_THROTTLED_REPLICAS)) || operatorThrottle(c.get(FOLLOWER_THROTTLED_REPLICAS))) throttled.add(r.name());
            });
        }
        int controller = -1;
        try {
            controller = KafkaAdmins.get(admin.describeMetadataQuorum().quorumInfo()).leaderId();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // Only the roll's order needs it (active controller last); without it the roll still goes by ordinal.
            LOG.debugf("DescribeQuorum on %s failed: %s", bootstrap, e.getCause() != null ? e.getCause() : e);
        }
        Map<Integer, Integer> hosted = new HashMap<>();
        List<Integer> ask = askLogsOf.stream().filter(live::containsKey).sorted().toList();
        if (!ask.isEmpty()) {
            Map<Integer, Map<String, LogDirDescription>> dirs = KafkaAdmins.get(admin.describeLogDirs(ask).allDescriptions());
            dirs.forEach((broker, byDir) -> hosted.put(broker, byDir.values().stream().mapToInt(d -> d.replicaInfos().size()).sum()));
        }
        return new ClusterView(new TreeMap<>(live), partitions, minIsr, controller, hosted, throttled);
    }

    private static boolean operatorThrottle(ConfigEntry e) {
        return e != null && e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && "*".equals(e.value());
    }

    private static List<Integer> ids(List<Node> nodes) {
        List<Integer> ids = new ArrayList<>(nodes.size());
        for (Node n : nodes) ids.add(n.id());
        return ids;
    }

    /**
     * Starts moving partitions, throttled when {@code throttleBytesPerSecond > 0}: the rate goes to
     * the cluster-wide defaults (unless the spec sets its own) and the moved topics' replicas that
     * are not in sync are marked throttled, as kafka-reassign-partitions --throttle does.
     */
    public void reassign(String bootstrap, Map<TopicPartition, List<Integer>> targets, long throttleBytesPerSecond,
                         Map<String, String> specConfig) throws Exception {
        Admin admin = admins.admin(bootstrap);
        if (throttleBytesPerSecond > 0) {
            List<AlterConfigOp> rates = new ArrayList<>();
            for (String key : DynamicBrokerConfigs.THROTTLE_RATES)
                if (!specConfig.containsKey(key))
                    rates.add(new AlterConfigOp(new ConfigEntry(key, Long.toString(throttleBytesPerSecond)), AlterConfigOp.OpType.SET));
            if (!rates.isEmpty()) KafkaAdmins.get(admin.incrementalAlterConfigs(Map.of(CLUSTER_DEFAULTS, rates)).all());
            Map<ConfigResource, Collection<AlterConfigOp>> topics = new HashMap<>();
            for (String topic : targets.keySet().stream().map(TopicPartition::topic).distinct().toList())
                topics.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                        new AlterConfigOp(new ConfigEntry(LEADER_THROTTLED_REPLICAS, "*"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry(FOLLOWER_THROTTLED_REPLICAS, "*"), AlterConfigOp.OpType.SET)));
            KafkaAdmins.get(admin.incrementalAlterConfigs(topics).all());
        }
        Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
        targets.forEach((tp, replicas) -> moves.put(tp, Optional.of(new NewPartitionReassignment(replicas))));
        KafkaAdmins.get(admin.alterPartitionReassignments(moves).all());
    }

    /** Removes the throttle markers of topics once nothing moves; the rates go with {@link #alterClusterDefaults}. */
    public void unthrottle(String bootstrap, Set<String> topics) throws Exception {
        if (topics.isEmpty()) return;
        Map<ConfigResource, Collection<AlterConfigOp>> ops = new HashMap<>();
        for (String topic : topics)
            ops.put(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                    new AlterConfigOp(new ConfigEntry(LEADER_THROTTLED_REPLICAS, null), AlterConfigOp.OpType.DELETE),
                    new AlterConfigOp(new ConfigEntry(FOLLOWER_THROTTLED_REPLICAS, null), AlterConfigOp.OpType.DELETE)));
        KafkaAdmins.get(admins.admin(bootstrap).incrementalAlterConfigs(ops).all());
    }

    /** Preferred leader election; a partition whose election is not needed (any more) is not an error. */
    public void electPreferred(String bootstrap, Set<TopicPartition> partitions) throws Exception {
        var results = KafkaAdmins.get(admins.admin(bootstrap).electLeaders(ElectionType.PREFERRED, partitions).partitions());
        results.forEach((tp, error) -> error.ifPresent(e -> {
            if (!(e instanceof org.apache.kafka.common.errors.ElectionNotNeededException))
                LOG.infof("Preferred leader election for %s did not happen: %s", tp, e.getMessage());
        }));
    }

    /** The cluster-wide dynamic broker defaults ({@code kafka-configs --entity-type brokers --entity-default}). */
    public Map<String, String> clusterDefaults(String bootstrap) throws Exception {
        Config config = KafkaAdmins.get(admins.admin(bootstrap).describeConfigs(List.of(CLUSTER_DEFAULTS)).all()).get(CLUSTER_DEFAULTS);
        Map<String, String> defaults = new TreeMap<>();
        for (ConfigEntry e : config.entries())
            if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG && e.value() != null) defaults.put(e.name(), e.value());
        return defaults;
    }

    public void alterClusterDefaults(String bootstrap, DynamicBrokerConfigs.Changes changes) throws Exception {
        if (changes.isEmpty()) return;
        List<AlterConfigOp> ops = new ArrayList<>();
        changes.set().forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        changes.remove().forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE)));
        KafkaAdmins.get(admins.admin(bootstrap).incrementalAlterConfigs(Map.of(CLUSTER_DEFAULTS, ops)).all());
    }
}
