package io.runnel.broker.group;

import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

import org.apache.kafka.common.Uuid;

/**
 * Moves one KIP-848 member from its current assignment toward its target, the way Kafka's
 * coordinator does, so that no partition is ever owned by two members:
 * <ol>
 *   <li>partitions the member owns but its target does not are revoked first: the member keeps the
 *       rest, stays at its epoch, and is {@link MemberState#UNREVOKED_PARTITIONS} until it reports
 *       (in a heartbeat's owned partitions) that it let them go;</li>
 *   <li>then it moves to the target epoch and gets the target partitions that nobody else owns;
 *       those another member still has to revoke leave it {@link MemberState#UNRELEASED_PARTITIONS},
 *       and it picks them up on a later heartbeat once they are free;</li>
 *   <li>with all of its target, it is {@link MemberState#STABLE}.</li>
 * </ol>
 * A pure function; the caller supplies who else owns what.
 */
final class MemberReconciler {
    private MemberReconciler() {}

    /**
     * @param owned        the partitions the member says it owns, or null when its heartbeat did not say
     * @param ownedByOther whether another member owns (or is still revoking) a partition
     */
    static MemberAssignmentState reconcile(MemberAssignmentState current, int targetEpoch, Map<Uuid, Set<Integer>> target,
                                           Map<Uuid, Set<Integer>> owned, BiPredicate<Uuid, Integer> ownedByOther) {
        switch (current.state()) {
            case STABLE:
                if (current.memberEpoch() == targetEpoch) return current;
                return next(current, targetEpoch, target, owned, ownedByOther);
            case UNREVOKED_PARTITIONS:
                if (stillOwnsAny(owned, current.pendingRevocation())) return current;
                return next(current, targetEpoch, target, owned, ownedByOther);
            case UNRELEASED_PARTITIONS:
                return next(current, targetEpoch, target, owned, ownedByOther);
            default:
                throw new IllegalStateException("unknown state " + current.state());
        }
    }

    private static MemberAssignmentState next(MemberAssignmentState current, int targetEpoch, Map<Uuid, Set<Integer>> target,
                                              Map<Uuid, Set<Integer>> owned, BiPredicate<Uuid, Integer> ownedByOther) {
        Map<Uuid, Set<Integer>> kept = TopicPartitionSets.intersection(current.assigned(), target);
        Map<Uuid, Set<Integer>> toRevoke = TopicPartitionSets.minus(current.assigned(), target);
        Map<Uuid, Set<Integer>> toAssign = TopicPartitionSets.minus(target, current.assigned());
        Map<Uuid, Set<Integer>> free = TopicPartitionSets.filter(toAssign, (t, p) -> !ownedByOther.test(t, p));
        boolean unreleased = TopicPartitionSets.size(free) < TopicPartitionSets.size(toAssign);

        if (!toRevoke.isEmpty() && stillOwnsAny(owned, toRevoke)) {
            return new MemberAssignmentState(current.memberEpoch(), current.previousMemberEpoch(), MemberState.UNREVOKED_PARTITIONS,
                    kept, toRevoke);
        }
        int previous = current.memberEpoch() == targetEpoch ? current.previousMemberEpoch() : current.memberEpoch();
        return new MemberAssignmentState(targetEpoch, previous, unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE,
                TopicPartitionSets.union(kept, free), TopicPartitionSets.EMPTY);
    }

    /** Without a report from the member, it is assumed to still own what it was told to revoke. */
    private static boolean stillOwnsAny(Map<Uuid, Set<Integer>> owned, Map<Uuid, Set<Integer>> revoking) {
        return owned == null || TopicPartitionSets.overlaps(owned, revoking);
    }
}
