package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.runnel.operator.api.Topic;
import io.runnel.operator.api.TopicSpec;

/** Which of several Topic resources naming one Kafka topic manages it. */
class TopicOwnershipTest {
    private static Topic topic(String name, String kafkaName, String cluster, String created) {
        Topic t = new Topic();
        t.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("prod").withUid("uid-" + name).withCreationTimestamp(created).build());
        t.setSpec(new TopicSpec());
        t.getSpec().cluster = cluster;
        t.getSpec().topicName = kafkaName;
        return t;
    }

    @Test
    void theOldestResourceManagesTheTopicAndAYoungerDuplicateIsRefused() {
        Topic first = topic("orders", null, "events", "2026-11-24T10:00:00Z");
        Topic duplicate = topic("orders-copy", "orders", "events", "2026-11-24T11:00:00Z");
        Topic otherCluster = topic("orders-elsewhere", "orders", "archive", "2026-11-24T09:00:00Z");
        List<Topic> all = List.of(duplicate, first, otherCluster);
        assertThat(TopicOwnership.managedByAnother(first, all)).isEmpty();
        assertThat(TopicOwnership.managedByAnother(duplicate, all)).map(t -> t.getMetadata().getName()).contains("orders");
        assertThat(TopicOwnership.managedByAnother(otherCluster, all)).isEmpty();
    }

    @Test
    void aResourceBeingDeletedHandsTheTopicOverToTheNextOldest() {
        Topic first = topic("orders", null, "events", "2026-11-24T10:00:00Z");
        first.getMetadata().setDeletionTimestamp("2026-11-24T12:00:00Z");
        Topic duplicate = topic("orders-copy", "orders", "events", "2026-11-24T11:00:00Z");
        assertThat(TopicOwnership.managedByAnother(duplicate, List.of(first, duplicate))).isEmpty();
        // ...and the one being deleted does not delete the topic now managed by the other.
        assertThat(TopicOwnership.managedByAnother(first, List.of(first, duplicate))).map(t -> t.getMetadata().getName()).contains("orders-copy");
    }
}
