package io.runnel.operator.model;

import static io.runnel.operator.model.ClusterFixtures.cluster;
import static io.runnel.operator.model.ClusterFixtures.names;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ClusterStatus;

/** A Cluster's conditions from what its StatefulSet and pods report. */
class ClusterHealthTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private final Cluster cluster = cluster("events", 3, Map.of());
    private final BrokerIdentity identity = BrokerIdentity.fresh(3);

    private static StatefulSet sts(int replicas, int ready, int updated, String current, String update) {
        return new StatefulSetBuilder().withNewMetadata().withName("events").withGeneration(2L).endMetadata()
                .withNewStatus().withObservedGeneration(2L).withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(updated)
                .withCurrentRevision(current).withUpdateRevision(update).endStatus().build();
    }

    private static Map<String, Pod> pods(boolean... ready) {
        Map<String, Pod> pods = new HashMap<>();
        for (int i = 0; i < ready.length; i++)
            pods.put("events-" + i, new PodBuilder().withNewMetadata().withName("events-" + i).endMetadata().withNewStatus()
                    .addNewCondition().withType("Ready").withStatus(ready[i] ? "True" : "False").endCondition().endStatus().build());
        return pods;
    }

    private static String condition(ClusterStatus s, String type) {
        return Conditions.find(s.conditions, type).map(c -> c.getStatus() + "/" + c.getReason()).orElse("none");
    }

    @Test
    void allBrokersReadyAndNothingInFlightIsReady() {
        ClusterStatus s = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 3, 3, "r1", "r1"), pods(true, true, true), T0);
        assertThat(condition(s, Conditions.READY)).isEqualTo("True/BrokersReady");
        assertThat(condition(s, Conditions.RECONCILING)).isEqualTo("False/Idle");
        assertThat(condition(s, Conditions.DEGRADED)).isEqualTo("False/AsExpected");
        assertThat(s.bootstrap).isEqualTo("events-bootstrap.prod.svc:9092");
        assertThat(s.brokers).extracting(b -> b.pod + ":" + b.controller + ":" + b.ready)
                .containsExactly("events-0:true:true", "events-1:true:true", "events-2:true:true");
    }

    @Test
    void aRollInFlightIsReconcilingNotDegraded() {
        ClusterStatus s = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 2, 1, "r1", "r2"), pods(true, false, true), T0);
        assertThat(condition(s, Conditions.RECONCILING)).isEqualTo("True/InProgress");
        assertThat(Conditions.find(s.conditions, Conditions.RECONCILING).orElseThrow().getMessage()).contains("rolling: 1 of 3");
        assertThat(condition(s, Conditions.READY)).isEqualTo("False/Reconciling");
        assertThat(condition(s, Conditions.DEGRADED)).isEqualTo("False/AsExpected");
    }

    @Test
    void aBrokerDownWithNoChangeInFlightIsDegradedAndNamed() {
        ClusterStatus s = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 2, 3, "r1", "r1"), pods(true, true, false), T0);
        assertThat(condition(s, Conditions.DEGRADED)).isEqualTo("True/BrokersNotReady");
        assertThat(Conditions.find(s.conditions, Conditions.DEGRADED).orElseThrow().getMessage()).contains("events-2");
        assertThat(condition(s, Conditions.READY)).isEqualTo("False/BrokersNotReady");
    }

    @Test
    void scalingIsReconcilingUntilTheStatefulSetHasTheNewCount() {
        cluster.getSpec().replicas = 5;
        ClusterStatus s = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 3, 3, "r1", "r1"), pods(true, true, true), T0);
        assertThat(Conditions.find(s.conditions, Conditions.RECONCILING).orElseThrow().getMessage()).contains("scaling from 3 to 5");
        assertThat(s.brokers).hasSize(5);
        assertThat(s.brokers.get(4).controller).isFalse();
    }

    @Test
    void anUnchangedStatusKeepsItsTransitionTimesSoASecondPassWritesNothing() {
        ClusterStatus first = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 3, 3, "r1", "r1"), pods(true, true, true), T0);
        cluster.setStatus(first);
        ClusterStatus second = ClusterHealth.status(cluster, names(cluster), identity, sts(3, 3, 3, "r1", "r1"), pods(true, true, true),
                T0.plusSeconds(600));
        assertThat(second.conditions).usingRecursiveFieldByFieldElementComparator().isEqualTo(first.conditions);
    }

    @Test
    void anInvalidSpecKeepsWhatWasObservedAndSaysWhy() {
        cluster.setStatus(ClusterHealth.status(cluster, names(cluster), identity, sts(3, 3, 3, "r1", "r1"), pods(true, true, true), T0));
        ClusterStatus s = ClusterHealth.invalid(cluster, List.of("config key 'node.id' is set by the operator and cannot be given"), T0);
        assertThat(condition(s, Conditions.READY)).isEqualTo("False/InvalidSpec");
        assertThat(Conditions.find(s.conditions, Conditions.READY).orElseThrow().getMessage()).contains("node.id");
        assertThat(s.readyReplicas).isEqualTo(3);
        assertThat(s.bootstrap).isEqualTo("events-bootstrap.prod.svc:9092");
    }
}
