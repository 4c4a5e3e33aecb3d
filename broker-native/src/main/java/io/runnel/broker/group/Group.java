package io.runnel.broker.group;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * What every group on a shard has, whatever its protocol: an id and the offsets it committed. A
 * group is either a {@link ClassicGroup} (JoinGroup/SyncGroup, or only commits) or a
 * {@link ConsumerGroup} (KIP-848); the shard never holds both for one id. Confined to the shard's thread.
 */
abstract sealed class Group permits ClassicGroup, ConsumerGroup {
    final String groupId;
    final Map<TopicPartition, CommittedOffset> offsets = new HashMap<>();

    Group(String groupId) {
        this.groupId = groupId;
    }

    /** Whether the group's members consume {@code topic} now; their offsets for it must not be deleted or expired. */
    abstract boolean isSubscribedTo(String topic);
}
