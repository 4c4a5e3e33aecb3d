package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.findCoordinator;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * KIP-848 step by step over a raw socket: the revoke-before-assign handshake that keeps a partition
 * from ever having two owners, session expiry, and bad input answered with the error Kafka gives
 * while the group keeps working.
 */
class ConsumerGroupProtocolStepsTest {
    static final String TOPIC = "steps-topic";
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static RawKafkaClient client;
    static Uuid topicId;
    static int groups;

    @BeforeAll
    static void start() throws Exception {
        broker = new GroupTestBroker(dataDir, Map.of("group.consumer.session.timeout.ms", "1500",
                "group.consumer.heartbeat.interval.ms", "200", "group.consumer.assignment.interval.ms", "0"));
        client = new RawKafkaClient(broker.host(), broker.port());
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
        client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
        topicId = broker.controller().image().topic(TOPIC).id();
        assertThat(findCoordinator(client, "any").coordinators().get(0).errorCode()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        broker.close();
    }

    static String newGroup() {
        return "steps-group-" + (++groups);
    }

    static ConsumerGroupHeartbeatRequestData join(String group, String memberId) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(memberId).setMemberEpoch(0)
                .setRebalanceTimeoutMs(5000).setSubscribedTopicNames(List.of(TOPIC)).setTopicPartitions(List.of());
    }

    static ConsumerGroupHeartbeatRequestData beat(String group, String memberId, int epoch) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(memberId).setMemberEpoch(epoch);
    }

    static ConsumerGroupHeartbeatRequestData beatOwning(String group, String memberId, int epoch, Integer... partitions) {
        return beat(group, memberId, epoch).setTopicPartitions(List.of(new ConsumerGroupHeartbeatRequestData.TopicPartitions()
                .setTopicId(topicId).setPartitions(List.of(partitions))));
    }

    static ConsumerGroupHeartbeatResponseData send(ConsumerGroupHeartbeatRequestData request) throws Exception {
        return (ConsumerGroupHeartbeatResponseData) client.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_HEARTBEAT.latestVersion(), request);
    }

    static Set<Integer> partitions(ConsumerGroupHeartbeatResponseData response) {
        Set<Integer> out = new TreeSet<>();
        for (var t : response.assignment().topicPartitions()) {
            assertThat(t.topicId()).isEqualTo(topicId);
            out.addAll(t.partitions());
        }
        return out;
    }

    static ConsumerGroupDescribeResponseData.DescribedGroup describe(String group) throws Exception {
        var response = (ConsumerGroupDescribeResponseData) client.send(ApiKeys.CONSUMER_GROUP_DESCRIBE, ApiKeys.CONSUMER_GROUP_DESCRIBE.latestVersion(),
                new ConsumerGroupDescribeRequestData().setGroupIds(List.of(group)));
        return response.groups().get(0);
    }

    @Test
    void aJoiningMemberGetsAPartitionOnlyAfterItsOwnerRevokedIt() throws Exception {
        String group = newGroup();
        var a = send(join(group, "member-a"));
        assertThat(a.errorCode()).isZero();
        assertThat(a.memberEpoch()).isEqualTo(1);
        assertThat(partitions(a)).containsExactly(0, 1);
        assertThat(a.heartbeatIntervalMs()).isEqualTo(200);

        var b = send(join(group, "member-b"));
        assertThat(b.memberEpoch()).isEqualTo(2);
        assertThat(partitions(b)).as("a still owns both").isEmpty();

        var aRevoke = send(beat(group, "member-a", 1));
        assertThat(aRevoke.memberEpoch()).as("a keeps its epoch until it revokes").isEqualTo(1);
        Set<Integer> aKeeps = partitions(aRevoke);
        assertThat(aKeeps).hasSize(1);
        int moving = aKeeps.contains(0) ? 1 : 0;

        assertThat(send(beat(group, "member-b", 2)).assignment()).as("b waits: the partition is not released").isNull();
        assertThat(describe(group).groupState()).isEqualTo("Reconciling");

        var aDone = send(beatOwning(group, "member-a", 1, aKeeps.toArray(Integer[]::new)));
        assertThat(aDone.memberEpoch()).isEqualTo(2);

        var bGets = send(beat(group, "member-b", 2));
        assertThat(partitions(bGets)).containsExactly(moving);
        assertThat(describe(group).groupState()).isEqualTo("Stable");
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedAfterTheSessionTimeoutAndTheOtherTakesItsPartitions() throws Exception {
        String group = newGroup();
        send(join(group, "stays"));
        send(join(group, "vanishes"));
        // Let both settle: "stays" revokes one partition, "vanishes" picks it up once.
        var stays = send(beat(group, "stays", 1));
        send(beatOwning(group, "stays", 1, partitions(stays).toArray(Integer[]::new)));
        send(beat(group, "vanishes", 2));
        assertThat(describe(group).members()).hasSize(2);

        long deadline = System.nanoTime() + 20_000_000_000L;
        ConsumerGroupHeartbeatResponseData last = null;
        while (System.nanoTime() < deadline) {
            last = send(beat(group, "stays", describe(group).members().stream()
                    .filter(m -> m.memberId().equals("stays")).findFirst().orElseThrow().memberEpoch()));
            if (describe(group).members().size() == 1 && last.assignment() != null && partitions(last).size() == 2) break;
            Thread.sleep(200);
        }
        assertThat(describe(group).members()).extracting(ConsumerGroupDescribeResponseData.Member::memberId).containsExactly("stays");
        assertThat(partitions(last)).containsExactly(0, 1);
        assertThat(send(beat(group, "vanishes", 2)).errorCode()).isEqualTo(Errors.UNKNOWN_MEMBER_ID.code());
    }

    @Test
    void malformedAndStaleRequestsGetKafkasErrorsAndTheGroupKeepsWorking() throws Exception {
        String group = newGroup();
        var joined = send(join(group, "good"));
        int epoch = joined.memberEpoch();

        List<Errors> errors = new ArrayList<>();
        errors.add(code(send(join("", "x"))));
        errors.add(code(send(join(group, "x").setSubscribedTopicNames(null))));
        errors.add(code(send(join(group, "x").setTopicPartitions(null))));
        errors.add(code(send(join(group, "x").setRebalanceTimeoutMs(-1))));
        errors.add(code(send(join(group, ""))));
        errors.add(code(send(beat(group, "good", -3))));
        errors.add(code(send(beat(group, "good", -2))));
        assertThat(errors).containsOnly(Errors.INVALID_REQUEST);
        assertThat(send(join("", "x")).errorMessage()).isEqualTo("GroupId can't be empty.");

        assertThat(code(send(join(group, "x").setServerAssignor("sticky")))).isEqualTo(Errors.UNSUPPORTED_ASSIGNOR);
        assertThat(code(send(join(group, "x").setSubscribedTopicNames(null).setSubscribedTopicRegex("[unclosed"))))
                .isEqualTo(Errors.INVALID_REGULAR_EXPRESSION);
        assertThat(code(send(beat(group, "nobody", 1)))).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(code(send(beat(group, "good", epoch + 5)))).isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        assertThat(code(send(beat("no-such-group", "good", 1)))).isEqualTo(Errors.UNKNOWN_MEMBER_ID);

        // Commits: a stale epoch, an old version from a member, an admin commit to a live group.
        assertThat(commit(group, "good", epoch - 1, (short) 9)).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(commit(group, "good", epoch, (short) 8)).isEqualTo(Errors.UNSUPPORTED_VERSION);
        assertThat(commit(group, "", -1, (short) 9)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(fetchError(group, "good", epoch + 1)).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(fetchError(group, "nobody", 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);

        // A classic JoinGroup cannot take over a live consumer-protocol group.
        var classicJoin = (JoinGroupResponseData) client.send(ApiKeys.JOIN_GROUP, ApiKeys.JOIN_GROUP.latestVersion(),
                new JoinGroupRequestData().setGroupId(group).setMemberId("").setProtocolType("consumer").setSessionTimeoutMs(10_000)
                        .setRebalanceTimeoutMs(10_000).setProtocols(new JoinGroupRequestData.JoinGroupRequestProtocolCollection(List.of(
                                new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(RawGroups.subscription(TOPIC))).iterator())));
        assertThat(classicJoin.errorCode()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL.code());

        // And after all that the member still heartbeats, commits and reads its commit back.
        var ok = send(beat(group, "good", epoch));
        assertThat(ok.errorCode()).isZero();
        assertThat(commit(group, "good", ok.memberEpoch(), ApiKeys.OFFSET_COMMIT.latestVersion())).isEqualTo(Errors.NONE);
        assertThat(fetchError(group, "good", ok.memberEpoch())).isEqualTo(Errors.NONE);
    }

    @Test
    void aStaticMemberIsNotReplacedUntilItLeavesAndItsSuccessorInheritsItsPartitions() throws Exception {
        String group = newGroup();
        var first = send(join(group, "static-1").setInstanceId("instance-1"));
        assertThat(partitions(first)).containsExactly(0, 1);
        assertThat(code(send(join(group, "static-2").setInstanceId("instance-1")))).isEqualTo(Errors.UNRELEASED_INSTANCE_ID);

        var left = send(beat(group, "static-1", -2).setInstanceId("instance-1"));
        assertThat(left.memberEpoch()).isEqualTo(-2);
        var successor = send(join(group, "static-2").setInstanceId("instance-1"));
        assertThat(successor.errorCode()).isZero();
        assertThat(successor.memberEpoch()).isEqualTo(first.memberEpoch());
        assertThat(partitions(successor)).containsExactly(0, 1);
        assertThat(describe(group).members()).extracting(ConsumerGroupDescribeResponseData.Member::memberId).containsExactly("static-2");
    }

    @Test
    void consumerGroupDescribeTellsAClassicOrUnknownGroupApartFromAConsumerGroup() throws Exception {
        String classic = newGroup();
        assertThat(commit(classic, "", -1, ApiKeys.OFFSET_COMMIT.latestVersion())).isEqualTo(Errors.NONE); // an offsets-only classic group
        var described = describe(classic);
        assertThat(described.errorCode()).isEqualTo(Errors.GROUP_ID_NOT_FOUND.code());
        assertThat(described.errorMessage()).isEqualTo("Group " + classic + " is not a consumer group.");
        assertThat(describe("never-heard-of").errorMessage()).isEqualTo("Group never-heard-of not found.");

        // An empty classic group becomes a consumer group when a consumer-protocol member joins, keeping its offsets.
        var joined = send(join(classic, "m"));
        assertThat(joined.errorCode()).isZero();
        assertThat(describe(classic).errorCode()).isZero();
        assertThat(fetchOffset(classic)).isEqualTo(42L);
    }

    @Test
    @org.junit.jupiter.api.Timeout(120) // a hang guard: a backtracking engine would take longer than the universe
    void aPathologicalRegexSubscriptionIsMatchedInLinearTimeAndTheCoordinatorKeepsServing() throws Exception {
        String longName = "a".repeat(60);
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(longName).setNumPartitions(1).setReplicationFactor((short) 1));
        client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
        String group = newGroup();
        var joined = send(join(group, "regex-member").setSubscribedTopicNames(null).setSubscribedTopicRegex("(a*)*b"));
        assertThat(code(joined)).isEqualTo(Errors.NONE);
        assertThat(joined.assignment().topicPartitions()).as("nothing matches").isEmpty();
        var matching = send(join(newGroup(), "regex-member-2").setSubscribedTopicNames(null).setSubscribedTopicRegex("(a*)*"));
        assertThat(matching.assignment().topicPartitions()).extracting(t -> t.partitions().size()).containsExactly(1);
    }

    static Errors code(ConsumerGroupHeartbeatResponseData r) {
        return Errors.forCode(r.errorCode());
    }

    static Errors commit(String group, String memberId, int epoch, short version) throws Exception {
        OffsetCommitRequestData request = new OffsetCommitRequestData().setGroupId(group).setMemberId(memberId).setGenerationIdOrMemberEpoch(epoch);
        request.topics().add(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(TOPIC).setTopicId(topicId)
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(42))));
        var response = (OffsetCommitResponseData) client.send(ApiKeys.OFFSET_COMMIT, version, request);
        return Errors.forCode(response.topics().get(0).partitions().get(0).errorCode());
    }

    static OffsetFetchResponseData.OffsetFetchResponseGroup fetch(String group, String memberId, int epoch) throws Exception {
        OffsetFetchRequestData request = new OffsetFetchRequestData();
        request.groups().add(new OffsetFetchRequestData.OffsetFetchRequestGroup().setGroupId(group).setMemberId(memberId).setMemberEpoch(epoch)
                .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(TOPIC).setTopicId(topicId).setPartitionIndexes(List.of(0)))));
        var response = (OffsetFetchResponseData) client.send(ApiKeys.OFFSET_FETCH, ApiKeys.OFFSET_FETCH.latestVersion(), request);
        return response.groups().get(0);
    }

    static Errors fetchError(String group, String memberId, int epoch) throws Exception {
        return Errors.forCode(fetch(group, memberId, epoch).errorCode());
    }

    static long fetchOffset(String group) throws Exception {
        return fetch(group, null, -1).topics().get(0).partitions().get(0).committedOffset();
    }
}
