package io.runnel.broker.api;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;

/**
 * Resolves a (topic name or topic id, partition) from a request to the partition this broker
 * leads, or to the exact error Kafka returns for it (NOT_LEADER_OR_FOLLOWER for a replica this
 * broker only follows). Stateless.
 */
final class PartitionLookup {

    /** Either a partition or the error to answer with. */
    record Resolved(TopicImage topic, Partition partition, Errors error) {}

    private PartitionLookup() {}

    /** {@code topicId} is used when {@code name} is null or empty (request versions with topic ids). */
    static Resolved resolve(MetadataImage image, ReplicaManager replicas, String name, Uuid topicId, int partitionIndex) {
        boolean byId = (name == null || name.isEmpty()) && topicId != null && !topicId.equals(Uuid.ZERO_UUID);
        TopicImage topic = byId ? image.topic(topicId) : image.topic(name);
        if (topic == null) return new Resolved(null, null, byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION);
        if (topic.partition(partitionIndex) == null) return new Resolved(topic, null, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        Partition partition = replicas.partition(new TopicPartition(topic.name(), partitionIndex));
        if (partition == null || !partition.topicId().equals(topic.id())) return new Resolved(topic, null, Errors.NOT_LEADER_OR_FOLLOWER);
        // Produce, fetch and offset lookups are the leader's: a follower's copy may be behind or cut back.
        // The image decides, not the replica: the replica takes a new role on its I/O thread a moment
        // after the image is published, and whatever this request queues there runs after that.
        if (topic.partition(partitionIndex).leader() != partition.localBrokerId()) return new Resolved(topic, null, Errors.NOT_LEADER_OR_FOLLOWER);
        return new Resolved(topic, partition, Errors.NONE);
    }
}
