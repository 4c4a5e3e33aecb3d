package io.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

/** The reconciliation rules of KIP-848 members, as a pure function: revoke first, then take only free partitions. */
class MemberReconcilerTest {
    static final Uuid T = Uuid.randomUuid();

    static Map<Uuid, Set<Integer>> parts(Integer... ps) {
        return TopicPartitionSets.copyOf(Map.of(T, List.of(ps)));
    }

    static MemberAssignmentState stable(int epoch, Integer... ps) {
        return new MemberAssignmentState(epoch, epoch - 1, MemberState.STABLE, parts(ps), TopicPartitionSets.EMPTY);
    }

    @Test
    void aStableMemberAtTheTargetEpochStaysAsItIs() {
        MemberAssignmentState current = stable(3, 0, 1);
        assertThat(MemberReconciler.reconcile(current, 3, parts(0), null, (t, p) -> false)).isSameAs(current);
    }

    @Test
    void partitionsLeavingTheMemberAreRevokedFirstAndItKeepsItsEpoch() {
        MemberAssignmentState next = MemberReconciler.reconcile(stable(3, 0, 1), 4, parts(0, 2), null, (t, p) -> false);
        assertThat(next.state()).isEqualTo(MemberState.UNREVOKED_PARTITIONS);
        assertThat(next.memberEpoch()).isEqualTo(3);
        assertThat(next.assigned()).isEqualTo(parts(0));
        assertThat(next.pendingRevocation()).isEqualTo(parts(1));
    }

    @Test
    void whileTheMemberStillReportsARevokedPartitionNothingMoves() {
        MemberAssignmentState unrevoked = MemberReconciler.reconcile(stable(3, 0, 1), 4, parts(0, 2), null, (t, p) -> false);
        assertThat(MemberReconciler.reconcile(unrevoked, 4, parts(0, 2), parts(0, 1), (t, p) -> false)).isSameAs(unrevoked);
        assertThat(MemberReconciler.reconcile(unrevoked, 4, parts(0, 2), null, (t, p) -> false)).isSameAs(unrevoked);
    }

    @Test
    void onceRevokedTheMemberMovesToTheTargetEpochAndTakesFreePartitions() {
        MemberAssignmentState unrevoked = MemberReconciler.reconcile(stable(3, 0, 1), 4, parts(0, 2), null, (t, p) -> false);
        MemberAssignmentState next = MemberReconciler.reconcile(unrevoked, 4, parts(0, 2), parts(0), (t, p) -> false);
        assertThat(next).isEqualTo(new MemberAssignmentState(4, 3, MemberState.STABLE, parts(0, 2), TopicPartitionSets.EMPTY));
    }

    @Test
    void aPartitionAnotherMemberStillOwnsWaitsAndIsPickedUpOnceReleased() {
        MemberAssignmentState joining = MemberAssignmentState.INITIAL;
        MemberAssignmentState waiting = MemberReconciler.reconcile(joining, 5, parts(1, 2), TopicPartitionSets.EMPTY, (t, p) -> p == 2);
        assertThat(waiting.state()).isEqualTo(MemberState.UNRELEASED_PARTITIONS);
        assertThat(waiting.memberEpoch()).isEqualTo(5);
        assertThat(waiting.assigned()).isEqualTo(parts(1));

        MemberAssignmentState done = MemberReconciler.reconcile(waiting, 5, parts(1, 2), null, (t, p) -> false);
        assertThat(done.state()).isEqualTo(MemberState.STABLE);
        assertThat(done.assigned()).isEqualTo(parts(1, 2));
    }

    @Test
    void aMemberThatAlreadyDroppedThePartitionsSkipsTheRevocationStep() {
        MemberAssignmentState next = MemberReconciler.reconcile(stable(3, 0, 1), 4, parts(0), parts(0), (t, p) -> false);
        assertThat(next).isEqualTo(new MemberAssignmentState(4, 3, MemberState.STABLE, parts(0), TopicPartitionSets.EMPTY));
    }
}
