package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Every version of every group API (the range a Kafka 4.4 broker accepts), sent over a raw socket
 * with realistic content, gets a well-formed answer without error — the group flavour of
 * {@code EveryApiVersionTest}.
 */
class EveryGroupApiVersionTest {
    static final String TOPIC = "group-versions";
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static RawKafkaClient client;
    static Uuid topicId;

    @BeforeAll
    static void start() throws Exception {
        broker = new GroupTestBroker(dataDir);
        client = new RawKafkaClient(broker.host(), broker.port());
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
        topicId = ((CreateTopicsResponseData) client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create))
                .topics().find(TOPIC).topicId();
        RawGroups.findCoordinator(client, "any"); // creates __consumer_offsets, as a client's first group request does
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        broker.close();
    }

    private static List<Short> versions(ApiKeys key) {
        List<Short> versions = new ArrayList<>();
        for (short v = key.oldestVersion(); v <= key.latestVersion(); v++) versions.add(v);
        return versions;
    }

    /** A one-member Stable group joined and synced at the latest versions. */
    private static Joined stableGroup(String group) throws Exception {
        Joined joined = joinNew(client, group, null, TOPIC);
        assertThat(joined.response().errorCode()).isZero();
        assertThat(sync(client, group, joined, null, assignment(new TopicPartition(TOPIC, 0))).errorCode()).isZero();
        return joined;
    }

    @Test
    void findCoordinator() throws Exception {
        for (short v : versions(ApiKeys.FIND_COORDINATOR)) {
            var request = new FindCoordinatorRequestData();
            if (v >= 4) request.setCoordinatorKeys(List.of("fc-a-" + v, "fc-b-" + v)); else request.setKey("fc-" + v);
            var response = (FindCoordinatorResponseData) client.send(ApiKeys.FIND_COORDINATOR, v, request);
            if (v >= 4) {
                assertThat(response.coordinators()).hasSize(2).allSatisfy(c -> {
                    assertThat(c.errorCode()).as("v%d", v).isZero();
                    assertThat(c.port()).isEqualTo(broker.port());
                    assertThat(c.nodeId()).isEqualTo(1);
                });
            } else {
                assertThat(response.errorCode()).as("v%d", v).isZero();
                assertThat(response.port()).isEqualTo(broker.port());
            }
        }
        // Transactional ids have their own coordinator (see the txn package's every-version test).
        var txn = (FindCoordinatorResponseData) client.send(ApiKeys.FIND_COORDINATOR, ApiKeys.FIND_COORDINATOR.latestVersion(),
                new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of("txn")));
        assertThat(Errors.forCode(txn.coordinators().get(0).errorCode())).isEqualTo(Errors.NONE);
    }

    @Test
    void joinSyncHeartbeatAndLeave() throws Exception {
        for (short v : versions(ApiKeys.JOIN_GROUP)) {
            String group = "join-v" + v;
            JoinGroupRequestData request = joinRequest(group, "", null, "consumer", subscription(TOPIC));
            var response = (JoinGroupResponseData) client.send(ApiKeys.JOIN_GROUP, v, request);
            if (v >= 4) {
                assertThat(Errors.forCode(response.errorCode())).as("v%d", v).isEqualTo(Errors.MEMBER_ID_REQUIRED);
                response = (JoinGroupResponseData) client.send(ApiKeys.JOIN_GROUP, v, request.setMemberId(response.memberId()));
            }
            assertThat(Errors.forCode(response.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(response.generationId()).isEqualTo(1);
            assertThat(response.leader()).isEqualTo(response.memberId());
            assertThat(response.protocolName()).isEqualTo("range");
            assertThat(response.members()).hasSize(1);
        }
        for (short v : versions(ApiKeys.SYNC_GROUP)) {
            String group = "sync-v" + v;
            Joined joined = joinNew(client, group, null, TOPIC);
            var request = new SyncGroupRequestData().setGroupId(group).setGenerationId(joined.generation()).setMemberId(joined.memberId())
                    .setAssignments(List.of(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(joined.memberId())
                            .setAssignment(assignment(new TopicPartition(TOPIC, 1)))));
            if (v >= 5) request.setProtocolType("consumer").setProtocolName("range");
            var response = (SyncGroupResponseData) client.send(ApiKeys.SYNC_GROUP, v, request);
            assertThat(Errors.forCode(response.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(partitionsOf(response.assignment())).containsExactly(new TopicPartition(TOPIC, 1));
        }
        Joined stable = stableGroup("heartbeat-group");
        for (short v : versions(ApiKeys.HEARTBEAT)) {
            var response = (HeartbeatResponseData) client.send(ApiKeys.HEARTBEAT, v, new HeartbeatRequestData().setGroupId("heartbeat-group")
                    .setGenerationId(stable.generation()).setMemberId(stable.memberId()));
            assertThat(Errors.forCode(response.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
        }
        for (short v : versions(ApiKeys.LEAVE_GROUP)) {
            String group = "leave-v" + v;
            Joined joined = stableGroup(group);
            var request = new LeaveGroupRequestData().setGroupId(group);
            if (v >= 3) request.setMembers(List.of(new LeaveGroupRequestData.MemberIdentity().setMemberId(joined.memberId())));
            else request.setMemberId(joined.memberId());
            var response = (LeaveGroupResponseData) client.send(ApiKeys.LEAVE_GROUP, v, request);
            assertThat(Errors.forCode(response.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            if (v >= 3) assertThat(response.members()).singleElement().satisfies(m -> assertThat(m.errorCode()).isZero());
        }
    }

    @Test
    void offsetCommitFetchAndDelete() throws Exception {
        for (short v : versions(ApiKeys.OFFSET_COMMIT)) {
            var topic = new OffsetCommitRequestData.OffsetCommitRequestTopic().setPartitions(List.of(
                    new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(v).setCommittedMetadata("v" + v)));
            if (v >= 10) topic.setTopicId(topicId); else topic.setName(TOPIC);
            var request = new OffsetCommitRequestData().setGroupId("commit-v" + v).setGenerationIdOrMemberEpoch(-1).setMemberId("")
                    .setTopics(List.of(topic));
            var response = (OffsetCommitResponseData) client.send(ApiKeys.OFFSET_COMMIT, v, request);
            assertThat(Errors.forCode(response.topics().get(0).partitions().get(0).errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
        }
        short latestCommit = ApiKeys.OFFSET_COMMIT.latestVersion();
        String group = "commit-v" + latestCommit;
        for (short v : versions(ApiKeys.OFFSET_FETCH)) {
            var request = new OffsetFetchRequestData();
            long offset;
            if (v >= 8) {
                var topic = new OffsetFetchRequestData.OffsetFetchRequestTopics().setPartitionIndexes(List.of(0));
                if (v >= 10) topic.setTopicId(topicId); else topic.setName(TOPIC);
                request.setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group).setTopics(List.of(topic)),
                        new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId("commit-v2").setTopics(null)));
                var response = (OffsetFetchResponseData) client.send(ApiKeys.OFFSET_FETCH, v, request);
                assertThat(response.groups()).hasSize(2).allSatisfy(g -> assertThat(g.errorCode()).as("v%d", v).isZero());
                var partition = response.groups().get(0).topics().get(0).partitions().get(0);
                assertThat(partition.errorCode()).isZero();
                offset = partition.committedOffset();
                assertThat(response.groups().get(1).topics().get(0).partitions().get(0).committedOffset()).isEqualTo(2);
            } else {
                request.setGroupId(group).setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName(TOPIC).setPartitionIndexes(List.of(0))));
                var response = (OffsetFetchResponseData) client.send(ApiKeys.OFFSET_FETCH, v, request);
                if (v >= 2) assertThat(response.errorCode()).as("v%d", v).isZero();
                var partition = response.topics().get(0).partitions().get(0);
                assertThat(partition.errorCode()).isZero();
                offset = partition.committedOffset();
            }
            assertThat(offset).as("v%d", v).isEqualTo(latestCommit);
        }
        for (short v : versions(ApiKeys.OFFSET_DELETE)) {
            var topics = new OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection();
            topics.add(new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName(TOPIC)
                    .setPartitions(List.of(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0))));
            var response = (OffsetDeleteResponseData) client.send(ApiKeys.OFFSET_DELETE, v,
                    new OffsetDeleteRequestData().setGroupId("commit-v3").setTopics(topics));
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.topics().iterator().next().partitions().iterator().next().errorCode()).isZero();
        }
    }

    /**
     * TxnOffsetCommit, every version: accepted, then pending (no marker is ever written here), so
     * OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT and without it no offset.
     */
    @Test
    void txnOffsetCommitIsPendingUntilItsMarker() throws Exception {
        for (short v : versions(ApiKeys.TXN_OFFSET_COMMIT)) {
            String group = "txn-commit-v" + v;
            var topic = new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setPartitions(List.of(
                    new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(10 + v)
                            .setCommittedMetadata("v" + v)));
            var unknown = new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setPartitions(List.of(
                    new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(1)));
            if (v >= 6) {
                topic.setTopicId(topicId);
                unknown.setTopicId(Uuid.randomUuid());
            } else {
                topic.setName(TOPIC);
                unknown.setName("no-such-topic");
            }
            var request = new TxnOffsetCommitRequestData().setTransactionalId("txn-" + v).setGroupId(group).setProducerId(7000 + v)
                    .setProducerEpoch((short) 0).setTopics(List.of(topic, unknown));
            var response = (TxnOffsetCommitResponseData) client.send(ApiKeys.TXN_OFFSET_COMMIT, v, request);
            assertThat(Errors.forCode(response.topics().get(0).partitions().get(0).errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(Errors.forCode(response.topics().get(1).partitions().get(0).errorCode())).as("v%d", v)
                    .isEqualTo(v >= 6 ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);

            for (boolean requireStable : new boolean[] {true, false}) {
                var fetch = new OffsetFetchRequestData().setRequireStable(requireStable).setGroups(List.of(
                        new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group).setTopics(List.of(
                                new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(0))))));
                var fetched = (OffsetFetchResponseData) client.send(ApiKeys.OFFSET_FETCH, (short) 9, fetch);
                var partition = fetched.groups().get(0).topics().get(0).partitions().get(0);
                assertThat(Errors.forCode(partition.errorCode())).as("v%d require_stable=%s", v, requireStable)
                        .isEqualTo(requireStable ? Errors.UNSTABLE_OFFSET_COMMIT : Errors.NONE);
                assertThat(partition.committedOffset()).isEqualTo(-1);
            }
        }
        var invalid = new TxnOffsetCommitRequestData().setTransactionalId("txn").setGroupId("").setProducerId(7999).setProducerEpoch((short) 0)
                .setTopics(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(TOPIC).setPartitions(List.of(
                        new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(1)))));
        var response = (TxnOffsetCommitResponseData) client.send(ApiKeys.TXN_OFFSET_COMMIT, (short) 3, invalid);
        assertThat(Errors.forCode(response.topics().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.INVALID_GROUP_ID);
    }

    @Test
    void describeListAndDeleteGroups() throws Exception {
        stableGroup("described-group");
        for (short v : versions(ApiKeys.DESCRIBE_GROUPS)) {
            var response = (DescribeGroupsResponseData) client.send(ApiKeys.DESCRIBE_GROUPS, v,
                    new DescribeGroupsRequestData().setGroups(List.of("described-group", "no-such-group")));
            var described = response.groups().get(0);
            assertThat(described.errorCode()).as("v%d", v).isZero();
            assertThat(described.groupState()).isEqualTo("Stable");
            assertThat(described.protocolType()).isEqualTo("consumer");
            assertThat(described.protocolData()).isEqualTo("range");
            assertThat(described.members()).singleElement().satisfies(m ->
                    assertThat(partitionsOf(m.memberAssignment())).containsExactly(new TopicPartition(TOPIC, 0)));
            var unknown = response.groups().get(1);
            assertThat(Errors.forCode(unknown.errorCode())).as("v%d", v).isEqualTo(v >= 6 ? Errors.GROUP_ID_NOT_FOUND : Errors.NONE);
            assertThat(unknown.groupState()).isEqualTo("Dead");
        }
        for (short v : versions(ApiKeys.LIST_GROUPS)) {
            var request = new ListGroupsRequestData();
            if (v >= 4) request.setStatesFilter(List.of("stable"));
            if (v >= 5) request.setTypesFilter(List.of("classic"));
            var response = (ListGroupsResponseData) client.send(ApiKeys.LIST_GROUPS, v, request);
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.groups()).extracting(g -> g.groupId()).contains("described-group");
            if (v >= 4) assertThat(response.groups()).allSatisfy(g -> assertThat(g.groupState()).isEqualTo("Stable"));
        }
        var consumerOnly = (ListGroupsResponseData) client.send(ApiKeys.LIST_GROUPS, ApiKeys.LIST_GROUPS.latestVersion(),
                new ListGroupsRequestData().setTypesFilter(List.of("consumer")));
        // Only KIP-848 groups (other tests here make some); never the classic ones.
        assertThat(consumerOnly.groups()).allSatisfy(g -> assertThat(g.groupType()).isEqualTo("consumer"))
                .extracting(g -> g.groupId()).doesNotContain("described-group");
        for (short v : versions(ApiKeys.DELETE_GROUPS)) {
            String group = "deleted-v" + v;
            assertThat(commit(client, group, -1, "", TOPIC, 0, 1)).isEqualTo(Errors.NONE);
            var response = (DeleteGroupsResponseData) client.send(ApiKeys.DELETE_GROUPS, v,
                    new DeleteGroupsRequestData().setGroupsNames(List.of(group, "described-group")));
            assertThat(response.results().find(group).errorCode()).as("v%d", v).isZero();
            assertThat(Errors.forCode(response.results().find("described-group").errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);
        }
    }
    @Test
    void consumerGroupHeartbeatAndDescribe() throws Exception {
        for (short v : versions(ApiKeys.CONSUMER_GROUP_HEARTBEAT)) {
            String group = "kip848-v" + v;
            var joinRequest = new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberEpoch(0).setRebalanceTimeoutMs(5000)
                    .setSubscribedTopicNames(List.of(TOPIC)).setTopicPartitions(List.of());
            if (v >= 1) joinRequest.setMemberId("member-" + v); // from v1 the client names itself
            var joined = (ConsumerGroupHeartbeatResponseData) client.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, v, joinRequest);
            assertThat(joined.errorCode()).as("v%d", v).isZero();
            assertThat(joined.memberId()).isNotEmpty();
            assertThat(joined.memberEpoch()).isEqualTo(1);
            assertThat(joined.assignment().topicPartitions()).singleElement().satisfies(t -> {
                assertThat(t.topicId()).isEqualTo(topicId);
                assertThat(t.partitions()).containsExactly(0, 1);
            });
            var beat = (ConsumerGroupHeartbeatResponseData) client.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, v,
                    new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(joined.memberId()).setMemberEpoch(1));
            assertThat(beat.errorCode()).as("v%d", v).isZero();
            for (short dv : versions(ApiKeys.CONSUMER_GROUP_DESCRIBE)) {
                var described = (ConsumerGroupDescribeResponseData) client.send(ApiKeys.CONSUMER_GROUP_DESCRIBE, dv,
                        new ConsumerGroupDescribeRequestData().setGroupIds(List.of(group)));
                var g = described.groups().get(0);
                assertThat(g.errorCode()).as("describe v%d", dv).isZero();
                assertThat(g.groupState()).isEqualTo("Stable");
                assertThat(g.members()).singleElement().satisfies(m -> assertThat(m.memberId()).isEqualTo(joined.memberId()));
            }
            var left = (ConsumerGroupHeartbeatResponseData) client.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, v,
                    new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(joined.memberId()).setMemberEpoch(-1));
            assertThat(left.errorCode()).as("v%d", v).isZero();
            assertThat(left.memberEpoch()).isEqualTo(-1);
        }
    }
}
