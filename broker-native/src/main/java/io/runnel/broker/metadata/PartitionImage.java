package io.runnel.broker.metadata;

import java.util.List;

/**
 * One partition as the metadata log describes it: replicas, ISR, leader and the epochs that fence
 * stale leaders, and a reassignment in progress (KIP-455): while one runs, {@code replicas} holds
 * the target replicas and the old ones, {@code addingReplicas} those being added and
 * {@code removingReplicas} those to drop once the added ones are in the ISR. Immutable.
 */
public record PartitionImage(
        int partitionId,
        List<Integer> replicas,
        List<Integer> isr,
        int leader,
        int leaderEpoch,
        int partitionEpoch,
        List<Integer> addingReplicas,
        List<Integer> removingReplicas) {

    public PartitionImage {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        addingReplicas = List.copyOf(addingReplicas);
        removingReplicas = List.copyOf(removingReplicas);
        if (leaderEpoch < 0 || partitionEpoch < 0) throw new IllegalArgumentException("negative epoch");
    }

    public PartitionImage(int partitionId, List<Integer> replicas, List<Integer> isr, int leader, int leaderEpoch, int partitionEpoch) {
        this(partitionId, replicas, isr, leader, leaderEpoch, partitionEpoch, List.of(), List.of());
    }

    public boolean isReassigning() {
        return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
    }

    /** The replicas the partition will have once its reassignment completes (all of them when none runs). */
    public List<Integer> targetReplicas() {
        return replicas.stream().filter(r -> !removingReplicas.contains(r)).toList();
    }

    /** The replicas it had before its reassignment began (all of them when none runs). */
    public List<Integer> originalReplicas() {
        return replicas.stream().filter(r -> !addingReplicas.contains(r)).toList();
    }
}
