package io.runnel.broker.metadata;

import java.util.List;

/**
 * One partition as the metadata log describes it: replicas, ISR, leader and the epochs that fence
 * stale leaders. Immutable.
 */
public record PartitionImage(
        int partitionId,
        List<Integer> replicas,
        List<Integer> isr,
        int leader,
        int leaderEpoch,
        int partitionEpoch) {

    public PartitionImage {
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        if (leaderEpoch < 0 || partitionEpoch < 0) throw new IllegalArgumentException("negative epoch");
    }
}
