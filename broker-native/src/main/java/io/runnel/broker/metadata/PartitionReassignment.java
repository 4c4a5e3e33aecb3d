package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.metadata.PartitionChangeRecord;

/**
 * Moving a partition between brokers as KRaft does it (KIP-455): a reassignment first adds the
 * target replicas beside the old ones (the new ones fetch from the leader like any follower), and
 * completes only when every added replica is in the ISR: the replica set becomes the target, the
 * removed ones leave the ISR, and leadership moves to a target replica if the leader was removed.
 * Until then it can be cancelled, which restores the original replicas. Stateless: pure functions
 * of the partition's image; they return the change to commit, or null when there is none.
 */
final class PartitionReassignment {
    private PartitionReassignment() {
    }

    /** Why a target cannot be used, or null when it can. */
    static String validate(List<Integer> target, Set<Integer> registeredBrokers) {
        if (target.isEmpty()) return "The replica list cannot be empty.";
        if (target.stream().distinct().count() != target.size()) return "The replica list contains duplicates.";
        for (int broker : target)
            if (!registeredBrokers.contains(broker)) return "The manual partition assignment includes broker " + broker + ", but no such broker is registered.";
        return null;
    }

    /**
     * Starts moving {@code p} to {@code target} (replacing any reassignment in progress, relative to
     * the replicas the partition had before it). Completes at once when nothing needs adding.
     */
    static PartitionChangeRecord start(TopicImage topic, PartitionImage p, List<Integer> target, Set<Integer> unusable) {
        List<Integer> original = p.originalReplicas();
        List<Integer> adding = target.stream().filter(r -> !original.contains(r)).toList();
        List<Integer> removing = original.stream().filter(r -> !target.contains(r)).toList();
        List<Integer> replicas = new ArrayList<>(target);
        for (int r : original) if (!replicas.contains(r)) replicas.add(r);
        // Replicas added by a reassignment this one replaces, and not in the new target, leave the ISR.
        List<Integer> isr = p.isr().stream().filter(replicas::contains).toList();
        PartitionImage moving = new PartitionImage(p.partitionId(), replicas, isr.isEmpty() ? p.isr() : isr, p.leader(), p.leaderEpoch(),
                p.partitionEpoch(), adding, removing);
        PartitionChangeRecord completed = complete(topic, moving, unusable);
        if (completed != null) return completed;
        return new PartitionChangeRecord().setTopicId(topic.id()).setPartitionId(p.partitionId())
                .setLeader(PartitionLeaderElection.NO_LEADER_CHANGE).setReplicas(replicas).setIsr(moving.isr())
                .setAddingReplicas(adding).setRemovingReplicas(removing);
    }

    /** The change that finishes {@code p}'s reassignment once every added replica is in the ISR; null before. */
    static PartitionChangeRecord complete(TopicImage topic, PartitionImage p, Set<Integer> unusable) {
        if (!p.isReassigning() || !p.isr().containsAll(p.addingReplicas())) return null;
        List<Integer> target = p.targetReplicas();
        return finish(topic, p, target, unusable);
    }

    /** Stops {@code p}'s reassignment and restores the replicas it had before. */
    static PartitionChangeRecord cancel(TopicImage topic, PartitionImage p, Set<Integer> unusable) {
        return finish(topic, p, p.originalReplicas(), unusable);
    }

    private static PartitionChangeRecord finish(TopicImage topic, PartitionImage p, List<Integer> replicas, Set<Integer> unusable) {
        List<Integer> isr = p.isr().stream().filter(replicas::contains).toList();
        if (isr.isEmpty()) isr = p.isr(); // nobody in the ISR stays: keep it as it is rather than lose the committed data's home
        int leader = p.leader();
        if (!replicas.contains(leader) || unusable.contains(leader)) {
            leader = PartitionLeaderElection.NO_LEADER;
            for (int r : replicas) {
                if (isr.contains(r) && !unusable.contains(r)) {
                    leader = r;
                    break;
                }
            }
        }
        return new PartitionChangeRecord().setTopicId(topic.id()).setPartitionId(p.partitionId())
                .setLeader(leader != p.leader() ? leader : PartitionLeaderElection.NO_LEADER_CHANGE)
                .setReplicas(replicas).setIsr(isr).setAddingReplicas(List.of()).setRemovingReplicas(List.of());
    }
}
