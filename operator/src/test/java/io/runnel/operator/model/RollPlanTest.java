package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The roll: one broker at a time, brokers before controllers, the active controller last, never while unsafe. */
class RollPlanTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    private static final Duration SETTLE = Duration.ofSeconds(30);

    private static List<RollPlan.BrokerPod> pods(int count, String revision, int... stale) {
        List<RollPlan.BrokerPod> pods = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            boolean old = false;
            for (int s : stale) old |= s == i;
            pods.add(new RollPlan.BrokerPod(i, "events-" + i, old ? "old" : revision, NOW.minusSeconds(600), false));
        }
        return pods;
    }

    @Test
    void everyPodOnTheCurrentRevisionIsUpToDate() {
        assertThat(RollPlan.decide(pods(3, "new"), 3, "new", 3, null, SETTLE, NOW)).isInstanceOf(RollPlan.UpToDate.class);
    }

    @Test
    void brokersRollBeforeControllersAndTheActiveControllerLast() {
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 10, 3, 5, 2).controller(1).view();
        List<Integer> order = new ArrayList<>();
        List<RollPlan.BrokerPod> pods = pods(5, "new", 0, 1, 2, 3, 4);
        for (int step = 0; step < 5; step++) {
            RollPlan.Decision d = RollPlan.decide(pods, 5, "new", 3, view, SETTLE, NOW);
            assertThat(d).isInstanceOf(RollPlan.Restart.class);
            int ordinal = ((RollPlan.Restart) d).pod().ordinal();
            order.add(ordinal);
            pods.set(ordinal, new RollPlan.BrokerPod(ordinal, "events-" + ordinal, "new", NOW.minusSeconds(600), false));
        }
        assertThat(order).containsExactly(4, 3, 2, 0, 1);
    }

    @Test
    void aBrokerThatIsNotReadyHoldsTheRoll() {
        List<RollPlan.BrokerPod> pods = pods(3, "new", 0, 1);
        pods.set(2, new RollPlan.BrokerPod(2, "events-2", "new", null, false));
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 3, 3, 2).view();
        assertThat(RollPlan.decide(pods, 3, "new", 3, view, SETTLE, NOW)).isInstanceOfSatisfying(RollPlan.Wait.class,
                w -> assertThat(w.reason()).contains("events-2 to be Ready"));
    }

    @Test
    void theLastRestartedBrokerMustHaveSettled() {
        List<RollPlan.BrokerPod> pods = pods(3, "new", 0, 1);
        pods.set(2, new RollPlan.BrokerPod(2, "events-2", "new", NOW.minusSeconds(10), false));
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 3, 3, 2).view();
        assertThat(RollPlan.decide(pods, 3, "new", 3, view, SETTLE, NOW)).isInstanceOfSatisfying(RollPlan.Wait.class,
                w -> assertThat(w.reason()).contains("Ready for 10 s of the 30 s settle time"));
    }

    @Test
    void anUnderReplicatedPartitionHoldsTheRoll() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 3, 3, 2)
                .partition("orders", 1, List.of(1, 2, 0), List.of(1, 2), 1, false).view();
        assertThat(RollPlan.decide(pods(3, "new", 0), 3, "new", 3, view, SETTLE, NOW)).isInstanceOfSatisfying(RollPlan.Wait.class,
                w -> assertThat(w.reason()).contains("under-replicated", "orders-1"));
    }

    @Test
    void noRestartWithoutAskingTheBrokers() {
        assertThat(RollPlan.decide(pods(3, "new", 0), 3, "new", 3, null, SETTLE, NOW)).isInstanceOf(RollPlan.Wait.class);
    }

    @Test
    void aRestartThatWouldTakeAPartitionBelowMinIsrIsNotMade() {
        ClusterView view = ViewFixtures.brokers(3).partition("orders", 0, List.of(0, 1, 2), List.of(0, 1, 2), 0, false).view();
        // Defence in depth: ISR complete, but min.insync.replicas 3 of 3 would be broken by any restart... and RF is not above it,
        // so no order of restarts spares it and it does not hold the roll.
        assertThat(RollPlan.wouldDropBelowMinIsr(view, 0)).isNull();
        ClusterView strict = new ClusterView(view.liveBrokers(), view.partitions(), java.util.Map.of("orders", 2), 0,
                java.util.Map.of(), java.util.Set.of());
        ClusterView shrunk = new ClusterView(view.liveBrokers(), java.util.Map.of(new org.apache.kafka.common.TopicPartition("orders", 0),
                new ClusterView.PartitionState(List.of(0, 1, 2), List.of(0, 1), 0, false)), java.util.Map.of("orders", 2), 0,
                java.util.Map.of(), java.util.Set.of());
        assertThat(RollPlan.wouldDropBelowMinIsr(strict, 0)).isNull();
        assertThat(RollPlan.wouldDropBelowMinIsr(shrunk, 0)).hasToString("orders-0");
        assertThat(RollPlan.wouldDropBelowMinIsr(shrunk, 2)).as("not in the ISR: its restart takes nothing away").isNull();
    }

    @Test
    void brokerPodsAreReadFromTheirNameRevisionLabelAndReadyCondition() {
        ClusterNames names = new ClusterNames("events", "prod", "cluster.local");
        var ready = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("events-2")
                .addToLabels("controller-revision-hash", "events-abc").endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime("2026-11-24T09:00:00Z")
                .endCondition().endStatus().build();
        var starting = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("events-10").endMetadata()
                .withNewStatus().addNewCondition().withType("Ready").withStatus("False").endCondition().endStatus().build();
        var other = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("events-bootstrap-x").endMetadata().build();

        assertThat(RollPlan.BrokerPod.of(List.of(ready, starting, other), names)).containsExactlyInAnyOrder(
                new RollPlan.BrokerPod(2, "events-2", "events-abc", Instant.parse("2026-11-24T09:00:00Z"), false),
                new RollPlan.BrokerPod(10, "events-10", null, null, false));
    }

    @Test
    void aPodBeyondTheStatefulSetsSizeIsNotRolled() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 3, 3, 2).view();
        List<RollPlan.BrokerPod> pods = pods(4, "new", 3);
        assertThat(RollPlan.decide(pods, 3, "new", 3, view, SETTLE, NOW)).isInstanceOf(RollPlan.UpToDate.class);
    }
}
