package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Static membership (KIP-345): a member that restarts with the same {@code group.instance.id}
 * takes its old place under a new member id, keeps its assignment, and nobody rebalances; the old
 * incarnation is fenced.
 */
class StaticMembershipTest {
    static final String TOPIC = "static-topic";
    @TempDir
    Path dataDir;

    @Test
    void staticMemberRejoinsWithoutRebalanceAndTheOldIncarnationIsFenced() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir);
             RawKafkaClient a = new RawKafkaClient(broker.host(), broker.port());
             RawKafkaClient b = new RawKafkaClient(broker.host(), broker.port());
             RawKafkaClient bRestarted = new RawKafkaClient(broker.host(), broker.port())) {
            CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
            create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
            a.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
            String group = "static-group";
            findCoordinator(a, group);

            // A alone: generation 1, leader, takes both partitions.
            Joined a1 = joinNew(a, group, "instance-a", TOPIC);
            assertThat(a1.response().errorCode()).isZero();
            assertThat(sync(a, group, a1, "instance-a", assignment(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1))).errorCode()).isZero();

            // B joins: A learns of the rebalance from its heartbeat and rejoins; both get generation 2.
            CompletableFuture<Joined> bJoin = CompletableFuture.supplyAsync(() -> {
                try {
                    return joinNew(b, group, "instance-b", TOPIC);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> new Thread(r, "raw-client").start());
            Errors heartbeat;
            do {
                heartbeat = RawGroups.heartbeat(a, group, a1.generation(), a1.memberId(), "instance-a");
            } while (heartbeat == Errors.NONE);
            assertThat(heartbeat).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
            Joined a2 = new Joined(join(a, joinRequest(group, a1.memberId(), "instance-a", "consumer", subscription(TOPIC))));
            Joined b2 = bJoin.join();
            assertThat(a2.generation()).isEqualTo(b2.generation()).isEqualTo(a1.generation() + 1);
            assertThat(a2.isLeader()).isTrue();
            assertThat(a2.response().members()).hasSize(2);

            byte[] aAssignment = assignment(new TopicPartition(TOPIC, 0));
            byte[] bAssignment = assignment(new TopicPartition(TOPIC, 1));
            CompletableFuture<SyncGroupResponseData> bSync = CompletableFuture.supplyAsync(() -> {
                try {
                    return sync(b, group, b2, "instance-b", null);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, r -> new Thread(r, "raw-client").start());
            SyncGroupRequestData leaderSync = new SyncGroupRequestData().setGroupId(group).setGenerationId(a2.generation())
                    .setMemberId(a2.memberId()).setGroupInstanceId("instance-a").setProtocolType("consumer").setProtocolName("range")
                    .setAssignments(List.of(
                            new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(a2.memberId()).setAssignment(aAssignment),
                            new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(b2.memberId()).setAssignment(bAssignment)));
            var aSynced = (SyncGroupResponseData) a.send(ApiKeys.SYNC_GROUP, ApiKeys.SYNC_GROUP.latestVersion(), leaderSync);
            assertThat(partitionsOf(aSynced.assignment())).containsExactly(new TopicPartition(TOPIC, 0));
            assertThat(partitionsOf(bSync.join().assignment())).containsExactly(new TopicPartition(TOPIC, 1));

            // B "restarts": same instance id, no member id. It is answered at once, in the same generation.
            Joined b3 = new Joined(join(bRestarted, joinRequest(group, "", "instance-b", "consumer", subscription(TOPIC))));
            assertThat(Errors.forCode(b3.response().errorCode())).isEqualTo(Errors.NONE);
            assertThat(b3.generation()).isEqualTo(b2.generation());
            assertThat(b3.memberId()).isNotEqualTo(b2.memberId());
            assertThat(b3.isLeader()).isFalse();
            SyncGroupResponseData b3Synced = sync(bRestarted, group, b3, "instance-b", null);
            assertThat(Errors.forCode(b3Synced.errorCode())).isEqualTo(Errors.NONE);
            assertThat(partitionsOf(b3Synced.assignment())).containsExactly(new TopicPartition(TOPIC, 1));

            // No rebalance: A's heartbeat in the same generation is fine, the group is Stable.
            assertThat(RawGroups.heartbeat(a, group, a2.generation(), a2.memberId(), "instance-a")).isEqualTo(Errors.NONE);
            var described = (DescribeGroupsResponseData) a.send(ApiKeys.DESCRIBE_GROUPS, ApiKeys.DESCRIBE_GROUPS.latestVersion(),
                    new DescribeGroupsRequestData().setGroups(List.of(group)));
            assertThat(described.groups().get(0).groupState()).isEqualTo("Stable");
            assertThat(described.groups().get(0).members()).extracting(m -> m.memberId())
                    .containsExactlyInAnyOrder(a2.memberId(), b3.memberId());

            // The old incarnation of B is fenced.
            assertThat(RawGroups.heartbeat(b, group, b2.generation(), b2.memberId(), "instance-b")).isEqualTo(Errors.FENCED_INSTANCE_ID);
            assertThat(RawGroups.heartbeat(bRestarted, group, b3.generation(), b3.memberId(), "instance-b")).isEqualTo(Errors.NONE);

            // The restarted leader is told to skip the assignment (KIP-814) and the generation stays.
            RawKafkaClient aRestarted = new RawKafkaClient(broker.host(), broker.port());
            Joined a3 = new Joined(join(aRestarted, joinRequest(group, "", "instance-a", "consumer", subscription(TOPIC))));
            assertThat(a3.generation()).isEqualTo(a2.generation());
            assertThat(a3.isLeader()).isTrue();
            assertThat(a3.response().skipAssignment()).isTrue();
            assertThat(partitionsOf(sync(aRestarted, group, a3, "instance-a", new byte[0]).assignment())).containsExactly(new TopicPartition(TOPIC, 0));
            aRestarted.close();
        }
    }
}
