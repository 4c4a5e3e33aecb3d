package io.runnel.operator.model;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.kafka.common.TopicPartition;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * The rolling restart of brokers whose pod runs an older template than the StatefulSet's (the
 * StatefulSet updates {@code OnDelete}: only the operator restarts brokers). One broker at a time:
 * brokers first, then controllers, the active controller last; a broker is restarted only when
 * every broker is Ready and has been for the settle time, nothing is being moved, no partition is
 * under-replicated (so the last restarted broker is back in every ISR), and stopping this one
 * leaves every partition it is in sync for at or above min.insync.replicas. Partitions that cannot
 * keep min.insync.replicas through any restart (replicas not above it, e.g. one replica) do not hold
 * the roll up: no order of restarts would spare them. Pure: derived each pass from the pods and the
 * brokers, so a roll resumes after an operator restart.
 */
public final class RollPlan {
    private RollPlan() {
    }

    /** A broker pod as the roll sees it. {@code readySince} is when it last became Ready, null when it is not. */
    public record BrokerPod(int ordinal, String name, String revision, Instant readySince, boolean terminating) {
        boolean ready() {
            return readySince != null && !terminating;
        }

        /** The cluster's broker pods, by their ordinal, revision label and Ready condition; other pods are left out. */
        public static List<BrokerPod> of(java.util.Collection<Pod> pods, ClusterNames names) {
            List<BrokerPod> brokers = new ArrayList<>();
            for (Pod p : pods) {
                int ordinal = names.ordinalOf(p.getMetadata().getName());
                if (ordinal < 0) continue;
                String revision = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(REVISION_LABEL);
                brokers.add(new BrokerPod(ordinal, p.getMetadata().getName(), revision, readySince(p), p.getMetadata().getDeletionTimestamp() != null));
            }
            return brokers;
        }

        /** When the pod's Ready condition turned True, or null while it is not Ready. */
        public static Instant readySince(Pod pod) {
            if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) return null;
            return pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))
                    .map(c -> c.getLastTransitionTime() == null ? Instant.EPOCH : Instant.parse(c.getLastTransitionTime())).findFirst().orElse(null);
        }
    }

    /** The label the StatefulSet controller puts on each pod: the revision of the template it was made from. */
    static final String REVISION_LABEL = "controller-revision-hash";

    public sealed interface Decision {
        String describe();
    }

    /** Every broker runs the current template. */
    public record UpToDate() implements Decision {
        public String describe() {
            return "every broker runs the current pod template";
        }
    }

    public record Wait(int pending, String reason) implements Decision {
        public String describe() {
            return "rolling, " + pending + " broker(s) to restart: " + reason;
        }
    }

    public record Restart(int pending, BrokerPod pod, String why) implements Decision {
        public String describe() {
            return "rolling, " + pending + " broker(s) to restart: restarting " + pod.name() + " (" + why + ")";
        }
    }

    /**
     * @param pods           the broker pods that exist, any order
     * @param expected       how many brokers the StatefulSet runs
     * @param updateRevision the StatefulSet's current template revision
     * @param view           what the brokers report, or null when they could not be asked
     */
    public static Decision decide(List<BrokerPod> pods, int expected, String updateRevision, int controllerCount, ClusterView view,
                                  Duration settle, Instant now) {
        if (updateRevision == null) return new UpToDate();
        List<BrokerPod> stale = pods.stream().filter(p -> p.ordinal() < expected && !updateRevision.equals(p.revision())).toList();
        if (stale.isEmpty()) return new UpToDate();
        int pending = stale.size();
        List<String> notReady = new ArrayList<>();
        for (int i = 0; i < expected; i++) {
            final int ordinal = i;
            BrokerPod pod = pods.stream().filter(p -> p.ordinal() == ordinal).findFirst().orElse(null);
            if (pod == null || !pod.ready()) notReady.add(pod == null ? "broker " + ordinal + " (no pod)" : pod.name());
        }
        if (!notReady.isEmpty()) return new Wait(pending, "waiting for " + String.join(", ", notReady) + " to be Ready");
        BrokerPod latest = pods.stream().filter(p -> p.ordinal() < expected).max(Comparator.comparing(BrokerPod::readySince)).orElseThrow();
        Duration readyFor = Duration.between(latest.readySince(), now);
        if (readyFor.compareTo(settle) < 0)
            return new Wait(pending, latest.name() + " has been Ready for " + readyFor.toSeconds() + " s of the " + settle.toSeconds() + " s settle time");
        if (view == null) return new Wait(pending, "cannot ask the brokers whether a restart is safe");
        if (!view.reassigning().isEmpty()) return new Wait(pending, view.reassigning().size() + " partition(s) being moved");
        List<TopicPartition> under = view.underReplicated();
        if (!under.isEmpty())
            return new Wait(pending, under.size() + " partition(s) under-replicated, e.g. " + under.get(0) + " (ISR "
                    + view.partitions().get(under.get(0)).isr() + " of " + view.partitions().get(under.get(0)).replicas() + ")");
        BrokerPod next = stale.stream().sorted(restartOrder(controllerCount, view.activeController())).findFirst().orElseThrow();
        TopicPartition blocked = wouldDropBelowMinIsr(view, next.ordinal());
        if (blocked != null)
            return new Wait(pending, "restarting " + next.name() + " would take " + blocked + " below min.insync.replicas "
                    + view.minInsyncReplicas(blocked.topic()));
        String role = next.ordinal() == view.activeController() ? "the active controller, last"
                : next.ordinal() < controllerCount ? "a controller, after the brokers" : "a broker";
        return new Restart(pending, next, role);
    }

    /** Brokers before controllers, the active controller last; higher ordinals first within each, as StatefulSets roll. */
    static Comparator<BrokerPod> restartOrder(int controllerCount, int activeController) {
        return Comparator.<BrokerPod>comparingInt(p -> p.ordinal() == activeController ? 2 : p.ordinal() < controllerCount ? 1 : 0)
                .thenComparing(Comparator.comparingInt(BrokerPod::ordinal).reversed());
    }

    /** A partition that would fall below min.insync.replicas while {@code broker} is down, or null. */
    static TopicPartition wouldDropBelowMinIsr(ClusterView view, int broker) {
        return view.partitions().entrySet().stream()
                .filter(e -> {
                    var p = e.getValue();
                    int minIsr = view.minInsyncReplicas(e.getKey().topic());
                    return p.replicas().size() > minIsr && p.isr().contains(broker) && p.isr().size() - 1 < minIsr;
                })
                .map(java.util.Map.Entry::getKey).min(ClusterView.ORDER).orElse(null);
    }
}
