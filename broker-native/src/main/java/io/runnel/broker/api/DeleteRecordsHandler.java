package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * DeleteRecords: moves each partition's log start (its "low watermark") up to the given offset,
 * -1 meaning the high watermark. Records below it can no longer be fetched; whole segments below it
 * are deleted.
 */
public final class DeleteRecordsHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;

    public DeleteRecordsHandler(MetadataController controller, ReplicaManager replicas) {
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteRecordsRequestData data = (DeleteRecordsRequestData) request;
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        List<CompletableFuture<?>> deletions = new ArrayList<>();
        for (DeleteRecordsRequestData.DeleteRecordsTopic topic : data.topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            response.topics().add(topicResult);
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : topic.partitions()) {
                DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(result);
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
