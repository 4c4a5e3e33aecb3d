package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;

/**
 * The controller's decisions as records, applied to an image the way every broker applies them:
 * leaderships leave a fenced broker for an ISR member, the last ISR member is kept, unclean
 * election only where allowed, a returning broker takes back what it may lead, reassignments add
 * then remove, and elections on demand answer with Kafka's codes.
 */
class PartitionLeaderElectionTest {
    private static final Uuid TOPIC_ID = Uuid.randomUuid();

    private static MetadataImage imageWith(List<Integer> replicas, List<Integer> isr, int leader, Set<Integer> fenced) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (int broker = 1; broker <= 4; broker++)
            records.add(new ApiMessageAndVersion(new RegisterBrokerRecord().setBrokerId(broker).setIncarnationId(Uuid.randomUuid())
                    .setBrokerEpoch(broker).setFenced(fenced.contains(broker)), (short) 0));
        records.add(new ApiMessageAndVersion(new TopicRecord().setName("t").setTopicId(TOPIC_ID), (short) 0));
        records.add(new ApiMessageAndVersion(new PartitionRecord().setTopicId(TOPIC_ID).setPartitionId(0).setReplicas(replicas).setIsr(isr)
                .setLeader(leader).setLeaderEpoch(0).setPartitionEpoch(0), (short) 0));
        return MetadataImage.empty("c").apply(records, records.size() - 1);
    }

    private static PartitionImage after(MetadataImage image, List<ApiMessageAndVersion> changes) {
        return image.apply(changes, image.offset() + changes.size()).topic("t").partition(0);
    }

    @Test
    void aFencedLeaderHandsOverToTheNextIsrMemberAndLeavesTheIsr() {
        MetadataImage image = imageWith(List.of(1, 2, 3), List.of(1, 2, 3), 1, Set.of(1));
        PartitionImage p = after(image, PartitionLeaderElection.awayFrom(image, 1, t -> false));
        assertThat(p.leader()).isEqualTo(2);
        assertThat(p.isr()).containsExactly(2, 3);
        assertThat(p.leaderEpoch()).isEqualTo(1);
    }

    @Test
    void theLastIsrMemberIsKeptAndThePartitionGoesOfflineUntilItReturns() {
        MetadataImage image = imageWith(List.of(1, 2, 3), List.of(1), 1, Set.of(1));
        PartitionImage offline = after(image, PartitionLeaderElection.awayFrom(image, 1, t -> false));
        assertThat(offline.leader()).isEqualTo(-1);
        assertThat(offline.isr()).containsExactly(1);

        MetadataImage down = image.apply(PartitionLeaderElection.awayFrom(image, 1, t -> false), image.offset() + 1);
        PartitionImage back = after(down, PartitionLeaderElection.onto(down, 1, t -> false));
        assertThat(back.leader()).isEqualTo(1);
        assertThat(back.leaderEpoch()).isEqualTo(2);
        assertThat(PartitionLeaderElection.onto(down, 2, t -> false)).as("2 is not in the ISR").isEmpty();
    }

    @Test
    void uncleanElectionTakesALiveReplicaOnlyWhereTheTopicAllowsIt() {
        MetadataImage image = imageWith(List.of(1, 2, 3), List.of(1), 1, Set.of(1));
        PartitionImage unclean = after(image, PartitionLeaderElection.awayFrom(image, 1, t -> true));
        assertThat(unclean.leader()).isEqualTo(2);
        assertThat(unclean.isr()).containsExactly(2);
    }

    @Test
    void electionsOnDemandAnswerWithKafkasCodes() {
        MetadataImage led = imageWith(List.of(1, 2, 3), List.of(1, 2, 3), 1, Set.of());
        TopicImage topic = led.topic("t");
        assertThat(PartitionLeaderElection.electPreferred(topic, topic.partition(0), Set.of()).error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);

        MetadataImage moved = imageWith(List.of(1, 2, 3), List.of(2, 3), 2, Set.of());
        var notInIsr = PartitionLeaderElection.electPreferred(moved.topic("t"), moved.topic("t").partition(0), Set.of());
        assertThat(notInIsr.error()).isEqualTo(Errors.PREFERRED_LEADER_NOT_AVAILABLE);

        MetadataImage back = imageWith(List.of(1, 2, 3), List.of(1, 2, 3), 2, Set.of());
        var preferred = PartitionLeaderElection.electPreferred(back.topic("t"), back.topic("t").partition(0), Set.of());
        assertThat(preferred.error()).isEqualTo(Errors.NONE);
        assertThat(after(back, List.of(new ApiMessageAndVersion(preferred.change(), (short) 0))).leader()).isEqualTo(1);

        var notNeeded = PartitionLeaderElection.electUnclean(led.topic("t"), led.topic("t").partition(0), Set.of());
        assertThat(notNeeded.error()).isEqualTo(Errors.ELECTION_NOT_NEEDED);
        MetadataImage dead = imageWith(List.of(1, 2), List.of(1), -1, Set.of(1, 3, 4));
        var nobody = PartitionLeaderElection.electUnclean(dead.topic("t"), dead.topic("t").partition(0), Set.of(1, 2, 3, 4));
        assertThat(nobody.error()).isEqualTo(Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    }

    @Test
    void aReassignmentAddsTheTargetThenDropsTheOldReplicasOnceTheNewOnesAreInSync() {
        MetadataImage image = imageWith(List.of(1, 2), List.of(1, 2), 1, Set.of());
        PartitionChangeRecord start = PartitionReassignment.start(image.topic("t"), image.topic("t").partition(0), List.of(3, 2), Set.of());
        PartitionImage moving = after(image, List.of(new ApiMessageAndVersion(start, (short) 0)));
        assertThat(moving.replicas()).containsExactly(3, 2, 1);
        assertThat(moving.addingReplicas()).containsExactly(3);
        assertThat(moving.removingReplicas()).containsExactly(1);
        assertThat(PartitionReassignment.complete(image.topic("t"), moving, Set.of())).as("3 not in the ISR yet").isNull();

        PartitionImage caughtUp = new PartitionImage(0, moving.replicas(), List.of(1, 2, 3), 1, moving.leaderEpoch(), moving.partitionEpoch(),
                moving.addingReplicas(), moving.removingReplicas());
        PartitionChangeRecord done = PartitionReassignment.complete(image.topic("t"), caughtUp, Set.of());
        assertThat(done.replicas()).containsExactly(3, 2);
        assertThat(done.isr()).containsExactly(2, 3);
        assertThat(done.leader()).as("the removed leader hands over to the first target replica in the ISR").isEqualTo(3);
        assertThat(done.addingReplicas()).isEmpty();

        PartitionChangeRecord cancelled = PartitionReassignment.cancel(image.topic("t"), moving, Set.of());
        assertThat(cancelled.replicas()).containsExactly(2, 1);
        assertThat(cancelled.leader()).isEqualTo(PartitionLeaderElection.NO_LEADER_CHANGE);
    }
}
