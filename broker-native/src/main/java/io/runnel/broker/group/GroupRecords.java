package io.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.coordinator.group.generated.CoordinatorRecordType;
import org.apache.kafka.coordinator.group.generated.GroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.GroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.LegacyOffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.OffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.OffsetCommitValue;

/**
 * The records of {@code __consumer_offsets}, byte for byte as Kafka 4 writes them, so that Kafka's
 * tools can read a Runnel offsets topic and the other way round: the key is a 2-byte record type
 * (1 = offset commit, 2 = group metadata) followed by the key at version 0; the value is a 2-byte
 * version followed by the value at that version; a null value is a tombstone. KIP-848 groups'
 * records are in {@link ConsumerGroupRecords}. Stateless.
 */
final class GroupRecords {
    /** Kafka writes v1 when a commit carries its own expiry (old clients), else v3. */
    static final short OFFSET_VALUE_VERSION = 3;
    static final short OFFSET_VALUE_VERSION_WITH_EXPIRY = 1;
    static final short GROUP_VALUE_VERSION = 3;

    private GroupRecords() {}

    /** A decoded record: an offset commit (or its tombstone) or a group's metadata (or its tombstone). */
    sealed interface Decoded permits OffsetRecord, GroupRecord, Unknown, ConsumerGroupRecords.Decoded {}

    record OffsetRecord(String groupId, TopicPartition partition, CommittedOffset offset) implements Decoded {}

    record GroupRecord(String groupId, GroupMetadataValue value) implements Decoded {}

    /** A record type Runnel does not keep (share and streams groups, regular expressions): skipped on replay. */
    record Unknown(short type) implements Decoded {}

    static byte[] offsetKey(String groupId, TopicPartition tp) {
        return MessageUtil.toCoordinatorTypePrefixedBytes(new OffsetCommitKey().setGroup(groupId).setTopic(tp.topic()).setPartition(tp.partition()));
    }

    static byte[] offsetValue(CommittedOffset o) {
        boolean withExpiry = o.expireTimestampMs() >= 0;
        OffsetCommitValue value = new OffsetCommitValue().setOffset(o.offset()).setLeaderEpoch(o.leaderEpoch())
                .setMetadata(o.metadata() == null ? "" : o.metadata()).setCommitTimestamp(o.commitTimestampMs())
                .setExpireTimestamp(o.expireTimestampMs());
        return MessageUtil.toVersionPrefixedBytes(withExpiry ? OFFSET_VALUE_VERSION_WITH_EXPIRY : OFFSET_VALUE_VERSION, value);
    }

    static byte[] groupKey(String groupId) {
        return MessageUtil.toCoordinatorTypePrefixedBytes(new GroupMetadataKey().setGroup(groupId));
    }

    /** The group as Kafka persists it: only the selected protocol's metadata of each member, and its assignment. */
    static byte[] groupValue(ClassicGroup group) {
        List<GroupMetadataValue.MemberMetadata> members = new ArrayList<>();
        for (GroupMember m : group.members.values()) {
            members.add(new GroupMetadataValue.MemberMetadata().setMemberId(m.memberId).setGroupInstanceId(m.groupInstanceId)
                    .setClientId(m.clientId).setClientHost(m.clientHost).setRebalanceTimeout(m.rebalanceTimeoutMs)
                    .setSessionTimeout(m.sessionTimeoutMs)
                    .setSubscription(group.protocolName == null ? new byte[0] : m.protocols.getOrDefault(group.protocolName, new byte[0]))
                    .setAssignment(m.assignment));
        }
        GroupMetadataValue value = new GroupMetadataValue().setProtocolType(group.protocolType == null ? "" : group.protocolType)
                .setGeneration(group.generationId).setProtocol(group.protocolName).setLeader(group.leaderId)
                .setCurrentStateTimestamp(group.currentStateTimestampMs).setMembers(members);
        return MessageUtil.toVersionPrefixedBytes(GROUP_VALUE_VERSION, value);
    }

    /** Decodes one record of the offsets topic; throws on bytes that are not a record Kafka could have written. */
    static Decoded decode(Record record) {
        if (!record.hasKey()) throw new IllegalStateException("record without a key at offset " + record.offset());
        ByteBuffer key = record.key();
        short type = key.getShort();
        ByteBuffer value = record.hasValue() ? record.value() : null;
        if (type == CoordinatorRecordType.LEGACY_OFFSET_COMMIT.id() || type == CoordinatorRecordType.OFFSET_COMMIT.id()) {
            String group;
            String topic;
            int partition;
            if (type == CoordinatorRecordType.LEGACY_OFFSET_COMMIT.id()) {
                LegacyOffsetCommitKey k = new LegacyOffsetCommitKey(new ByteBufferAccessor(key), (short) 0);
                group = k.group();
                topic = k.topic();
                partition = k.partition();
            } else {
                OffsetCommitKey k = new OffsetCommitKey(new ByteBufferAccessor(key), (short) 0);
                group = k.group();
                topic = k.topic();
                partition = k.partition();
            }
            CommittedOffset offset = null;
            if (value != null) {
                OffsetCommitValue v = new OffsetCommitValue(new ByteBufferAccessor(value), value.getShort());
                offset = new CommittedOffset(v.offset(), v.leaderEpoch(), v.metadata(), v.commitTimestamp(), v.expireTimestamp(), record.offset());
            }
            return new OffsetRecord(group, new TopicPartition(topic, partition), offset);
        }
        if (type == CoordinatorRecordType.GROUP_METADATA.id()) {
            GroupMetadataKey k = new GroupMetadataKey(new ByteBufferAccessor(key), (short) 0);
            GroupMetadataValue v = value == null ? null : new GroupMetadataValue(new ByteBufferAccessor(value), value.getShort());
            return new GroupRecord(k.group(), v);
        }
        if (ConsumerGroupRecords.isConsumerGroupType(type)) return ConsumerGroupRecords.decode(type, key, value);
        return new Unknown(type);
    }

    /** Rebuilds a loaded group's members from its metadata record (Kafka: Empty if none, else Stable). */
    static void restore(ClassicGroup group, GroupMetadataValue value) {
        group.members.clear();
        group.staticMembers.clear();
        group.pendingMembers.clear();
        group.leaderId = null;
        group.numMembersAwaitingJoin = 0;
        group.protocolType = value.protocolType() == null || value.protocolType().isEmpty() ? null : value.protocolType();
        group.generationId = value.generation();
        group.protocolName = value.protocol();
        for (GroupMetadataValue.MemberMetadata m : value.members()) {
            LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
            if (value.protocol() != null) protocols.put(value.protocol(), m.subscription());
            GroupMember member = new GroupMember(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(),
                    m.rebalanceTimeout(), m.sessionTimeout(), protocols);
            member.assignment = m.assignment();
            group.add(member);
        }
        group.leaderId = value.leader() != null && group.hasMember(value.leader()) ? value.leader() : group.leaderId;
        group.restoreState(group.members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE,
                value.currentStateTimestamp() >= 0 ? value.currentStateTimestamp() : group.currentStateTimestampMs);
    }
}
