package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.common.TopicPartition;

/**
 * What the operator does next so that the cluster has {@code spec.replicas} brokers carrying even
 * shares of the replicas and leaders. Growing: the StatefulSet grows at once, and when every new
 * broker has joined, the balancer moves replicas onto them. Shrinking: the brokers that go (the
 * highest ordinals) are drained first and the StatefulSet shrinks only when the brokers report no
 * replica and no log left on them; a shrink that would leave a partition more replicas than
 * brokers, or remove a controller, is refused and nothing is done. Pure: each pass decides from
 * what it sees, so a pass after an operator restart picks up where the last one stopped.
 */
public final class ScalePlan {
    private ScalePlan() {
    }

    /** The next step; {@code statefulSetReplicas} is what the StatefulSet is applied with in this pass. */
    public record Decision(int statefulSetReplicas, Step step) {
    }

    public sealed interface Step {
        /** One line for status and logs. */
        String describe();
    }

    /** Nothing to do: the brokers match the spec and carry even shares. */
    public record Idle() implements Step {
        public String describe() {
            return "the brokers carry even shares";
        }
    }

    /** Something has to happen first (brokers joining, a move finishing). */
    public record Wait(String reason) implements Step {
        public String describe() {
            return reason;
        }
    }

    /** The spec cannot be met safely; the cluster stays as it is. */
    public record Refused(String reason) implements Step {
        public String describe() {
            return reason;
        }
    }

    /** Start moving these partitions to these replica lists (preferred leader first). */
    public record Reassign(Map<TopicPartition, List<Integer>> targets, int movedReplicas, String why) implements Step {
        public String describe() {
            return why + ": moving " + targets.size() + " partition(s), " + movedReplicas + " replica copies";
        }
    }

    /** Make these partitions' preferred (first) replicas their leaders again. */
    public record ElectPreferred(Set<TopicPartition> partitions) implements Step {
        public String describe() {
            return "moving leadership of " + partitions.size() + " partition(s) back to their preferred replicas";
        }
    }

    /**
     * @param desired             spec.replicas
     * @param statefulSetReplicas the StatefulSet's replicas as stored, or null before it exists
     * @param controllerCount     the size of the metadata quorum (its voters are the lowest ordinals)
     * @param view                what the brokers report, or null when they could not be asked
     * @param unreachable         why the brokers could not be asked, when {@code view} is null
     */
    public static Decision decide(int desired, Integer statefulSetReplicas, int controllerCount, ClusterView view, String unreachable) {
        int current = statefulSetReplicas == null ? desired : statefulSetReplicas;
        if (desired < controllerCount)
            return new Decision(current, new Refused("cannot scale to " + desired + " broker(s): brokers 0-" + (controllerCount - 1)
                    + " form the metadata quorum and stay"));
        if (desired >= current) return new Decision(desired, grow(desired, view, unreachable));
        return shrink(desired, current, view, unreachable);
    }

    private static Step grow(int desired, ClusterView view, String unreachable) {
        if (view == null) return new Wait("waiting to reach the brokers: " + unreachable);
        List<Integer> missing = missing(view, desired);
        if (!missing.isEmpty()) return new Wait("waiting for broker(s) " + missing + " to join");
        Set<TopicPartition> moving = view.reassigning();
        if (!moving.isEmpty()) return new Wait(moving.size() + " partition(s) still moving");
        Map<TopicPartition, List<Integer>> current = view.assignment();
        boolean strays = current.values().stream().anyMatch(r -> r.stream().anyMatch(b -> b >= desired));
        boolean emptyBroker = hasEmptyBroker(current, desired);
        if (strays || emptyBroker) {
            Map<TopicPartition, List<Integer>> target = Balancer.plan(current, brokers(view, desired));
            Set<TopicPartition> changed = Balancer.changed(current, target);
            if (!changed.isEmpty())
                return new Reassign(only(target, changed), Balancer.movedReplicas(current, target),
                        strays ? "replicas on brokers beyond " + (desired - 1) : "spreading replicas onto empty brokers");
        }
        Set<TopicPartition> misled = misled(view);
        return misled.isEmpty() ? new Idle() : new ElectPreferred(misled);
    }

    private static Decision shrink(int desired, int current, ClusterView view, String unreachable) {
        String going = desired == current - 1 ? "broker " + desired : "brokers " + desired + "-" + (current - 1);
        if (view == null) return new Decision(current, new Wait("waiting to reach the brokers before draining " + going + ": " + unreachable));
        for (var e : view.replicationFactors().entrySet())
            if (e.getValue() > desired)
                return new Decision(current, new Refused("cannot scale to " + desired + " broker(s): topic " + e.getKey() + " has "
                        + e.getValue() + " replicas per partition"));
        Set<TopicPartition> moving = view.reassigning();
        if (!moving.isEmpty()) return new Decision(current, new Wait("draining " + going + ": " + moving.size() + " partition(s) still moving"));
        Map<TopicPartition, List<Integer>> assignment = view.assignment();
        boolean strays = assignment.values().stream().anyMatch(r -> r.stream().anyMatch(b -> b >= desired));
        if (strays) {
            List<Integer> missing = missing(view, desired);
            if (!missing.isEmpty()) return new Decision(current, new Wait("draining " + going + " needs broker(s) " + missing + " up"));
            Map<TopicPartition, List<Integer>> target = Balancer.plan(assignment, brokers(view, desired));
            Set<TopicPartition> changed = Balancer.changed(assignment, target);
            return new Decision(current, new Reassign(only(target, changed), Balancer.movedReplicas(assignment, target), "draining " + going));
        }
        List<String> holding = new ArrayList<>();
        for (int id = desired; id < current; id++) {
            int logs = view.hostedLogs().getOrDefault(id, 0);
            if (logs > 0) holding.add("broker " + id + " (" + logs + ")");
        }
        if (!holding.isEmpty()) return new Decision(current, new Wait("waiting for the drained brokers to delete their logs: " + String.join(", ", holding)));
        return new Decision(desired, new Wait("removing " + going + ": drained"));
    }

    /** Brokers 0..count-1 that are not registered and unfenced. */
    private static List<Integer> missing(ClusterView view, int count) {
        List<Integer> missing = new ArrayList<>();
        for (int id = 0; id < count; id++) if (!view.liveBrokers().containsKey(id)) missing.add(id);
        return missing;
    }

    /** A broker that should carry replicas and carries none: new, or emptied by hand. */
    private static boolean hasEmptyBroker(Map<TopicPartition, List<Integer>> assignment, int brokers) {
        long replicas = assignment.values().stream().mapToLong(List::size).sum();
        if (replicas < brokers) return false; // not enough replicas to give every broker one
        Set<Integer> used = new TreeSet<>();
        assignment.values().forEach(used::addAll);
        for (int id = 0; id < brokers; id++) if (!used.contains(id)) return true;
        return false;
    }

    /** Partitions led by another replica than the preferred one, which is alive and in sync: an election moves them back. */
    static Set<TopicPartition> misled(ClusterView view) {
        Set<TopicPartition> misled = new TreeSet<>(ClusterView.ORDER);
        view.partitions().forEach((tp, p) -> {
            if (p.reassigning() || p.replicas().isEmpty()) return;
            int preferred = p.replicas().get(0);
            if (p.leader() != preferred && p.isr().contains(preferred) && view.liveBrokers().containsKey(preferred)) misled.add(tp);
        });
        return misled;
    }

    private static SortedMap<Integer, String> brokers(ClusterView view, int count) {
        SortedMap<Integer, String> brokers = new TreeMap<>();
        for (int id = 0; id < count; id++) brokers.put(id, view.liveBrokers().get(id));
        return brokers;
    }

    private static Map<TopicPartition, List<Integer>> only(Map<TopicPartition, List<Integer>> target, Set<TopicPartition> keys) {
        Map<TopicPartition, List<Integer>> subset = new TreeMap<>(ClusterView.ORDER);
        for (TopicPartition tp : keys) subset.put(tp, target.get(tp));
        return subset;
    }
}
