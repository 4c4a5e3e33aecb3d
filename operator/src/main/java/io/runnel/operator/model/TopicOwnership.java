package io.runnel.operator.model;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import io.runnel.operator.api.Topic;

/**
 * One Kafka topic, one Topic resource: when several resources in a namespace name the same topic of
 * the same Cluster, the oldest manages it and the others are refused, so that deleting a duplicate
 * never deletes the topic the first one manages. Pure.
 */
public final class TopicOwnership {
    private TopicOwnership() {
    }

    /**
     * The resource that manages {@code topic}'s Kafka topic when it is another one: the oldest live
     * resource naming it. For a resource being deleted, any other live resource naming the topic,
     * which then keeps it.
     */
    public static Optional<Topic> managedByAnother(Topic topic, List<Topic> namespaceTopics) {
        Comparator<Topic> oldestFirst = Comparator.comparing((Topic t) -> t.getMetadata().getCreationTimestamp())
                .thenComparing(t -> t.getMetadata().getName());
        Optional<Topic> oldestOther = namespaceTopics.stream()
                .filter(t -> t.getSpec() != null && t.getSpec().cluster.equals(topic.getSpec().cluster))
                .filter(t -> t.topicName().equals(topic.topicName()))
                .filter(t -> t.getMetadata().getDeletionTimestamp() == null)
                .filter(t -> !t.getMetadata().getUid().equals(topic.getMetadata().getUid()))
                .min(oldestFirst);
        if (topic.getMetadata().getDeletionTimestamp() != null) return oldestOther;
        return oldestOther.filter(other -> oldestFirst.compare(other, topic) < 0);
    }
}
