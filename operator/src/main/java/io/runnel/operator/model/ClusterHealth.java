package io.runnel.operator.model;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.runnel.operator.api.BrokerStatus;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ClusterStatus;
import io.runnel.operator.api.ProgressStatus;

/**
 * A Cluster's status from what its StatefulSet and pods report: Reconciling while the StatefulSet
 * has not caught up with the spec (scaling, rolling), Ready when every broker is ready and nothing
 * is in flight, Degraded when a broker is down with no change in flight. Pure.
 */
public final class ClusterHealth {
    public static final String IDLE = "Idle";
    public static final String IN_PROGRESS = "InProgress";
    public static final String WAITING = "Waiting";
    public static final String REFUSED = "Refused";

    private ClusterHealth() {
    }

    /** The status without partition moves or an operator-driven roll to report (tests, and a Cluster before its brokers answer). */
    public static ClusterStatus status(Cluster cluster, ClusterNames names, BrokerIdentity identity, StatefulSet statefulSet,
                                       Map<String, Pod> pods, Instant now) {
        return status(cluster, names, identity, statefulSet, pods, now, null, null);
    }

    /**
     * @param statefulSet as the API server holds it, or null before it exists
     * @param pods the cluster's broker pods by name
     * @param rebalance where partition moves stand, or null when not known
     * @param rollout where the roll stands, or null when not known
     */
    public static ClusterStatus status(Cluster cluster, ClusterNames names, BrokerIdentity identity, StatefulSet statefulSet,
                                       Map<String, Pod> pods, Instant now, ProgressStatus rebalance, ProgressStatus rollout) {
        ClusterStatus previous = cluster.getStatus() == null ? new ClusterStatus() : cluster.getStatus();
        ClusterStatus s = new ClusterStatus();
        long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
        int desired = cluster.getSpec().replicas;
        s.observedGeneration = generation;
        s.labelSelector = names.selectorString();
        s.bootstrap = BrokerServices.bootstrapAddress(cluster, names);
        s.clusterId = identity.clusterId();
        s.controllerQuorumVoters = identity.voters(names);

        var sts = statefulSet == null ? null : statefulSet.getStatus();
        int current = sts == null || sts.getReplicas() == null ? 0 : sts.getReplicas();
        int ready = sts == null || sts.getReadyReplicas() == null ? 0 : sts.getReadyReplicas();
        int updated = sts == null || sts.getUpdatedReplicas() == null ? 0 : sts.getUpdatedReplicas();
        s.replicas = current;
        s.readyReplicas = ready;
        s.brokers = brokers(names, identity, Math.max(desired, current), pods);

        List<String> inFlight = new ArrayList<>();
        if (statefulSet == null) inFlight.add("the StatefulSet is being created");
        else {
            Long seen = sts == null ? null : sts.getObservedGeneration();
            if (seen == null || seen < statefulSet.getMetadata().getGeneration()) inFlight.add("the StatefulSet controller has not seen the latest spec");
            if (current != desired) inFlight.add("scaling from " + current + " to " + desired + " brokers");
            // Not currentRevision: with OnDelete the StatefulSet controller never moves it on.
            else if (updated < desired) inFlight.add("rolling: " + updated + " of " + desired + " brokers updated");
        }
        s.rebalance = rebalance;
        s.rollout = rollout;
        boolean refused = rebalance != null && REFUSED.equals(rebalance.phase);
        if (rebalance != null && !IDLE.equals(rebalance.phase) && !refused) inFlight.add(rebalance.message);
        if (rollout != null && !IDLE.equals(rollout.phase) && !inFlight.contains(rollout.message)) inFlight.add(rollout.message);
        List<String> notReady = s.brokers.stream().filter(b -> !b.ready && b.id < desired).map(b -> b.pod).toList();

        var conditions = previous.conditions;
        boolean reconciling = !inFlight.isEmpty();
        boolean allReady = ready >= desired && notReady.isEmpty();
        conditions = Conditions.with(conditions, Conditions.RECONCILING, reconciling, reconciling ? "InProgress" : "Idle",
                reconciling ? String.join("; ", inFlight) : "the brokers match the spec", generation, now);
        if (refused) conditions = Conditions.with(conditions, Conditions.READY, false, "ScaleRefused", rebalance.message, generation, now);
        else conditions = Conditions.with(conditions, Conditions.READY, allReady && !reconciling,
                allReady && !reconciling ? "BrokersReady" : reconciling ? "Reconciling" : "BrokersNotReady",
                allReady ? ready + " of " + desired + " brokers ready" : "not ready: " + String.join(", ", notReady), generation, now);
        boolean degraded = !reconciling && !allReady;
        conditions = Conditions.with(conditions, Conditions.DEGRADED, degraded, degraded ? "BrokersNotReady" : "AsExpected",
                degraded ? "brokers down with no change in flight: " + String.join(", ", notReady) : "no broker is down", generation, now);
        s.conditions = conditions;
        return s;
    }

    /** The status of a Cluster whose spec cannot be applied: nothing is changed, the reasons are listed. */
    public static ClusterStatus invalid(Cluster cluster, List<String> problems, Instant now) {
        ClusterStatus previous = cluster.getStatus() == null ? new ClusterStatus() : cluster.getStatus();
        long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
        ClusterStatus s = copy(previous);
        s.observedGeneration = generation;
        s.conditions = Conditions.with(previous.conditions, Conditions.READY, false, "InvalidSpec", String.join("; ", problems), generation, now);
        s.conditions = Conditions.with(s.conditions, Conditions.RECONCILING, false, "InvalidSpec",
                "the spec is refused; the brokers keep running as last applied", generation, now);
        return s;
    }

    private static ClusterStatus copy(ClusterStatus p) {
        ClusterStatus s = new ClusterStatus();
        s.replicas = p.replicas;
        s.readyReplicas = p.readyReplicas;
        s.labelSelector = p.labelSelector;
        s.bootstrap = p.bootstrap;
        s.clusterId = p.clusterId;
        s.controllerQuorumVoters = p.controllerQuorumVoters;
        s.brokers = p.brokers;
        s.rebalance = p.rebalance;
        s.rollout = p.rollout;
        return s;
    }

    private static List<BrokerStatus> brokers(ClusterNames names, BrokerIdentity identity, int count, Map<String, Pod> pods) {
        List<BrokerStatus> brokers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Pod pod = pods.get(names.pod(i));
            boolean ready = RollPlan.BrokerPod.readySince(pod) != null;
            brokers.add(new BrokerStatus(i, names.pod(i), names.brokerHost(i), identity.isController(i), ready));
        }
        return brokers;
    }
}
