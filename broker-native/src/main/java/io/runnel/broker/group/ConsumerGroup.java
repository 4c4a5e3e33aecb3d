package io.runnel.broker.group;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.Uuid;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.apache.kafka.common.internals.Topic;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * One KIP-848 consumer group: its epoch, its members, the target assignment the server-side
 * assignor computed (at the assignment epoch) and which member owns each partition now.
 *
 * <p>Invariants: the assignment epoch never exceeds the group epoch (while it is lower, a new
 * target is due); a partition has at most one owner, counting partitions a member is still
 * revoking, and {@link #owners} always matches the members' assignments because members only
 * change through {@link #putMember} and {@link #removeMember}; every static member's instance id
 * maps to its member id. Threading: confined to its shard's thread.
 */
final class ConsumerGroup extends Group {
    int groupEpoch;
    /** A hash of the subscribed topics' ids and partition counts when the epoch was last bumped. */
    long metadataHash;
    int assignmentEpoch;
    /** When the target was last computed (not persisted: after a restart the next one may come at once). */
    long lastAssignmentMs = Long.MIN_VALUE / 2;
    final LinkedHashMap<String, ConsumerGroupMember> members = new LinkedHashMap<>();
    final Map<String, String> staticMembers = new HashMap<>();
    Map<String, Map<Uuid, Set<Integer>>> targetAssignment = Map.of();
    private final Map<Uuid, Map<Integer, String>> owners = new HashMap<>();
    /** Per member: when its session ends, and its timers. */
    final Map<String, Long> sessionDeadlinesMs = new HashMap<>();
    final Map<String, ScheduledFuture<?>> sessionTimers = new HashMap<>();
    final Map<String, ScheduledFuture<?>> rebalanceTimers = new HashMap<>();
    private final Map<String, Pattern> patterns = new HashMap<>();

    ConsumerGroup(String groupId) {
        super(groupId);
    }

    /** Kafka's names for the states of a consumer group, as DescribeGroups/ListGroups report them. */
    String state() {
        if (members.isEmpty()) return "Empty";
        if (groupEpoch > assignmentEpoch) return "Assigning";
        for (ConsumerGroupMember m : members.values()) {
            if (m.memberEpoch() != assignmentEpoch || m.assignment().state() != MemberState.STABLE) return "Reconciling";
        }
        return "Stable";
    }

    void putMember(ConsumerGroupMember member) {
        ConsumerGroupMember old = members.put(member.memberId(), member);
        if (old != null) release(old);
        claim(member);
        if (member.instanceId() != null) staticMembers.put(member.instanceId(), member.memberId());
    }

    ConsumerGroupMember removeMember(String memberId) {
        ConsumerGroupMember old = members.remove(memberId);
        if (old == null) return null;
        release(old);
        if (old.instanceId() != null) staticMembers.remove(old.instanceId(), memberId);
        sessionDeadlinesMs.remove(memberId);
        return old;
    }

    /** The member that owns (or is revoking) a partition, or null. */
    String ownerOf(Uuid topicId, int partition) {
        Map<Integer, String> byPartition = owners.get(topicId);
        return byPartition == null ? null : byPartition.get(partition);
    }

    private void claim(ConsumerGroupMember m) {
        forEach(m.assignment().assigned(), (t, p) -> owners.computeIfAbsent(t, k -> new HashMap<>()).put(p, m.memberId()));
        forEach(m.assignment().pendingRevocation(), (t, p) -> owners.computeIfAbsent(t, k -> new HashMap<>()).put(p, m.memberId()));
    }

    private void release(ConsumerGroupMember m) {
        java.util.function.BiConsumer<Uuid, Integer> drop = (t, p) -> {
            Map<Integer, String> byPartition = owners.get(t);
            if (byPartition != null && byPartition.remove(p, m.memberId()) && byPartition.isEmpty()) owners.remove(t);
        };
        forEach(m.assignment().assigned(), drop);
        forEach(m.assignment().pendingRevocation(), drop);
    }

    private static void forEach(Map<Uuid, Set<Integer>> partitions, java.util.function.BiConsumer<Uuid, Integer> action) {
        partitions.forEach((t, ps) -> ps.forEach(p -> action.accept(t, p)));
    }

    /**
     * The topics a member consumes now: its names, plus the topics its regular expression matches
     * (internal topics never), that exist in the image.
     */
    Set<String> subscribedTopics(ConsumerGroupMember member, MetadataImage image) {
        Set<String> topics = new TreeSet<>();
        for (String name : member.subscribedTopicNames()) {
            if (image.topic(name) != null) topics.add(name);
        }
        Pattern pattern = pattern(member.subscribedTopicRegex());
        if (pattern != null) {
            for (String name : image.topicsByName().keySet()) {
                if (!Topic.isInternal(name) && pattern.matcher(name).matches()) topics.add(name);
            }
        }
        return topics;
    }

    private Pattern pattern(String regex) {
        if (regex == null || regex.isEmpty()) return null;
        return patterns.computeIfAbsent(regex, r -> {
            try {
                return Pattern.compile(r);
            } catch (PatternSyntaxException e) {
                return null; // validated when the member joined; a record written elsewhere matches nothing
            }
        });
    }

    /** Every topic some member consumes now. */
    Set<String> subscribedTopics(Map<String, ConsumerGroupMember> of, MetadataImage image) {
        Set<String> topics = new TreeSet<>();
        for (ConsumerGroupMember m : of.values()) topics.addAll(subscribedTopics(m, image));
        return topics;
    }

    /** Changes when a subscribed topic is created, deleted, recreated or grows partitions: then the target must be recomputed. */
    static long metadataHash(Set<String> topics, MetadataImage image) {
        long hash = 17;
        for (String name : topics) {
            TopicImage topic = image.topic(name);
            if (topic == null) continue;
            hash = hash * 31 + name.hashCode();
            hash = hash * 31 + topic.id().hashCode();
            hash = hash * 31 + topic.partitionCount();
        }
        return hash;
    }

    @Override
    boolean isSubscribedTo(String topic) {
        for (ConsumerGroupMember m : members.values()) {
            if (m.subscribedTopicNames().contains(topic)) return true;
            Pattern pattern = pattern(m.subscribedTopicRegex());
            if (pattern != null && pattern.matcher(topic).matches()) return true;
        }
        return false;
    }
}
