package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * OffsetDelete: removes a group's committed offsets of topics it does not consume. Unknown topics
 * and partitions get UNKNOWN_TOPIC_OR_PARTITION; group-level refusals (GROUP_ID_NOT_FOUND,
 * NON_EMPTY_GROUP) go at the top.
 */
public final class OffsetDeleteHandler implements ApiHandler {
    private final GroupCoordinator coordinator;
    private final MetadataController controller;

    private final Authorization authorization;

    public OffsetDeleteHandler(GroupCoordinator coordinator, MetadataController controller) {
        this(coordinator, controller, Authorization.disabled());
    }

    /** With authorization: each topic needs READ (DESCRIBE for OffsetFetch), else TOPIC_AUTHORIZATION_FAILED; the group is checked by the guard. */
    public OffsetDeleteHandler(GroupCoordinator coordinator, MetadataController controller, Authorization authorization) {
        this.coordinator = coordinator;
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        OffsetDeleteRequestData data = (OffsetDeleteRequestData) request;
        if (!GroupCoordinator.isValidGroupId(data.groupId()))
            return CompletableFuture.completedFuture(new OffsetDeleteResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
        MetadataImage image = controller.image();
        OffsetDeleteResponseData response = new OffsetDeleteResponseData();
        List<TopicPartition> valid = new ArrayList<>();
        List<OffsetDeleteResponseData.OffsetDeleteResponsePartition> pending = new ArrayList<>();
        java.util.Set<String> readable = authorization.allowedNames(context, AclOperation.READ, ResourceType.TOPIC,
                data.topics().stream().map(t -> t.name()).toList());
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
            TopicImage topic = image.topic(t.name());
            var topicResponse = new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
            response.topics().add(topicResponse);
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                var partitionResponse = new OffsetDeleteResponseData.OffsetDeleteResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResponse.partitions().add(partitionResponse);
                if (!readable.contains(t.name())) {
                    partitionResponse.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null || topic.partition(p.partitionIndex()) == null) {
                    partitionResponse.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    valid.add(new TopicPartition(t.name(), p.partitionIndex()));
                    pending.add(partitionResponse);
                }
            }
        }
        return coordinator.deleteOffsets(data.groupId(), valid).thenApply(result -> {
            if (result.groupError() != Errors.NONE) return new OffsetDeleteResponseData().setErrorCode(result.groupError().code());
            for (int i = 0; i < valid.size(); i++) {
                pending.get(i).setErrorCode(result.partitions().getOrDefault(valid.get(i), Errors.NONE).code());
            }
            return response;
        });
    }
}
