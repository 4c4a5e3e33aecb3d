package io.runnel.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * Which committed offsets {@code offsets.retention.minutes} has expired, as Kafka decides it:
 * <ol>
 *   <li>an offset committed with its own expiry (OffsetCommit v2-v4 retention time) expires then;</li>
 *   <li>an Empty group of a protocol (a consumer group whose members all left) loses its offsets
 *       once the retention has passed since it became Empty;</li>
 *   <li>a group with no protocol (a simple consumer or the admin client committing) loses each
 *       offset once the retention has passed since that offset was committed;</li>
 *   <li>a group of the consumer protocol with members keeps the offsets of topics it subscribes to
 *       and loses the others after the retention since their commit;</li>
 *   <li>any other group with members keeps everything.</li>
 * </ol>
 * A pure function of the group and the clock.
 */
final class OffsetExpiry {
    private OffsetExpiry() {}

    static List<TopicPartition> expired(ClassicGroup group, long nowMs, long retentionMs) {
        List<TopicPartition> expired = new ArrayList<>();
        boolean hasProtocol = group.protocolType != null && !group.protocolType.isEmpty();
        boolean empty = group.is(GroupState.EMPTY);
        boolean stableConsumer = group.is(GroupState.STABLE)
                && org.apache.kafka.clients.consumer.internals.ConsumerProtocol.PROTOCOL_TYPE.equals(group.protocolType);
        for (Map.Entry<TopicPartition, CommittedOffset> e : group.offsets.entrySet()) {
            CommittedOffset o = e.getValue();
            boolean gone;
            if (hasProtocol && empty) {
                gone = isExpired(o, nowMs, retentionMs, group.currentStateTimestampMs);
            } else if (!hasProtocol) {
                gone = isExpired(o, nowMs, retentionMs, o.commitTimestampMs());
            } else if (stableConsumer && !group.isSubscribedTo(e.getKey().topic())) {
                gone = isExpired(o, nowMs, retentionMs, o.commitTimestampMs());
            } else {
                gone = false;
            }
            if (gone) expired.add(e.getKey());
        }
        return expired;
    }

    /**
     * A KIP-848 group, as Kafka decides it: an offset of a topic no member subscribes to (all of
     * them once the group is empty) expires the retention after its commit.
     */
    static List<TopicPartition> expired(ConsumerGroup group, long nowMs, long retentionMs) {
        List<TopicPartition> expired = new ArrayList<>();
        for (Map.Entry<TopicPartition, CommittedOffset> e : group.offsets.entrySet()) {
            if (!group.isSubscribedTo(e.getKey().topic()) && isExpired(e.getValue(), nowMs, retentionMs, e.getValue().commitTimestampMs()))
                expired.add(e.getKey());
        }
        return expired;
    }

    private static boolean isExpired(CommittedOffset o, long nowMs, long retentionMs, long baseTimestampMs) {
        if (o.expireTimestampMs() >= 0) return nowMs >= o.expireTimestampMs();
        return nowMs - baseTimestampMs >= retentionMs;
    }
}
