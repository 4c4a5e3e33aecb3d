package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
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
 * OffsetCommit: partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by
 * id, v10) here, as Kafka's request layer does; the rest go to the group's coordinator, which
 * checks membership and generation and answers once the offsets are in {@code __consumer_offsets}.
 * v2-v4 may ask for their own retention time.
 */
public final class OffsetCommitHandler implements ApiHandler {
    private final GroupCoordinator coordinator;
    private final MetadataController controller;

    private final Authorization authorization;

    public OffsetCommitHandler(GroupCoordinator coordinator, MetadataController controller) {
        this(coordinator, controller, Authorization.disabled());
    }

    /** With authorization: each topic needs READ (DESCRIBE for OffsetFetch), else TOPIC_AUTHORIZATION_FAILED; the group is checked by the guard. */
    public OffsetCommitHandler(GroupCoordinator coordinator, MetadataController controller, Authorization authorization) {
        this.coordinator = coordinator;
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        OffsetCommitRequestData data = (OffsetCommitRequestData) request;
        short version = context.apiVersion();
        boolean byId = version >= 10;
        MetadataImage image = controller.image();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        List<OffsetCommitResponseData.OffsetCommitResponsePartition> pending = new ArrayList<>();
        List<TopicPartition> pendingPartitions = new ArrayList<>();
        List<GroupCoordinator.OffsetCommit> commits = new ArrayList<>();
        boolean invalidGroup = !GroupCoordinator.isValidGroupId(data.groupId());
        java.util.Set<String> readable = authorization.allowedNames(context, AclOperation.READ, ResourceType.TOPIC, data.topics().stream()
                .map(t -> byId ? (image.topic(t.topicId()) == null ? null : image.topic(t.topicId()).name()) : t.name())
                .filter(java.util.Objects::nonNull).toList());
        for (OffsetCommitRequestData.OffsetCommitRequestTopic t : data.topics()) {
            TopicImage topic = byId ? image.topic(t.topicId()) : image.topic(t.name());
            String name = topic != null ? topic.name() : byId ? null : t.name();
            OffsetCommitResponseData.OffsetCommitResponseTopic topicResponse = new OffsetCommitResponseData.OffsetCommitResponseTopic()
                    .setName(byId ? "" : t.name()).setTopicId(byId ? t.topicId() : Uuid.ZERO_UUID);
            response.topics().add(topicResponse);
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : t.partitions()) {
                var partitionResponse = new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResponse.partitions().add(partitionResponse);
                if (invalidGroup) {
                    partitionResponse.setErrorCode(Errors.INVALID_GROUP_ID.code());
                } else if (name != null && !readable.contains(name)) {
                    partitionResponse.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null) {
                    partitionResponse.setErrorCode((byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                } else if (topic.partition(p.partitionIndex()) == null) {
                    partitionResponse.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else {
                    TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                    commits.add(new GroupCoordinator.OffsetCommit(tp, p.committedOffset(), version >= 6 ? p.committedLeaderEpoch() : -1,
                            p.committedMetadata()));
                    pending.add(partitionResponse);
                    pendingPartitions.add(tp);
                }
            }
        }
        if (commits.isEmpty()) return CompletableFuture.completedFuture(response);
        long retentionMs = version <= 4 ? data.retentionTimeMs() : -1;
        long expireTimestampMs = retentionMs < 0 ? -1 : System.currentTimeMillis() + retentionMs;
        return coordinator.commitOffsets(data.groupId(), data.generationIdOrMemberEpoch(), data.memberId() == null ? "" : data.memberId(),
                version >= 7 ? data.groupInstanceId() : null, expireTimestampMs, commits, version).thenApply(errors -> {
                    for (int i = 0; i < pending.size(); i++) {
                        Errors e = errors.getOrDefault(pendingPartitions.get(i), Errors.UNKNOWN_SERVER_ERROR);
                        pending.get(i).setErrorCode(e.code());
                    }
                    return response;
                });
    }
}
