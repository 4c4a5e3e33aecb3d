package io.runnel.operator.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;

/** Builds ClusterViews for the scaling and rolling tests: brokers, then partitions fully in sync unless told otherwise. */
final class ViewFixtures {
    private final TreeMap<Integer, String> live = new TreeMap<>();
    private final Map<TopicPartition, ClusterView.PartitionState> partitions = new HashMap<>();
    private final Map<String, Integer> minIsr = new HashMap<>();
    private final Map<Integer, Integer> hostedLogs = new HashMap<>();
    private int controller = 0;

    static ViewFixtures brokers(int count) {
        ViewFixtures v = new ViewFixtures();
        for (int i = 0; i < count; i++) v.live.put(i, null);
        return v;
    }

    /** {@code partitions} partitions of {@code topic}, replicas placed round-robin over brokers 0..spread-1, all in sync. */
    ViewFixtures topic(String topic, int partitions, int rf, int spread, int minInsync) {
        for (int p = 0; p < partitions; p++) {
            List<Integer> replicas = new java.util.ArrayList<>();
            for (int r = 0; r < rf; r++) replicas.add((p + r) % spread);
            this.partitions.put(new TopicPartition(topic, p), new ClusterView.PartitionState(replicas, replicas, replicas.get(0), false));
        }
        minIsr.put(topic, minInsync);
        return this;
    }

    ViewFixtures partition(String topic, int p, List<Integer> replicas, List<Integer> isr, int leader, boolean moving) {
        partitions.put(new TopicPartition(topic, p), new ClusterView.PartitionState(replicas, isr, leader, moving));
        minIsr.putIfAbsent(topic, 1);
        return this;
    }

    ViewFixtures logs(int broker, int count) {
        hostedLogs.put(broker, count);
        return this;
    }

    ViewFixtures controller(int id) {
        controller = id;
        return this;
    }

    ViewFixtures without(int broker) {
        live.remove(broker);
        return this;
    }

    ClusterView view() {
        return new ClusterView(live, partitions, minIsr, controller, hostedLogs, Set.of());
    }
}
