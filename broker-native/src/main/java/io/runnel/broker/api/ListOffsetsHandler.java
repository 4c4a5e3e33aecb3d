package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.FileRecords.TimestampAndOffset;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * ListOffsets: earliest, latest, by timestamp (first record at or after it) and max timestamp.
 * There is no tiered storage: "earliest local" is the earliest, and "latest tiered" / "earliest
 * pending upload" find nothing (-1), as on a Kafka broker without remote storage.
 */
public final class ListOffsetsHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;

    private final Authorization authorization;

    public ListOffsetsHandler(MetadataController controller, ReplicaManager replicas) {
        this(controller, replicas, Authorization.disabled());
    }

    public ListOffsetsHandler(MetadataController controller, ReplicaManager replicas, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ListOffsetsRequestData data = (ListOffsetsRequestData) request;
        Set<String> allowed = authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, data.topics().stream().map(t -> t.name()).toList());
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        List<CompletableFuture<?>> lookups = new ArrayList<>();
        for (ListOffsetsRequestData.ListOffsetsTopic topic : data.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (ListOffsetsRequestData.ListOffsetsPartition p : topic.partitions()) {
                ListOffsetsPartitionResponse partitionResponse = new ListOffsetsPartitionResponse().setPartitionIndex(p.partitionIndex())
                        .setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1);
                topicResponse.partitions().add(partitionResponse);
                if (!allowed.contains(topic.name())) {
                    partitionResponse.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                var resolved = PartitionLookup.resolve(controller.image(), replicas, topic.name(), null, p.partitionIndex());
                if (resolved.error() != Errors.NONE) {
                    partitionResponse.setErrorCode(resolved.error().code());
                    continue;
                }
                Partition partition = resolved.partition();
                Errors epochError = partition.checkLeaderEpoch(p.currentLeaderEpoch());
                if (epochError != Errors.NONE) {
                    partitionResponse.setErrorCode(epochError.code());
                    continue;
                }
                boolean hasLeaderEpoch = context.apiVersion() >= 4;
                boolean readCommitted = data.isolationLevel() == org.apache.kafka.common.IsolationLevel.READ_COMMITTED.id();
                lookups.add(lookup(partition, p.timestamp(), readCommitted).handle((found, error) -> {
                    if (error != null) return partitionResponse.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    found.ifPresent(t -> partitionResponse.setTimestamp(t.timestamp).setOffset(t.offset)
                            .setLeaderEpoch(hasLeaderEpoch ? t.leaderEpoch.orElse(partition.leaderEpoch()) : -1));
                    return partitionResponse.setErrorCode(Errors.NONE.code());
                }));
            }
        }
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }

    /**
     * Kafka's answers: the log start, the last fetchable offset (the last stable offset for
     * read_committed, else the high watermark), or the first offset at or after a timestamp —
     * only if it is fetchable.
     */
    private static CompletableFuture<Optional<TimestampAndOffset>> lookup(Partition partition, long timestamp, boolean readCommitted) {
        long lastFetchable = readCommitted ? partition.lastStableOffset() : partition.highWatermark();
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            return CompletableFuture.completedFuture(Optional.of(new TimestampAndOffset(-1, partition.logStartOffset(), Optional.of(partition.leaderEpoch()))));
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            return CompletableFuture.completedFuture(Optional.of(new TimestampAndOffset(-1, lastFetchable, Optional.of(partition.leaderEpoch()))));
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP)
            return partition.offsetOfMaxTimestamp().thenApply(found -> found.filter(t -> t.offset < lastFetchable));
        if (timestamp < 0) return CompletableFuture.completedFuture(Optional.empty()); // tiered-storage queries: nothing tiered
        return partition.offsetForTimestamp(timestamp).thenApply(found -> found.filter(t -> t.offset < lastFetchable));
    }
}
