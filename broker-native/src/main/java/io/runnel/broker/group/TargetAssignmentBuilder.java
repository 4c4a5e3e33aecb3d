package io.runnel.broker.group;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.api.assignor.GroupAssignment;
import org.apache.kafka.coordinator.group.api.assignor.GroupSpec;
import org.apache.kafka.coordinator.group.api.assignor.MemberAssignment;
import org.apache.kafka.coordinator.group.api.assignor.MemberSubscription;
import org.apache.kafka.coordinator.group.api.assignor.SubscribedTopicDescriber;
import org.apache.kafka.coordinator.group.api.assignor.SubscriptionType;
import org.apache.kafka.coordinator.group.modern.MemberAssignmentImpl;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * Computes a KIP-848 group's target assignment with a server-side assignor: presents the members'
 * subscriptions (as topic ids), the previous target (so the assignor can be sticky) and the topics'
 * partition counts through Kafka's assignor interfaces. Racks are not passed: Runnel places no
 * replicas by rack yet. A pure function of its inputs.
 */
final class TargetAssignmentBuilder {
    private TargetAssignmentBuilder() {}

    /**
     * @param subscriptions each member's subscribed topic names, resolved against {@code image}
     * @param previous      the current target, by member id
     * @return the new target of every member (members with nothing get an empty map)
     */
    static Map<String, Map<Uuid, Set<Integer>>> compute(ConsumerGroupPartitionAssignor assignor, Map<String, ConsumerGroupMember> members,
                                                       Map<String, Set<String>> subscriptions, MetadataImage image,
                                                       Map<String, Map<Uuid, Set<Integer>>> previous) {
        Map<String, MemberSubscription> specs = new HashMap<>();
        Set<Set<Uuid>> distinct = new HashSet<>();
        for (ConsumerGroupMember m : members.values()) {
            Set<Uuid> topicIds = new HashSet<>();
            for (String name : subscriptions.getOrDefault(m.memberId(), Set.of())) {
                TopicImage topic = image.topic(name);
                if (topic != null) topicIds.add(topic.id());
            }
            distinct.add(topicIds);
            specs.put(m.memberId(), new Subscription(Optional.ofNullable(m.instanceId()), Set.copyOf(topicIds)));
        }
        Map<Uuid, Set<Integer>> assignedNow = new HashMap<>();
        Map<String, MemberAssignment> prior = new HashMap<>();
        for (ConsumerGroupMember m : members.values()) {
            Map<Uuid, Set<Integer>> p = previous.getOrDefault(m.memberId(), TopicPartitionSets.EMPTY);
            prior.put(m.memberId(), new MemberAssignmentImpl(p));
            p.forEach((t, ps) -> assignedNow.computeIfAbsent(t, k -> new HashSet<>()).addAll(ps));
        }
        SubscriptionType type = distinct.size() <= 1 ? SubscriptionType.HOMOGENEOUS : SubscriptionType.HETEROGENEOUS;
        GroupSpec spec = new Spec(specs, prior, type, assignedNow);
        SubscribedTopicDescriber topics = new SubscribedTopicDescriber() {
            @Override
            public int numPartitions(Uuid topicId) {
                TopicImage topic = image.topic(topicId);
                return topic == null ? -1 : topic.partitionCount();
            }

            @Override
            public Set<String> racksForPartition(Uuid topicId, int partition) {
                return Set.of();
            }
        };
        GroupAssignment result = assignor.assign(spec, topics);
        Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>();
        for (ConsumerGroupMember m : members.values()) {
            MemberAssignment a = result.members().get(m.memberId());
            target.put(m.memberId(), a == null ? TopicPartitionSets.EMPTY : TopicPartitionSets.copyOf(a.partitions()));
        }
        return target;
    }

    private record Subscription(Optional<String> instanceId, Set<Uuid> subscribedTopicIds) implements MemberSubscription {
        @Override
        public Optional<String> rackId() {
            return Optional.empty();
        }
    }

    private record Spec(Map<String, MemberSubscription> subscriptions, Map<String, MemberAssignment> assignments,
                        SubscriptionType subscriptionType, Map<Uuid, Set<Integer>> assignedNow) implements GroupSpec {
        @Override
        public Collection<String> memberIds() {
            return subscriptions.keySet();
        }

        @Override
        public boolean isPartitionAssigned(Uuid topicId, int partition) {
            Set<Integer> ps = assignedNow.get(topicId);
            return ps != null && ps.contains(partition);
        }

        @Override
        public boolean isPartitionAssignable(Uuid topicId, int partition) {
            return true;
        }

        @Override
        public MemberSubscription memberSubscription(String memberId) {
            MemberSubscription s = subscriptions.get(memberId);
            if (s == null) throw new IllegalArgumentException("member " + memberId + " is not in the group");
            return s;
        }

        @Override
        public MemberAssignment memberAssignment(String memberId) {
            MemberAssignment a = assignments.get(memberId);
            return a != null ? a : new MemberAssignmentImpl(TopicPartitionSets.EMPTY);
        }
    }
}
