package io.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupCurrentMemberAssignmentKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupCurrentMemberAssignmentValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMemberMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMemberMetadataValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMemberKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMemberValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMetadataValue;

/**
 * The records of KIP-848 groups in {@code __consumer_offsets}, in Kafka 4's layout (record types 3
 * group epoch, 5 member subscription, 6 target epoch, 7 member target, 8 member's current
 * assignment; every value at version 0): a 2-byte type and the key, then a 2-byte version and the
 * value; a null value is a tombstone. Stateless.
 */
final class ConsumerGroupRecords {
    static final short GROUP_METADATA = 3;
    static final short MEMBER_METADATA = 5;
    static final short TARGET_METADATA = 6;
    static final short TARGET_MEMBER = 7;
    static final short CURRENT_ASSIGNMENT = 8;

    private ConsumerGroupRecords() {}

    /** A decoded record of a KIP-848 group; {@code value} is null for a tombstone. */
    record Decoded(short type, String groupId, String memberId, ApiMessage value) implements GroupRecords.Decoded {}

    static boolean isConsumerGroupType(short type) {
        return type == GROUP_METADATA || type == MEMBER_METADATA || type == TARGET_METADATA || type == TARGET_MEMBER || type == CURRENT_ASSIGNMENT;
    }

    // ------------------------------------------------------------------ encoding

    static SimpleRecord groupEpoch(long nowMs, String groupId, int epoch, long metadataHash) {
        return record(nowMs, new ConsumerGroupMetadataKey().setGroupId(groupId),
                new ConsumerGroupMetadataValue().setEpoch(epoch).setMetadataHash(metadataHash));
    }

    static SimpleRecord groupEpochTombstone(long nowMs, String groupId) {
        return record(nowMs, new ConsumerGroupMetadataKey().setGroupId(groupId), null);
    }

    static SimpleRecord memberMetadata(long nowMs, String groupId, ConsumerGroupMember m) {
        return record(nowMs, new ConsumerGroupMemberMetadataKey().setGroupId(groupId).setMemberId(m.memberId()),
                new ConsumerGroupMemberMetadataValue().setInstanceId(m.instanceId()).setRackId(m.rackId()).setClientId(m.clientId())
                        .setClientHost(m.clientHost()).setSubscribedTopicNames(m.subscribedTopicNames())
                        .setSubscribedTopicRegex(m.subscribedTopicRegex()).setServerAssignor(m.serverAssignor())
                        .setRebalanceTimeoutMs(m.rebalanceTimeoutMs()));
    }

    static SimpleRecord memberMetadataTombstone(long nowMs, String groupId, String memberId) {
        return record(nowMs, new ConsumerGroupMemberMetadataKey().setGroupId(groupId).setMemberId(memberId), null);
    }

    static SimpleRecord targetEpoch(long nowMs, String groupId, int assignmentEpoch) {
        return record(nowMs, new ConsumerGroupTargetAssignmentMetadataKey().setGroupId(groupId),
                new ConsumerGroupTargetAssignmentMetadataValue().setAssignmentEpoch(assignmentEpoch).setAssignmentTimestamp(nowMs));
    }

    static SimpleRecord targetEpochTombstone(long nowMs, String groupId) {
        return record(nowMs, new ConsumerGroupTargetAssignmentMetadataKey().setGroupId(groupId), null);
    }

    static SimpleRecord targetMember(long nowMs, String groupId, String memberId, Map<Uuid, Set<Integer>> target) {
        List<ConsumerGroupTargetAssignmentMemberValue.TopicPartition> topics = new ArrayList<>();
        target.forEach((t, ps) -> topics.add(new ConsumerGroupTargetAssignmentMemberValue.TopicPartition().setTopicId(t)
                .setPartitions(new ArrayList<>(ps))));
        return record(nowMs, new ConsumerGroupTargetAssignmentMemberKey().setGroupId(groupId).setMemberId(memberId),
                new ConsumerGroupTargetAssignmentMemberValue().setTopicPartitions(topics));
    }

    static SimpleRecord targetMemberTombstone(long nowMs, String groupId, String memberId) {
        return record(nowMs, new ConsumerGroupTargetAssignmentMemberKey().setGroupId(groupId).setMemberId(memberId), null);
    }

    static SimpleRecord currentAssignment(long nowMs, String groupId, String memberId, MemberAssignmentState a) {
        return record(nowMs, new ConsumerGroupCurrentMemberAssignmentKey().setGroupId(groupId).setMemberId(memberId),
                new ConsumerGroupCurrentMemberAssignmentValue().setMemberEpoch(a.memberEpoch()).setPreviousMemberEpoch(a.previousMemberEpoch())
                        .setState(a.state().value).setAssignedPartitions(partitions(a.assigned()))
                        .setPartitionsPendingRevocation(partitions(a.pendingRevocation())));
    }

    static SimpleRecord currentAssignmentTombstone(long nowMs, String groupId, String memberId) {
        return record(nowMs, new ConsumerGroupCurrentMemberAssignmentKey().setGroupId(groupId).setMemberId(memberId), null);
    }

    /** The three tombstones that take a member out, in Kafka's order. */
    static List<SimpleRecord> memberTombstones(long nowMs, String groupId, String memberId) {
        return List.of(currentAssignmentTombstone(nowMs, groupId, memberId), targetMemberTombstone(nowMs, groupId, memberId),
                memberMetadataTombstone(nowMs, groupId, memberId));
    }

    private static List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> partitions(Map<Uuid, Set<Integer>> assigned) {
        List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> out = new ArrayList<>();
        assigned.forEach((t, ps) -> out.add(new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions().setTopicId(t)
                .setPartitions(new ArrayList<>(ps))));
        return out;
    }

    private static SimpleRecord record(long nowMs, ApiMessage key, ApiMessage value) {
        return new SimpleRecord(nowMs, MessageUtil.toCoordinatorTypePrefixedBytes(key),
                value == null ? null : MessageUtil.toVersionPrefixedBytes((short) 0, value));
    }

    // ------------------------------------------------------------------ decoding

    /** Decodes a record whose 2-byte type ({@link #isConsumerGroupType}) was already read from {@code key}. */
    static Decoded decode(short type, ByteBuffer key, ByteBuffer value) {
        ByteBufferAccessor k = new ByteBufferAccessor(key);
        ByteBufferAccessor v = value == null ? null : new ByteBufferAccessor(value);
        short version = value == null ? 0 : value.getShort();
        return switch (type) {
            case GROUP_METADATA -> new Decoded(type, new ConsumerGroupMetadataKey(k, (short) 0).groupId(), null,
                    v == null ? null : new ConsumerGroupMetadataValue(v, version));
            case MEMBER_METADATA -> {
                ConsumerGroupMemberMetadataKey mk = new ConsumerGroupMemberMetadataKey(k, (short) 0);
                yield new Decoded(type, mk.groupId(), mk.memberId(), v == null ? null : new ConsumerGroupMemberMetadataValue(v, version));
            }
            case TARGET_METADATA -> new Decoded(type, new ConsumerGroupTargetAssignmentMetadataKey(k, (short) 0).groupId(), null,
                    v == null ? null : new ConsumerGroupTargetAssignmentMetadataValue(v, version));
            case TARGET_MEMBER -> {
                ConsumerGroupTargetAssignmentMemberKey tk = new ConsumerGroupTargetAssignmentMemberKey(k, (short) 0);
                yield new Decoded(type, tk.groupId(), tk.memberId(), v == null ? null : new ConsumerGroupTargetAssignmentMemberValue(v, version));
            }
            case CURRENT_ASSIGNMENT -> {
                ConsumerGroupCurrentMemberAssignmentKey ck = new ConsumerGroupCurrentMemberAssignmentKey(k, (short) 0);
                yield new Decoded(type, ck.groupId(), ck.memberId(), v == null ? null : new ConsumerGroupCurrentMemberAssignmentValue(v, version));
            }
            default -> throw new IllegalArgumentException("not a consumer group record type: " + type);
        };
    }

    static ConsumerGroupMember member(String memberId, ConsumerGroupMemberMetadataValue v, MemberAssignmentState assignment) {
        return new ConsumerGroupMember(memberId, v.instanceId(), v.rackId(), v.clientId(), v.clientHost(), v.subscribedTopicNames(),
                v.subscribedTopicRegex(), v.serverAssignor(), v.rebalanceTimeoutMs(), assignment);
    }

    static Map<Uuid, Set<Integer>> target(ConsumerGroupTargetAssignmentMemberValue v) {
        Map<Uuid, List<Integer>> out = new HashMap<>();
        for (var tp : v.topicPartitions()) out.computeIfAbsent(tp.topicId(), k -> new ArrayList<>()).addAll(tp.partitions());
        return TopicPartitionSets.copyOf(out);
    }

    static MemberAssignmentState assignment(ConsumerGroupCurrentMemberAssignmentValue v) {
        return new MemberAssignmentState(v.memberEpoch(), v.previousMemberEpoch(), MemberState.of(v.state()),
                toMap(v.assignedPartitions()), toMap(v.partitionsPendingRevocation()));
    }

    private static Map<Uuid, Set<Integer>> toMap(List<ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions> list) {
        Map<Uuid, List<Integer>> out = new HashMap<>();
        for (var tp : list) out.computeIfAbsent(tp.topicId(), k -> new ArrayList<>()).addAll(tp.partitions());
        return TopicPartitionSets.copyOf(out);
    }
}
