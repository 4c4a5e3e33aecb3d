package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Bad input over a raw socket gets the error code Kafka 4.4 returns, and the group it was aimed at
 * keeps working afterwards: every test ends with the member heartbeating, committing and reading
 * its offset back.
 */
class GroupErrorCodesTest {
    static final String TOPIC = "errors-topic";
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static RawKafkaClient client;
    static int groupCounter;

    String group;
    Joined member;

    @BeforeAll
    static void start() throws Exception {
        broker = new GroupTestBroker(dataDir);
        client = new RawKafkaClient(broker.host(), broker.port());
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
        client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
        assertThat(findCoordinator(client, "any").coordinators().get(0).errorCode()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        broker.close();
    }

    @BeforeEach
    void stableGroupWithOneMember() throws Exception {
        group = "errors-" + (++groupCounter);
        member = joinNew(client, group, null, TOPIC);
        assertThat(member.response().errorCode()).isZero();
        assertThat(member.isLeader()).isTrue();
        SyncGroupResponseData synced = sync(client, group, member, null, assignment(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1)));
        assertThat(synced.errorCode()).isZero();
        assertThat(partitionsOf(synced.assignment())).hasSize(2);
    }

    /** The member can still heartbeat, commit and read back its commit. */
    void groupStillWorks() throws Exception {
        assertThat(heartbeat(client, group, member.generation(), member.memberId(), null)).isEqualTo(Errors.NONE);
        assertThat(commit(client, group, member.generation(), member.memberId(), TOPIC, 1, 42)).isEqualTo(Errors.NONE);
        var fetched = (OffsetFetchResponseData) client.send(ApiKeys.OFFSET_FETCH, (short) 9, new OffsetFetchRequestData().setGroups(List.of(
                new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group).setTopics(List.of(
                        new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(TOPIC).setPartitionIndexes(List.of(1)))))));
        var partition = fetched.groups().get(0).topics().get(0).partitions().get(0);
        assertThat(partition.errorCode()).isZero();
        assertThat(partition.committedOffset()).isEqualTo(42);
        assertThat(partition.metadata()).isEqualTo("m");
    }

    @Test
    void commitToUnknownTopicOrPartitionIsUnknownTopicOrPartition() throws Exception {
        assertThat(commit(client, group, member.generation(), member.memberId(), "no-such-topic", 0, 1)).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(commit(client, group, member.generation(), member.memberId(), TOPIC, 7, 1)).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        // v10 names topics by id: an unknown id is UNKNOWN_TOPIC_ID.
        var request = new OffsetCommitRequestData().setGroupId(group).setGenerationIdOrMemberEpoch(member.generation()).setMemberId(member.memberId())
                .setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setTopicId(org.apache.kafka.common.Uuid.randomUuid())
                        .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(1)))));
        var response = (OffsetCommitResponseData) client.send(ApiKeys.OFFSET_COMMIT, (short) 10, request);
        assertThat(Errors.forCode(response.topics().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
        groupStillWorks();
    }

    @Test
    void staleGenerationIsIllegalGeneration() throws Exception {
        int stale = member.generation() - 1;
        assertThat(commit(client, group, stale, member.memberId(), TOPIC, 0, 5)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(heartbeat(client, group, stale, member.memberId(), null)).isEqualTo(Errors.ILLEGAL_GENERATION);
        SyncGroupResponseData sync = sync(client, group, new Joined(member.response().duplicate().setGenerationId(stale)), null, new byte[0]);
        assertThat(Errors.forCode(sync.errorCode())).isEqualTo(Errors.ILLEGAL_GENERATION);
        groupStillWorks();
    }

    @Test
    void unknownMemberIsUnknownMemberId() throws Exception {
        assertThat(commit(client, group, member.generation(), "nobody", TOPIC, 0, 5)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(heartbeat(client, group, member.generation(), "nobody", null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        JoinGroupResponseData join = join(client, joinRequest(group, "nobody", null, "consumer", subscription(TOPIC)));
        assertThat(Errors.forCode(join.errorCode())).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(heartbeat(client, "no-such-group", 1, "nobody", null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        groupStillWorks();
    }

    @Test
    void emptyGroupIdIsInvalidGroupId() throws Exception {
        JoinGroupResponseData join = join(client, joinRequest("", "", null, "consumer", subscription(TOPIC)));
        assertThat(Errors.forCode(join.errorCode())).isEqualTo(Errors.INVALID_GROUP_ID);
        assertThat(commit(client, "", 1, member.memberId(), TOPIC, 0, 5)).isEqualTo(Errors.INVALID_GROUP_ID);
        assertThat(heartbeat(client, "", 1, member.memberId(), null)).isEqualTo(Errors.INVALID_GROUP_ID);
        groupStillWorks();
    }

    @Test
    void mismatchedProtocolTypeIsInconsistentGroupProtocol() throws Exception {
        JoinGroupResponseData join = join(client, joinRequest(group, "", null, "connect", subscription(TOPIC)));
        assertThat(Errors.forCode(join.errorCode())).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        // No protocol type at all for a new group is refused the same way.
        JoinGroupResponseData empty = join(client, joinRequest(group + "-new", "", null, "", subscription(TOPIC)));
        assertThat(Errors.forCode(empty.errorCode())).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        groupStillWorks();
    }

    @Test
    void sessionTimeoutOutsideTheBrokerBoundsIsInvalidSessionTimeout() throws Exception {
        JoinGroupResponseData join = join(client, joinRequest(group, "", null, "consumer", subscription(TOPIC)).setSessionTimeoutMs(10));
        assertThat(Errors.forCode(join.errorCode())).isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
        groupStillWorks();
    }

    @Test
    void simpleConsumerCommitsWithoutGenerationButNotIntoALiveGroup() throws Exception {
        assertThat(commit(client, group + "-simple", -1, "", TOPIC, 0, 9)).isEqualTo(Errors.NONE);
        // A group with members does not take commits from outside it.
        assertThat(commit(client, group, -1, "", TOPIC, 0, 9)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        groupStillWorks();
    }
}
