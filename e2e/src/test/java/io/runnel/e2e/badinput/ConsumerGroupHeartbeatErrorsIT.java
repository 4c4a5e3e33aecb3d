package io.runnel.e2e.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RawKafkaConnection;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ConsumerGroupDescribeResponse;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad KIP-848 input over a raw socket gets the error code Apache Kafka 4.4 gives (this suite passes
 * against both; run it with -Drunnel.e2e.broker=kafka), and the member the bad requests were aimed
 * at keeps heartbeating and committing afterwards.
 */
class ConsumerGroupHeartbeatErrorsIT {
    private static BrokerProcess broker;
    private static String topic;
    private static Uuid topicId;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = BrokerProcess.builder("kip848-errors").start();
        topic = broker.topic("kip848-errors");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            topicId = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).topicId();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    private static ConsumerGroupHeartbeatRequestData join(String group, String memberId) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(memberId).setMemberEpoch(0)
                .setRebalanceTimeoutMs(30_000).setSubscribedTopicNames(List.of(topic)).setTopicPartitions(List.of());
    }

    private static ConsumerGroupHeartbeatRequestData beat(String group, String memberId, int epoch) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(memberId).setMemberEpoch(epoch);
    }

    private static ConsumerGroupHeartbeatResponse send(RawKafkaConnection c, ConsumerGroupHeartbeatRequestData r) throws IOException {
        return c.request(ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_HEARTBEAT.latestVersion(), r);
    }

    /** Heartbeats until the coordinator has loaded (a fresh offsets topic answers "loading" or "not available" first). */
    private static ConsumerGroupHeartbeatResponse joinWhenReady(RawKafkaConnection c, String group, String memberId) throws Exception {
        c.request(ApiKeys.FIND_COORDINATOR, ApiKeys.FIND_COORDINATOR.latestVersion(),
                new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(group)));
        long deadline = System.nanoTime() + KafkaClients.PATIENCE.toNanos();
        while (true) {
            ConsumerGroupHeartbeatResponse r = send(c, join(group, memberId));
            Errors e = Errors.forCode(r.data().errorCode());
            if (e == Errors.NONE) return r;
            assertThat(e).as("joining %s", group).isIn(Errors.COORDINATOR_LOAD_IN_PROGRESS, Errors.COORDINATOR_NOT_AVAILABLE, Errors.NOT_COORDINATOR);
            assertThat(System.nanoTime()).as("coordinator ready (hang guard)").isLessThan(deadline);
            Thread.sleep(200);
            FindCoordinatorResponse unused = c.request(ApiKeys.FIND_COORDINATOR, ApiKeys.FIND_COORDINATOR.latestVersion(),
                    new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(group)));
        }
    }

    private static Errors commit(RawKafkaConnection c, String group, String memberId, int epoch, short version) throws IOException {
        OffsetCommitRequestData request = new OffsetCommitRequestData().setGroupId(group).setMemberId(memberId).setGenerationIdOrMemberEpoch(epoch);
        request.topics().add(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic).setTopicId(topicId)
                .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0).setCommittedOffset(0))));
        OffsetCommitResponse response = c.request(ApiKeys.OFFSET_COMMIT, version, request);
        return Errors.forCode(response.data().topics().get(0).partitions().get(0).errorCode());
    }

    @Test
    void badHeartbeatsAndCommitsGetKafkasErrorCodesAndTheMemberCarriesOn() throws Exception {
        String group = broker.topic("kip848-errors-g");
        try (RawKafkaConnection c = RawKafkaConnection.open(broker.bootstrap())) {
            ConsumerGroupHeartbeatResponse joined = joinWhenReady(c, group, "member-good");
            int epoch = joined.data().memberEpoch();
            assertThat(epoch).isPositive();

            Map<String, Errors> got = new LinkedHashMap<>();
            got.put("empty group id", code(send(c, join("", "x"))));
            got.put("join without subscription", code(send(c, join(group, "x").setSubscribedTopicNames(null))));
            got.put("join without owned partitions", code(send(c, join(group, "x").setTopicPartitions(null))));
            got.put("join without rebalance timeout", code(send(c, join(group, "x").setRebalanceTimeoutMs(-1))));
            got.put("empty member id", code(send(c, join(group, ""))));
            got.put("epoch -3", code(send(c, beat(group, "member-good", -3))));
            got.put("static leave without instance id", code(send(c, beat(group, "member-good", -2))));
            got.put("unknown server assignor", code(send(c, join(group, "x").setServerAssignor("no-such-assignor"))));
            got.put("bad regex", code(send(c, join(group, "x").setSubscribedTopicNames(null).setSubscribedTopicRegex("[unclosed"))));
            got.put("unknown member", code(send(c, beat(group, "nobody", epoch))));
            got.put("epoch from the future", code(send(c, beat(group, "member-good", epoch + 5))));
            got.put("stale commit", commit(c, group, "member-good", epoch + 1, ApiKeys.OFFSET_COMMIT.latestVersion()));
            got.put("commit v8 from a member", commit(c, group, "member-good", epoch, (short) 8));
            got.put("commit without member to a live group", commit(c, group, "", -1, ApiKeys.OFFSET_COMMIT.latestVersion()));

            Map<String, Errors> kafka = new LinkedHashMap<>();
            kafka.put("empty group id", Errors.INVALID_REQUEST);
            kafka.put("join without subscription", Errors.INVALID_REQUEST);
            kafka.put("join without owned partitions", Errors.INVALID_REQUEST);
            kafka.put("join without rebalance timeout", Errors.INVALID_REQUEST);
            kafka.put("empty member id", Errors.INVALID_REQUEST);
            kafka.put("epoch -3", Errors.INVALID_REQUEST);
            kafka.put("static leave without instance id", Errors.INVALID_REQUEST);
            kafka.put("unknown server assignor", Errors.UNSUPPORTED_ASSIGNOR);
            kafka.put("bad regex", Errors.INVALID_REGULAR_EXPRESSION);
            kafka.put("unknown member", Errors.UNKNOWN_MEMBER_ID);
            kafka.put("epoch from the future", Errors.FENCED_MEMBER_EPOCH);
            kafka.put("stale commit", Errors.STALE_MEMBER_EPOCH);
            kafka.put("commit v8 from a member", Errors.UNSUPPORTED_VERSION);
            kafka.put("commit without member to a live group", Errors.UNKNOWN_MEMBER_ID);
            assertThat(got).isEqualTo(kafka);

            ConsumerGroupHeartbeatResponse ok = send(c, beat(group, "member-good", epoch));
            assertThat(code(ok)).isEqualTo(Errors.NONE);
            assertThat(commit(c, group, "member-good", ok.data().memberEpoch(), ApiKeys.OFFSET_COMMIT.latestVersion())).isEqualTo(Errors.NONE);
        }
    }

    @Test
    void aSecondStaticMemberWithTheSameInstanceIdIsRefusedUntilTheFirstLeaves() throws Exception {
        String group = broker.topic("kip848-static-g");
        try (RawKafkaConnection c = RawKafkaConnection.open(broker.bootstrap())) {
            joinWhenReady(c, group, "placeholder"); // makes sure the coordinator is ready; then the static members
            send(c, beat(group, "placeholder", -1));
            ConsumerGroupHeartbeatResponse first = send(c, join(group, "static-1").setInstanceId("instance-1"));
            assertThat(code(first)).isEqualTo(Errors.NONE);
            assertThat(code(send(c, join(group, "static-2").setInstanceId("instance-1")))).isEqualTo(Errors.UNRELEASED_INSTANCE_ID);
            assertThat(send(c, beat(group, "static-1", -2).setInstanceId("instance-1")).data().memberEpoch()).isEqualTo(-2);
            ConsumerGroupHeartbeatResponse second = send(c, join(group, "static-2").setInstanceId("instance-1"));
            assertThat(code(second)).isEqualTo(Errors.NONE);
        }
    }

    @Test
    void consumerGroupDescribeOfAClassicOrUnknownGroupIsGroupIdNotFound() throws Exception {
        String classic = broker.topic("kip848-classic-g");
        try (RawKafkaConnection c = RawKafkaConnection.open(broker.bootstrap())) {
            joinWhenReady(c, broker.topic("kip848-warmup-g"), "warmup");
            assertThat(commit(c, classic, "", -1, ApiKeys.OFFSET_COMMIT.latestVersion())).isEqualTo(Errors.NONE);
            ConsumerGroupDescribeResponse response = c.request(ApiKeys.CONSUMER_GROUP_DESCRIBE, ApiKeys.CONSUMER_GROUP_DESCRIBE.latestVersion(),
                    new ConsumerGroupDescribeRequestData().setGroupIds(List.of(classic, "kip848-never-heard-of")));
            assertThat(response.data().groups()).extracting(g -> Errors.forCode(g.errorCode()))
                    .containsExactly(Errors.GROUP_ID_NOT_FOUND, Errors.GROUP_ID_NOT_FOUND);
            Map<String, String> messages = new LinkedHashMap<>();
            response.data().groups().forEach(g -> messages.put(g.groupId(), g.errorMessage()));
            assertThat(messages).isEqualTo(Map.of(classic, "Group " + classic + " is not a consumer group.",
                    "kip848-never-heard-of", "Group kip848-never-heard-of not found."));
        }
    }

    private static Errors code(ConsumerGroupHeartbeatResponse r) {
        return Errors.forCode(r.data().errorCode());
    }
}
