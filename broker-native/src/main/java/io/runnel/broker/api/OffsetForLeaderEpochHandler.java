package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * OffsetForLeaderEpoch: the end offset of a leader epoch, which consumers use to validate their
 * position after a leader change and followers use to find where to truncate.
 */
public final class OffsetForLeaderEpochHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;

    private final Authorization authorization;

    public OffsetForLeaderEpochHandler(MetadataController controller, ReplicaManager replicas) {
        this(controller, replicas, Authorization.disabled());
    }

    public OffsetForLeaderEpochHandler(MetadataController controller, ReplicaManager replicas, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        OffsetForLeaderEpochRequestData data = (OffsetForLeaderEpochRequestData) request;
        // Followers (and anyone with CLUSTER_ACTION) may ask about every partition; others need DESCRIBE on the topic.
        Set<String> allowed = authorization.allowedQuietly(context, AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, Authorization.CLUSTER_NAME)
                ? new java.util.HashSet<>(data.topics().stream().map(t -> t.topic()).toList())
                : authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, data.topics().stream().map(t -> t.topic()).toList());
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        List<CompletableFuture<?>> lookups = new ArrayList<>();
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic : data.topics()) {
            OffsetForLeaderTopicResult topicResult = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            response.topics().add(topicResult);
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p : topic.partitions()) {
                EpochEndOffset result = new EpochEndOffset().setPartition(p.partition()).setLeaderEpoch(-1).setEndOffset(-1);
                topicResult.partitions().add(result);
                if (!allowed.contains(topic.topic())) {
                    result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                var resolved = PartitionLookup.resolve(controller.image(), replicas, topic.topic(), null, p.partition());
                if (resolved.error() != Errors.NONE) {
                    result.setErrorCode(resolved.error().code());
                    continue;
                }
                Errors epochError = resolved.partition().checkLeaderEpoch(p.currentLeaderEpoch());
                if (epochError != Errors.NONE) {
                    result.setErrorCode(epochError.code());
                    continue;
                }
                lookups.add(resolved.partition().endOffsetForEpoch(p.leaderEpoch()).handle((end, error) -> {
                    if (error != null) return result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    return result.setErrorCode(Errors.NONE.code()).setLeaderEpoch((int) end[0]).setEndOffset(end[1]);
                }));
            }
        }
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }
}
