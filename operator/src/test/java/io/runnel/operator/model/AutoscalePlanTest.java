package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.runnel.operator.api.AutoscalingSpec;

/** The autoscaler's sizing: up at once after its cooldown, down one broker at a time with headroom, never flapping at a boundary. */
class AutoscalePlanTest {
    private static final Instant NOW = Instant.parse("2026-11-24T10:00:00Z");
    private static final double TARGET = 1000; // bytes per second per broker

    private static AutoscalingSpec spec(int min, int max) {
        AutoscalingSpec s = new AutoscalingSpec();
        s.minReplicas = min;
        s.maxReplicas = max;
        s.target.bytesInPerSecond = (long) TARGET;
        s.scaleUpCooldownSeconds = 60;
        s.scaleDownCooldownSeconds = 300;
        return s;
    }

    @Test
    void aLoadAboveTheTargetScalesUpAtOnceToWhatItNeeds() {
        AutoscalePlan.Decision d = AutoscalePlan.decide(spec(3, 10), 3, 5500.0, TARGET, 3, null, null, NOW);
        assertThat(d.replicas()).isEqualTo(6);
    }

    @Test
    void scaleUpStopsAtTheMaximum() {
        assertThat(AutoscalePlan.decide(spec(3, 4), 3, 9000.0, TARGET, 3, null, null, NOW).replicas()).isEqualTo(4);
    }

    @Test
    void scaleUpWaitsForItsCooldown() {
        AutoscalePlan.Decision d = AutoscalePlan.decide(spec(3, 10), 3, 5500.0, TARGET, 3, null, NOW.minusSeconds(20), NOW);
        assertThat(d.replicas()).isEqualTo(3);
        assertThat(d.reason()).contains("cooldown, 40 s left");
    }

    @Test
    void scaleDownGoesOneBrokerAtATimeAfterItsLongerCooldown() {
        assertThat(AutoscalePlan.decide(spec(3, 10), 6, 100.0, TARGET, 3, null, NOW.minusSeconds(120), NOW).replicas()).isEqualTo(6);
        assertThat(AutoscalePlan.decide(spec(3, 10), 6, 100.0, TARGET, 3, null, NOW.minusSeconds(301), NOW).replicas()).isEqualTo(5);
    }

    @Test
    void aLoadJustUnderABoundaryDoesNotScaleDown() {
        // 3900 B/s fits 4 brokers at 1000 each, but 4 brokers at 80 % headroom hold only 3200: stay at 5, no flapping.
        AutoscalePlan.Decision d = AutoscalePlan.decide(spec(1, 10), 5, 3900.0, TARGET, 1, null, null, NOW);
        assertThat(d.replicas()).isEqualTo(5);
        // Having scaled up for 4100 (5 brokers), a dip to 3900 does not bring it down; 3100 would.
        assertThat(AutoscalePlan.decide(spec(1, 10), 5, 3100.0, TARGET, 1, null, null, NOW).replicas()).isEqualTo(4);
    }

    @Test
    void nothingChangesWhileTheClusterIsBusyOrTheLoadUnknown() {
        assertThat(AutoscalePlan.decide(spec(3, 10), 3, 9000.0, TARGET, 3, "2 partition(s) moving", null, NOW).replicas()).isEqualTo(3);
        assertThat(AutoscalePlan.decide(spec(3, 10), 3, null, TARGET, 3, null, null, NOW).replicas()).isEqualTo(3);
    }

    @Test
    void theBoundsApplyWithoutCooldownOnceQuietAndTheFloorRaisesTheMinimum() {
        assertThat(AutoscalePlan.decide(spec(3, 10), 2, 0.0, TARGET, 1, null, NOW, NOW).replicas()).isEqualTo(3);
        assertThat(AutoscalePlan.decide(spec(3, 5), 7, 0.0, TARGET, 3, null, NOW, NOW).replicas()).isEqualTo(5);
        // Mid-move the floor may look higher than it is (a moving partition lists old and new replicas): the bounds wait too.
        assertThat(AutoscalePlan.decide(spec(3, 10), 3, 0.0, TARGET, 4, "1 partition(s) moving", NOW, NOW).replicas()).isEqualTo(3);
        // A topic with 4 replicas per partition: never below 4 brokers, whatever minReplicas says.
        assertThat(AutoscalePlan.decide(spec(1, 10), 5, 0.0, TARGET, 4, null, null, NOW).replicas()).isEqualTo(4);
        assertThat(AutoscalePlan.decide(spec(1, 10), 4, 0.0, TARGET, 4, null, null, NOW).replicas()).isEqualTo(4);
    }

    @Test
    void aTargetMustNameExactlyOneMeasure() {
        AutoscalingSpec s = spec(3, 2);
        s.target.partitionReplicas = 100;
        assertThat(AutoscalePlan.validate(s)).containsExactly("autoscaling.minReplicas 3 is above maxReplicas 2",
                "autoscaling.target needs exactly one of bytesInPerSecond and partitionReplicas");
        assertThat(AutoscalePlan.validate(spec(3, 6))).isEmpty();
    }

    @Test
    void theLastScaleIsTheLaterOfTheAnnotationAndAStatusThatMayBeStale() {
        String earlier = NOW.minusSeconds(120).toString(), later = NOW.minusSeconds(5).toString();
        assertThat(AutoscalePlan.lastScale(later, earlier)).isEqualTo(NOW.minusSeconds(5));
        assertThat(AutoscalePlan.lastScale(earlier, later)).isEqualTo(NOW.minusSeconds(5));
        assertThat(AutoscalePlan.lastScale(later, null)).isEqualTo(NOW.minusSeconds(5));
        assertThat(AutoscalePlan.lastScale(null, earlier)).isEqualTo(NOW.minusSeconds(120));
        assertThat(AutoscalePlan.lastScale(null, null)).isNull();
        assertThat(AutoscalePlan.lastScale("yesterday", earlier)).as("an edited, unparseable annotation").isEqualTo(NOW.minusSeconds(120));
    }

    @Test
    void aStatusWrittenAwayByAStaleReadStillLeavesTheCooldownInForce() {
        Instant lastScale = AutoscalePlan.lastScale(NOW.minusSeconds(10).toString(), null);
        AutoscalePlan.Decision d = AutoscalePlan.decide(spec(3, 10), 6, 100.0, TARGET, 3, null, lastScale, NOW);
        assertThat(d.replicas()).isEqualTo(6);
        assertThat(d.reason()).contains("scale-down cooldown");
    }
}
