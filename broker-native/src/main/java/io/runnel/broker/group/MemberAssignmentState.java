package io.runnel.broker.group;

import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.Uuid;

/**
 * A KIP-848 member's current assignment: its epoch (and the one before, which a member that missed
 * a response may still send), its {@link MemberState}, the partitions it owns and those it must
 * revoke. Immutable; partition sets are normalized by {@link TopicPartitionSets}.
 */
record MemberAssignmentState(int memberEpoch, int previousMemberEpoch, MemberState state,
                             Map<Uuid, Set<Integer>> assigned, Map<Uuid, Set<Integer>> pendingRevocation) {
    /** A member that has just joined: epoch 0, nothing owned. */
    static final MemberAssignmentState INITIAL =
            new MemberAssignmentState(0, 0, MemberState.STABLE, TopicPartitionSets.EMPTY, TopicPartitionSets.EMPTY);

    MemberAssignmentState {
        assigned = TopicPartitionSets.copyOf(assigned);
        pendingRevocation = TopicPartitionSets.copyOf(pendingRevocation);
    }

    MemberAssignmentState withEpoch(int epoch) {
        return new MemberAssignmentState(epoch, memberEpoch, state, assigned, pendingRevocation);
    }
}
