package io.runnel.operator.resource;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.runnel.operator.api.ClusterStatus;
import io.runnel.operator.model.Conditions;

/**
 * Each Cluster's conditions and ready brokers as Prometheus gauges
 * ({@code runnel_operator_cluster_condition{namespace,cluster,type}} 1 or 0,
 * {@code runnel_operator_cluster_brokers_ready} and {@code _desired}, and the work in flight:
 * {@code runnel_operator_cluster_partitions_moving}, {@code _brokers_to_restart}), so that alerts need not parse
 * resources. Set by the Cluster's reconcile (one at a time per Cluster); the values are atomics the
 * scrape thread reads. A deleted Cluster's series are removed.
 */
@Singleton
public class ClusterGauges {
    private static final List<String> CONDITION_TYPES = List.of(Conditions.READY, Conditions.RECONCILING, Conditions.DEGRADED);

    private final MeterRegistry registry;
    private final Map<String, Series> byCluster = new ConcurrentHashMap<>();

    @Inject
    public ClusterGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    /** One Cluster's series: the values and the meters to remove with it. */
    private record Series(Map<String, AtomicInteger> conditions, AtomicInteger ready, AtomicInteger desired, AtomicInteger moving,
                          AtomicInteger toRestart, List<Meter> meters) {
    }

    public void record(String namespace, String cluster, ClusterStatus status, int desiredBrokers) {
        Series s = byCluster.computeIfAbsent(namespace + "/" + cluster, k -> register(namespace, cluster));
        for (String type : CONDITION_TYPES) s.conditions().get(type).set(Conditions.isTrue(status.conditions, type) ? 1 : 0);
        s.ready().set(status.readyReplicas == null ? 0 : status.readyReplicas);
        s.desired().set(desiredBrokers);
        s.moving().set(status.rebalance == null || status.rebalance.pending == null ? 0 : status.rebalance.pending);
        s.toRestart().set(status.rollout == null || status.rollout.pending == null ? 0 : status.rollout.pending);
    }

    public void remove(String namespace, String cluster) {
        Series s = byCluster.remove(namespace + "/" + cluster);
        if (s != null) s.meters().forEach(registry::remove);
    }

    private Series register(String namespace, String cluster) {
        Map<String, AtomicInteger> conditions = new ConcurrentHashMap<>();
        List<Meter> meters = new java.util.ArrayList<>();
        for (String type : CONDITION_TYPES) {
            AtomicInteger v = new AtomicInteger();
            conditions.put(type, v);
            meters.add(Gauge.builder("runnel.operator.cluster.condition", v, AtomicInteger::get)
                    .description("1 when the Cluster's condition of this type is True")
                    .tags("namespace", namespace, "cluster", cluster, "type", type).register(registry));
        }
        AtomicInteger ready = new AtomicInteger();
        AtomicInteger desired = new AtomicInteger();
        meters.add(Gauge.builder("runnel.operator.cluster.brokers.ready", ready, AtomicInteger::get)
                .description("Ready broker pods of the Cluster").tags("namespace", namespace, "cluster", cluster).register(registry));
        meters.add(Gauge.builder("runnel.operator.cluster.brokers.desired", desired, AtomicInteger::get)
                .description("spec.replicas of the Cluster").tags("namespace", namespace, "cluster", cluster).register(registry));
        AtomicInteger moving = new AtomicInteger();
        AtomicInteger toRestart = new AtomicInteger();
        meters.add(Gauge.builder("runnel.operator.cluster.partitions.moving", moving, AtomicInteger::get)
                .description("Partitions being moved by the operator's rebalance (scaling)").tags("namespace", namespace, "cluster", cluster)
                .register(registry));
        meters.add(Gauge.builder("runnel.operator.cluster.brokers.to.restart", toRestart, AtomicInteger::get)
                .description("Brokers the rolling restart has still to restart").tags("namespace", namespace, "cluster", cluster)
                .register(registry));
        return new Series(conditions, ready, desired, moving, toRestart, meters);
    }
}
