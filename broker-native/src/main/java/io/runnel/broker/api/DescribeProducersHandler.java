package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * DescribeProducers (KIP-664): the producers a partition's leader knows, with their epoch, last
 * sequence, last write, coordinator epoch and open transaction's first offset — what
 * {@code kafka-transactions find-hanging} compares with the coordinators' view.
 */
public final class DescribeProducersHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;

    private final Authorization authorization;

    public DescribeProducersHandler(MetadataController controller, ReplicaManager replicas) {
        this(controller, replicas, Authorization.disabled());
    }

    public DescribeProducersHandler(MetadataController controller, ReplicaManager replicas, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeProducersRequestData data = (DescribeProducersRequestData) request;
        Set<String> allowed = authorization.allowedNames(context, AclOperation.READ, ResourceType.TOPIC, data.topics().stream().map(t -> t.name()).toList());
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        List<CompletableFuture<?>> reads = new ArrayList<>();
        for (DescribeProducersRequestData.TopicRequest topic : data.topics()) {
            TopicResponse topicResponse = new TopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (int index : topic.partitionIndexes()) {
                PartitionResponse partitionResponse = new PartitionResponse().setPartitionIndex(index);
                topicResponse.partitions().add(partitionResponse);
                if (!allowed.contains(topic.name())) {
                    partitionResponse.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                    continue;
                }
                var resolved = PartitionLookup.resolve(controller.image(), replicas, topic.name(), null, index);
                if (resolved.error() != Errors.NONE) {
                    partitionResponse.setErrorCode(resolved.error().code()).setErrorMessage(resolved.error().message());
                    continue;
                }
                reads.add(resolved.partition().activeProducers().handle((producers, failure) -> {
                    if (failure != null) return partitionResponse.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    for (var p : producers) {
                        partitionResponse.activeProducers().add(new ProducerState().setProducerId(p.producerId())
                                .setProducerEpoch(p.producerEpoch()).setLastSequence(p.lastSequence()).setLastTimestamp(p.lastTimestampMs())
                                .setCoordinatorEpoch(p.coordinatorEpoch()).setCurrentTxnStartOffset(p.currentTxnStartOffset()));
                    }
                    return partitionResponse.setErrorCode(Errors.NONE.code());
                }));
            }
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }
}
