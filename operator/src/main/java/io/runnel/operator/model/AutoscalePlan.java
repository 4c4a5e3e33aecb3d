package io.runnel.operator.model;

import java.time.Duration;
import java.time.Instant;

import io.runnel.operator.api.AutoscalingSpec;

/**
 * How many brokers the load calls for. Up: as many as the load needs at the target per broker,
 * at once, after the scale-up cooldown. Down: one broker at a time after the (longer) scale-down
 * cooldown, and only when the brokers left would run at no more than {@link #SCALE_DOWN_HEADROOM}
 * of the target, so that a load near a boundary does not flap. Never below what the cluster can
 * shrink to (the quorum, the largest replication factor) nor outside min/max; nothing changes,
 * not even a bound, while brokers are being added, drained or restarted. Pure.
 */
public final class AutoscalePlan {
    /**
     * When the operator last changed spec.replicas, written in the same patch as spec.replicas. The
     * status alone cannot hold it: a reconcile woken by that spec change may read a cached copy from
     * before the status was written and would write the time away again (and with it the cooldown).
     */
    public static final String LAST_SCALE_ANNOTATION = "runnel.dev/autoscaler-last-scale-time";

    /** A scale-down must leave the remaining brokers at most this loaded, relative to the target. */
    public static final double SCALE_DOWN_HEADROOM = 0.8;

    private AutoscalePlan() {
    }

    /** Problems with spec.autoscaling that the schema cannot express; empty when it can be used. */
    public static java.util.List<String> validate(AutoscalingSpec spec) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        if (spec == null) return problems;
        if (spec.minReplicas > spec.maxReplicas)
            problems.add("autoscaling.minReplicas " + spec.minReplicas + " is above maxReplicas " + spec.maxReplicas);
        boolean bytes = spec.target != null && spec.target.bytesInPerSecond != null;
        boolean replicas = spec.target != null && spec.target.partitionReplicas != null;
        if (bytes == replicas) problems.add("autoscaling.target needs exactly one of bytesInPerSecond and partitionReplicas");
        return problems;
    }

    /** {@code replicas}: what spec.replicas should be; {@code reason}: why, or why it stays. */
    public record Decision(int replicas, String reason) {
    }

    /**
     * @param current   spec.replicas now
     * @param load      the cluster's load in the target's unit, or null when not measured yet
     * @param perBroker the target per broker
     * @param floor     the fewest brokers the cluster can shrink to (quorum size, largest replication factor)
     * @param busy      what is in flight (scaling, moves, a roll), or null when nothing is
     * @param lastScale when the operator last changed spec.replicas, or null
     */
    public static Decision decide(AutoscalingSpec spec, int current, Double load, double perBroker, int floor, String busy,
                                  Instant lastScale, Instant now) {
        int min = Math.max(spec.minReplicas, Math.min(floor, spec.maxReplicas));
        int max = Math.max(spec.maxReplicas, min);
        // Even the bounds wait for a quiet cluster: mid-move, a partition lists its old and new replicas
        // and would make the floor look higher than it is.
        if (busy != null) return new Decision(current, "waiting: " + busy);
        if (current < min) return new Decision(min, "below the minimum of " + min);
        if (current > max) return new Decision(max, "above the maximum of " + max);
        if (load == null) return new Decision(current, "no load measured yet");
        int needed = clamp((int) Math.ceil(load / perBroker), min, max);
        if (needed > current) {
            Duration left = cooldownLeft(lastScale, spec.scaleUpCooldownSeconds, now);
            if (!left.isZero()) return new Decision(current, "the load calls for " + needed + " brokers; scale-up cooldown, " + left.toSeconds() + " s left");
            return new Decision(needed, String.format("the load %.0f calls for %d brokers at %.0f each", load, needed, perBroker));
        }
        int roomy = clamp((int) Math.ceil(load / (perBroker * SCALE_DOWN_HEADROOM)), min, max);
        if (roomy < current) {
            Duration left = cooldownLeft(lastScale, spec.scaleDownCooldownSeconds, now);
            if (!left.isZero()) return new Decision(current, "the load allows " + roomy + " brokers; scale-down cooldown, " + left.toSeconds() + " s left");
            return new Decision(current - 1, String.format("the load %.0f fits %d brokers with headroom; removing one", load, roomy));
        }
        return new Decision(current, String.format("the load %.0f fits %d brokers", load, current));
    }

    /** The later of the annotation's and the status's last scale time (unparseable ones ignored), or null when neither has one. */
    public static Instant lastScale(String annotation, String status) {
        Instant a = parse(annotation), b = parse(status);
        if (a == null) return b;
        if (b == null) return a;
        return a.isAfter(b) ? a : b;
    }

    private static Instant parse(String time) {
        if (time == null) return null;
        try {
            return Instant.parse(time);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static Duration cooldownLeft(Instant lastScale, int cooldownSeconds, Instant now) {
        if (lastScale == null) return Duration.ZERO;
        Duration left = Duration.between(now, lastScale.plusSeconds(cooldownSeconds));
        return left.isNegative() ? Duration.ZERO : left;
    }

    private static int clamp(int v, int min, int max) {
        return Math.max(min, Math.min(max, Math.max(v, 1)));
    }
}
