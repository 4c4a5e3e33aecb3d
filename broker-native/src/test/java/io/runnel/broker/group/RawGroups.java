package io.runnel.broker.group;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;

import io.runnel.broker.protocol.RawKafkaClient;

/** Group protocol steps over a {@link RawKafkaClient}, at the latest versions unless told. Test only. */
final class RawGroups {
    private RawGroups() {}

    /** A member as the broker sees it after JoinGroup. */
    record Joined(JoinGroupResponseData response) {
        String memberId() {
            return response.memberId();
        }

        int generation() {
            return response.generationId();
        }

        boolean isLeader() {
            return response.leader().equals(response.memberId());
        }
    }

    static byte[] subscription(String... topics) {
        return Utils.toArray(ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(List.of(topics))));
    }

    static byte[] assignment(TopicPartition... partitions) {
        return Utils.toArray(ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(List.of(partitions))));
    }

    static List<TopicPartition> partitionsOf(byte[] assignment) {
        return ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions();
    }

    static FindCoordinatorResponseData findCoordinator(RawKafkaClient client, String group) throws IOException {
        return (FindCoordinatorResponseData) client.send(ApiKeys.FIND_COORDINATOR, ApiKeys.FIND_COORDINATOR.latestVersion(),
                new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of(group)));
    }

    static JoinGroupRequestData joinRequest(String group, String memberId, String instanceId, String protocolType, byte[] metadata) {
        JoinGroupRequestData request = new JoinGroupRequestData().setGroupId(group).setMemberId(memberId).setGroupInstanceId(instanceId)
                .setSessionTimeoutMs(30_000).setRebalanceTimeoutMs(10_000).setProtocolType(protocolType);
        request.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(metadata));
        return request;
    }

    static JoinGroupResponseData join(RawKafkaClient client, JoinGroupRequestData request) throws IOException {
        return (JoinGroupResponseData) client.send(ApiKeys.JOIN_GROUP, ApiKeys.JOIN_GROUP.latestVersion(), request);
    }

    /** Joins as a new member (taking the MEMBER_ID_REQUIRED round trip of v4+ for dynamic members). */
    static Joined joinNew(RawKafkaClient client, String group, String instanceId, String topic) throws IOException {
        JoinGroupResponseData first = join(client, joinRequest(group, "", instanceId, "consumer", subscription(topic)));
        if (first.errorCode() != Errors.MEMBER_ID_REQUIRED.code()) return new Joined(first);
        return new Joined(join(client, joinRequest(group, first.memberId(), instanceId, "consumer", subscription(topic))));
    }

    static SyncGroupResponseData sync(RawKafkaClient client, String group, Joined joined, String instanceId, byte[] ownAssignment) throws IOException {
        SyncGroupRequestData request = new SyncGroupRequestData().setGroupId(group).setGenerationId(joined.generation())
                .setMemberId(joined.memberId()).setGroupInstanceId(instanceId).setProtocolType("consumer").setProtocolName("range");
        if (joined.isLeader() && !joined.response().skipAssignment()) {
            request.assignments().add(new SyncGroupRequestData.SyncGroupRequestAssignment().setMemberId(joined.memberId()).setAssignment(ownAssignment));
        }
        return (SyncGroupResponseData) client.send(ApiKeys.SYNC_GROUP, ApiKeys.SYNC_GROUP.latestVersion(), request);
    }

    static Errors heartbeat(RawKafkaClient client, String group, int generation, String memberId, String instanceId) throws IOException {
        var response = (HeartbeatResponseData) client.send(ApiKeys.HEARTBEAT, ApiKeys.HEARTBEAT.latestVersion(),
                new HeartbeatRequestData().setGroupId(group).setGenerationId(generation).setMemberId(memberId).setGroupInstanceId(instanceId));
        return Errors.forCode(response.errorCode());
    }

    /** Commits one offset by topic name (v9) and returns that partition's error. */
    static Errors commit(RawKafkaClient client, String group, int generation, String memberId, String topic, int partition, long offset)
            throws IOException {
        OffsetCommitRequestData request = new OffsetCommitRequestData().setGroupId(group).setGenerationIdOrMemberEpoch(generation)
                .setMemberId(memberId).setTopics(List.of(new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic)
                        .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(partition)
                                .setCommittedOffset(offset).setCommittedMetadata("m")))));
        var response = (OffsetCommitResponseData) client.send(ApiKeys.OFFSET_COMMIT, (short) 9, request);
        return Errors.forCode(response.topics().get(0).partitions().get(0).errorCode());
    }
}
