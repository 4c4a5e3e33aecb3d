package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.DescribeTopicPartitionsRequestData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponsePartition;
import org.apache.kafka.common.message.DescribeTopicPartitionsResponseData.DescribeTopicPartitionsResponseTopic;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * DescribeTopicPartitions (KIP-966): topics sorted by name, paged by a partition limit with a
 * cursor (topic, first partition) so admin tools can walk very large clusters.
 */
public final class DescribeTopicPartitionsHandler implements ApiHandler {
    private final MetadataController controller;

    private final Authorization authorization;

    public DescribeTopicPartitionsHandler(MetadataController controller) {
        this(controller, Authorization.disabled());
    }

    public DescribeTopicPartitionsHandler(MetadataController controller, Authorization authorization) {
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeTopicPartitionsRequestData data = (DescribeTopicPartitionsRequestData) request;
        MetadataImage image = controller.image();
        boolean all = data.topics().isEmpty();
        List<String> names = all ? new ArrayList<>(image.topicsByName().keySet())
                : data.topics().stream().map(DescribeTopicPartitionsRequestData.TopicRequest::name).distinct().sorted().toList();
        // As Metadata: all topics lists only the describable ones; a named topic without DESCRIBE is refused, existing or not.
        Set<String> describable = all ? authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names)
                : authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names);
        if (all) names = names.stream().filter(describable::contains).toList();
        DescribeTopicPartitionsRequestData.Cursor cursor = data.cursor();
        int budget = Math.max(1, data.responsePartitionLimit());
        DescribeTopicPartitionsResponseData response = new DescribeTopicPartitionsResponseData();
        for (String name : names) {
            if (cursor != null && name.compareTo(cursor.topicName()) < 0) continue;
            if (!describable.contains(name)) {
                response.topics().add(new DescribeTopicPartitionsResponseTopic().setName(name).setTopicId(Uuid.ZERO_UUID)
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setIsInternal(Topic.isInternal(name)));
                continue;
            }
            TopicImage topic = image.topic(name);
            if (topic == null) {
                response.topics().add(new DescribeTopicPartitionsResponseTopic().setName(name).setTopicId(Uuid.ZERO_UUID)
                        .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setIsInternal(Topic.isInternal(name)));
                continue;
            }
            int first = cursor != null && name.equals(cursor.topicName()) ? cursor.partitionIndex() : 0;
            DescribeTopicPartitionsResponseTopic result = new DescribeTopicPartitionsResponseTopic().setName(name).setTopicId(topic.id())
                    .setIsInternal(Topic.isInternal(name)).setErrorCode(Errors.NONE.code())
                    // The request has no flag for it: the Admin reads this when asked for authorized operations.
                    .setTopicAuthorizedOperations(authorization.authorizedOperations(context, ResourceType.TOPIC, name));
            response.topics().add(result);
            for (PartitionImage p : topic.partitions().tailMap(first).values()) {
                if (budget == 0) {
                    response.setNextCursor(new DescribeTopicPartitionsResponseData.Cursor().setTopicName(name).setPartitionIndex(p.partitionId()));
                    return CompletableFuture.completedFuture(response);
                }
                result.partitions().add(new DescribeTopicPartitionsResponsePartition().setPartitionIndex(p.partitionId())
                        .setErrorCode(Errors.NONE.code()).setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch())
                        .setReplicaNodes(p.replicas()).setIsrNodes(p.isr()).setEligibleLeaderReplicas(List.of())
                        .setLastKnownElr(List.of()).setOfflineReplicas(List.of()));
                budget--;
            }
        }
        return CompletableFuture.completedFuture(response);
    }
}
