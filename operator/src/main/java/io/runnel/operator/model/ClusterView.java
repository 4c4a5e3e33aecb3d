package io.runnel.operator.model;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;

/**
 * What the brokers said about themselves in one look: who is alive, where every replica is, who is
 * in sync, what is being moved. The scaling and rolling decisions are pure functions of it.
 * Immutable.
 *
 * @param liveBrokers       the brokers registered and unfenced (DescribeCluster), id to rack (null rack: none)
 * @param partitions        every partition, internal topics included
 * @param minInsyncReplicas each topic's effective min.insync.replicas
 * @param activeController  the metadata quorum's leader, or -1 when unknown
 * @param hostedLogs        for the brokers asked about (those a scale-down removes), how many partition logs each still holds
 * @param throttledTopics   topics whose moving replicas the operator throttles (throttled.replicas set to {@code *})
 */
public record ClusterView(SortedMap<Integer, String> liveBrokers, Map<TopicPartition, PartitionState> partitions,
                          Map<String, Integer> minInsyncReplicas, int activeController, Map<Integer, Integer> hostedLogs,
                          Set<String> throttledTopics) {

    /** One partition: its replicas (preferred leader first; during a move, old and new), ISR and leader. */
    public record PartitionState(List<Integer> replicas, List<Integer> isr, int leader, boolean reassigning) {
        public PartitionState {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }

        public boolean underReplicated() {
            return isr.size() < replicas.size();
        }
    }

    public ClusterView {
        liveBrokers = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(liveBrokers));
        partitions = Map.copyOf(partitions);
        minInsyncReplicas = Map.copyOf(minInsyncReplicas);
        hostedLogs = Map.copyOf(hostedLogs);
        throttledTopics = Set.copyOf(throttledTopics);
    }

    public Map<TopicPartition, List<Integer>> assignment() {
        Map<TopicPartition, List<Integer>> a = new java.util.HashMap<>();
        partitions.forEach((tp, p) -> a.put(tp, p.replicas()));
        return a;
    }

    public Set<TopicPartition> reassigning() {
        return partitions.entrySet().stream().filter(e -> e.getValue().reassigning()).map(Map.Entry::getKey)
                .collect(java.util.stream.Collectors.toCollection(() -> new java.util.TreeSet<>(ORDER)));
    }

    public List<TopicPartition> underReplicated() {
        return partitions.entrySet().stream().filter(e -> e.getValue().underReplicated()).map(Map.Entry::getKey).sorted(ORDER).toList();
    }

    /**
     * Each topic's replication factor, from its partitions that are not being moved (a moving one
     * lists its old and new replicas together); 0 for a topic whose partitions all move.
     */
    public java.util.SortedMap<String, Integer> replicationFactors() {
        java.util.SortedMap<String, Integer> rf = new TreeMap<>();
        partitions.forEach((tp, p) -> rf.merge(tp.topic(), p.reassigning() ? 0 : p.replicas().size(), Math::max));
        return rf;
    }

    /** The largest of {@link #replicationFactors()}: the fewest brokers the cluster can shrink to. 0 without topics. */
    public int maxReplicationFactor() {
        return replicationFactors().values().stream().mapToInt(Integer::intValue).max().orElse(0);
    }

    public int minInsyncReplicas(String topic) {
        return minInsyncReplicas.getOrDefault(topic, 1);
    }

    /** Topic, then partition: the order every decision walks partitions in, so that decisions are reproducible. */
    public static final java.util.Comparator<TopicPartition> ORDER =
            java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);
}
