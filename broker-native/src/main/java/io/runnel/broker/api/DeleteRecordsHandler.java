package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * DeleteRecords: moves each partition's log start (its "low watermark") up to the given offset,
 * -1 meaning the high watermark. Records below it can no longer be fetched; whole segments below it
 * are deleted.
 */
public final class DeleteRecordsHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;

    private final Authorization authorization;

    public DeleteRecordsHandler(MetadataController controller, ReplicaManager replicas) {
        this(controller, replicas, Authorization.disabled());
    }

    public DeleteRecordsHandler(MetadataController controller, ReplicaManager replicas, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteRecordsRequestData data = (DeleteRecordsRequestData) request;
        Set<String> allowed = authorization.allowedNames(context, AclOperation.DELETE, ResourceType.TOPIC, data.topics().stream().map(t -> t.name()).toList());
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        List<CompletableFuture<?>> deletions = new ArrayList<>();
        for (DeleteRecordsRequestData.DeleteRecordsTopic topic : data.topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            response.topics().add(topicResult);
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : topic.partitions()) {
                DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(result);
                if (!allowed.contains(topic.name())) {
                    result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    continue;
                }
                var resolved = PartitionLookup.resolve(controller.image(), replicas, topic.name(), null, p.partitionIndex());
                if (resolved.error() != Errors.NONE) {
                    result.setErrorCode(resolved.error().code());
                    continue;
                }
                deletions.add(resolved.partition().deleteRecordsBefore(p.offset()).handle((start, error) -> {
                    if (error == null) return result.setErrorCode(Errors.NONE.code()).setLowWatermark(start);
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    return result.setErrorCode(Errors.forException(cause).code());
                }));
            }
        }
        return CompletableFuture.allOf(deletions.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }
}
