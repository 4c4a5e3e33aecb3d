package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Scaling decisions: grow then spread, drain then shrink, refuse what cannot be done safely. */
class ScalePlanTest {

    @Test
    void growingResizesTheStatefulSetAtOnceAndWaitsForTheNewBrokersToJoin() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 6, 3, 3, 2).view();
        ScalePlan.Decision d = ScalePlan.decide(5, 3, 3, view, null);
        assertThat(d.statefulSetReplicas()).isEqualTo(5);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Wait.class, w -> assertThat(w.reason()).contains("[3, 4]", "join"));
    }

    @Test
    void onceTheNewBrokersHaveJoinedReplicasAreSpreadOntoThem() {
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 10, 3, 3, 2).view();
        ScalePlan.Decision d = ScalePlan.decide(5, 5, 3, view, null);
        assertThat(d.statefulSetReplicas()).isEqualTo(5);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Reassign.class, r -> {
            Map<TopicPartition, List<Integer>> after = new HashMap<>(view.assignment());
            after.putAll(r.targets());
            Map<Integer, Integer> perBroker = new HashMap<>();
            after.values().forEach(rs -> rs.forEach(b -> perBroker.merge(b, 1, Integer::sum)));
            assertThat(perBroker).containsOnlyKeys(0, 1, 2, 3, 4);
            assertThat(perBroker.values()).allSatisfy(n -> assertThat(n).isBetween(6, 6));
            assertThat(r.movedReplicas()).isEqualTo(12);
        });
    }

    @Test
    void nothingMovesWhileAMoveIsUnderWay() {
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 4, 3, 3, 2)
                .partition("orders", 9, List.of(0, 1, 2, 3), List.of(0, 1, 2), 0, true).view();
        assertThat(ScalePlan.decide(5, 5, 3, view, null).step()).isInstanceOfSatisfying(ScalePlan.Wait.class,
                w -> assertThat(w.reason()).contains("1 partition(s) still moving"));
    }

    @Test
    void aBalancedClusterWithMisledPartitionsGetsAPreferredElection() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 3, 3, 2)
                .partition("orders", 0, List.of(0, 1, 2), List.of(0, 1, 2), 1, false).view();
        assertThat(ScalePlan.decide(3, 3, 3, view, null).step()).isInstanceOfSatisfying(ScalePlan.ElectPreferred.class,
                e -> assertThat(e.partitions()).containsExactly(new TopicPartition("orders", 0)));
    }

    @Test
    void aBalancedClusterIsIdle() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 6, 3, 3, 2).view();
        assertThat(ScalePlan.decide(3, 3, 3, view, null)).isEqualTo(new ScalePlan.Decision(3, new ScalePlan.Idle()));
    }

    @Test
    void shrinkingDrainsTheLeavingBrokersBeforeTheStatefulSetShrinks() {
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 10, 3, 5, 2).view();
        ScalePlan.Decision d = ScalePlan.decide(3, 5, 3, view, null);
        assertThat(d.statefulSetReplicas()).as("the leaving brokers keep running while they are drained").isEqualTo(5);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Reassign.class, r -> {
            assertThat(r.why()).contains("draining brokers 3-4");
            Map<TopicPartition, List<Integer>> after = new HashMap<>(view.assignment());
            after.putAll(r.targets());
            assertThat(after.values()).allSatisfy(rs -> assertThat(rs).allSatisfy(b -> assertThat(b).isLessThan(3)));
        });
    }

    @Test
    void drainedBrokersStayUntilTheyHaveDeletedTheirLogsThenTheStatefulSetShrinks() {
        ClusterView holding = ViewFixtures.brokers(5).topic("orders", 6, 3, 3, 2).logs(3, 2).logs(4, 0).view();
        ScalePlan.Decision waiting = ScalePlan.decide(3, 5, 3, holding, null);
        assertThat(waiting.statefulSetReplicas()).isEqualTo(5);
        assertThat(waiting.step()).isInstanceOfSatisfying(ScalePlan.Wait.class, w -> assertThat(w.reason()).contains("broker 3 (2)"));

        ClusterView empty = ViewFixtures.brokers(5).topic("orders", 6, 3, 3, 2).logs(3, 0).logs(4, 0).view();
        assertThat(ScalePlan.decide(3, 5, 3, empty, null).statefulSetReplicas()).isEqualTo(3);
    }

    @Test
    void aShrinkBelowATopicsReplicationFactorIsRefusedAndNothingChanges() {
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 6, 4, 5, 2).view();
        ScalePlan.Decision d = ScalePlan.decide(3, 5, 3, view, null);
        assertThat(d.statefulSetReplicas()).isEqualTo(5);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Refused.class, r -> assertThat(r.reason()).contains("topic orders has 4 replicas"));
    }

    @Test
    void aShrinkThatWouldRemoveAControllerIsRefused() {
        ClusterView view = ViewFixtures.brokers(3).topic("orders", 3, 1, 3, 1).view();
        ScalePlan.Decision d = ScalePlan.decide(2, 3, 3, view, null);
        assertThat(d.statefulSetReplicas()).isEqualTo(3);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Refused.class, r -> assertThat(r.reason()).contains("metadata quorum"));
    }

    @Test
    void noShrinkWithoutAskingTheBrokers() {
        ScalePlan.Decision d = ScalePlan.decide(3, 5, 3, null, "connection refused");
        assertThat(d.statefulSetReplicas()).isEqualTo(5);
        assertThat(d.step()).isInstanceOfSatisfying(ScalePlan.Wait.class, w -> assertThat(w.reason()).contains("connection refused"));
    }

    @Test
    void aScaleDownUndoneBeforeItFinishedMovesTheReplicasBackOntoTheEmptyBrokers() {
        // Drained 3 and 4 of a 5-broker cluster, then scaled back to 5: the empty brokers get their share again.
        ClusterView view = ViewFixtures.brokers(5).topic("orders", 10, 3, 3, 2).view();
        assertThat(ScalePlan.decide(5, 5, 3, view, null).step()).isInstanceOf(ScalePlan.Reassign.class);
    }
}
