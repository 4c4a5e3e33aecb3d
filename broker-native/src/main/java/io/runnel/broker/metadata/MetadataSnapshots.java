package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * Snapshots of the metadata, as KRaft takes them: every node writes its committed image as
 * metadata records into a kafka-raft snapshot once {@code metadata.log.max.record.bytes.between.snapshots}
 * of records were applied since the last one (or {@code metadata.log.max.snapshot.interval.ms}
 * passed with any), so that a restart or a new member replays the snapshot plus a short log tail,
 * and the log before it can be deleted by retention. Replaying the records of {@link #records}
 * onto an empty image gives the same image back.
 *
 * <p>Threading: the metadata thread only.
 */
final class MetadataSnapshots {
    private final long maxBytesBetween;
    private final long maxIntervalMs;
    private long bytesSinceLast;
    private long lastMs;

    MetadataSnapshots(long maxBytesBetween, long maxIntervalMs, long nowMs) {
        this.maxBytesBetween = maxBytesBetween;
        this.maxIntervalMs = maxIntervalMs;
        this.lastMs = nowMs;
    }

    /** Counts a committed batch's records toward the next snapshot. */
    void applied(List<ApiMessageAndVersion> records) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        for (ApiMessageAndVersion r : records) bytesSinceLast += r.message().size(cache, r.version());
    }

    boolean due(long nowMs) {
        return bytesSinceLast >= maxBytesBetween || (bytesSinceLast > 0 && nowMs - lastMs >= maxIntervalMs);
    }

    void taken(long nowMs) {
        bytesSinceLast = 0;
        lastMs = nowMs;
    }

    /**
     * The image as records: brokers, dynamic broker configs, topics with their configs and
     * partitions, the producer id block, SCRAM credentials, client quotas, ACLs.
     */
    static List<ApiMessageAndVersion> records(MetadataImage image) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (BrokerImage b : image.brokers().values()) records.add(MetadataController.registerBrokerRecord(b));
        image.brokerConfigs().forEach((resource, configs) ->
                configs.forEach((k, v) -> records.add(MetadataController.brokerConfigRecord(resource, k, v))));
        for (TopicImage topic : image.topicsByName().values()) {
            records.add(new ApiMessageAndVersion(new TopicRecord().setName(topic.name()).setTopicId(topic.id()), (short) 0));
            for (Map.Entry<String, String> c : topic.configs().entrySet())
                records.add(MetadataController.configRecord(topic.name(), c.getKey(), c.getValue()));
            for (PartitionImage p : topic.partitions().values())
                records.add(new ApiMessageAndVersion(new PartitionRecord().setTopicId(topic.id()).setPartitionId(p.partitionId())
                        .setReplicas(p.replicas()).setIsr(p.isr()).setLeader(p.leader()).setLeaderEpoch(p.leaderEpoch())
                        .setPartitionEpoch(p.partitionEpoch()).setAddingReplicas(p.addingReplicas()).setRemovingReplicas(p.removingReplicas()),
                        (short) 0));
        }
        if (image.nextProducerId() > 0)
            records.add(new ApiMessageAndVersion(new ProducerIdsRecord().setBrokerId(-1).setBrokerEpoch(-1).setNextProducerId(image.nextProducerId()),
                    (short) 0));
        records.addAll(image.scram().records());
        records.addAll(image.clientQuotas().records());
        records.addAll(image.acls().records());
        return records;
    }
}
