package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
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
 * TxnOffsetCommit (KIP-98; group metadata from v3, KIP-447; topics by id from v6, KIP-1319): a
 * transactional producer's {@code sendOffsetsToTransaction}. As Kafka's request layer, partitions of
 * unknown topics answer UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id) here and an empty
 * group id INVALID_GROUP_ID; the rest go to the group's coordinator, which checks the group (KIP-447
 * fencing), writes the offsets as a transactional batch of the producer, and holds them pending
 * until the transaction's marker. Versions before v2 carry no leader epoch (-1).
 *
 * <p>Not done here: KIP-890's transaction verification (that the transaction coordinator has the
 * offsets partition in the producer's ongoing transaction; v5 adds it implicitly).
 */
public final class TxnOffsetCommitHandler implements ApiHandler {
    private final GroupCoordinator coordinator;
    private final MetadataController controller;

    private final Authorization authorization;

    public TxnOffsetCommitHandler(GroupCoordinator coordinator, MetadataController controller) {
        this(coordinator, controller, Authorization.disabled());
    }

    /** With authorization: each topic needs READ (DESCRIBE for OffsetFetch), else TOPIC_AUTHORIZATION_FAILED; the group is checked by the guard. */
    public TxnOffsetCommitHandler(GroupCoordinator coordinator, MetadataController controller, Authorization authorization) {
        this.coordinator = coordinator;
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        TxnOffsetCommitRequestData data = (TxnOffsetCommitRequestData) request;
        short version = context.apiVersion();
        boolean byId = version >= 6;
        MetadataImage image = controller.image();
        boolean invalidGroup = !GroupCoordinator.isValidGroupId(data.groupId());
        TxnOffsetCommitResponseData response = new TxnOffsetCommitResponseData();
        List<TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition> pending = new ArrayList<>();
        List<TopicPartition> pendingPartitions = new ArrayList<>();
        List<GroupCoordinator.OffsetCommit> commits = new ArrayList<>();
        java.util.Set<String> readable = authorization.allowedNames(context, AclOperation.READ, ResourceType.TOPIC, data.topics().stream()
                .map(t -> byId ? (image.topic(t.topicId()) == null ? null : image.topic(t.topicId()).name()) : t.name())
                .filter(java.util.Objects::nonNull).toList());
        for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic t : data.topics()) {
            TopicImage topic = byId ? image.topic(t.topicId()) : image.topic(t.name());
            String name = topic != null ? topic.name() : byId ? null : t.name();
            var topicResponse = new TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic()
                    .setName(byId ? "" : t.name()).setTopicId(byId ? t.topicId() : Uuid.ZERO_UUID);
            response.topics().add(topicResponse);
            for (TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition p : t.partitions()) {
                var partitionResponse = new TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResponse.partitions().add(partitionResponse);
                if (name != null && !readable.contains(name)) {
                    partitionResponse.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                } else if (topic == null) {
                    partitionResponse.setErrorCode((byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                } else if (topic.partition(p.partitionIndex()) == null) {
                    partitionResponse.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                } else if (invalidGroup) {
                    partitionResponse.setErrorCode(Errors.INVALID_GROUP_ID.code());
                } else {
                    TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                    commits.add(new GroupCoordinator.OffsetCommit(tp, p.committedOffset(), version >= 2 ? p.committedLeaderEpoch() : -1,
                            p.committedMetadata()));
                    pending.add(partitionResponse);
                    pendingPartitions.add(tp);
                }
            }
        }
        if (commits.isEmpty()) return CompletableFuture.completedFuture(response);
        int generationId = version >= 3 ? data.generationIdOrMemberEpoch() : -1;
        String memberId = version >= 3 && data.memberId() != null ? data.memberId() : "";
        String groupInstanceId = version >= 3 ? data.groupInstanceId() : null;
        return coordinator.commitTransactionalOffsets(data.groupId(), data.producerId(), data.producerEpoch(), generationId, memberId,
                groupInstanceId, commits, version).thenApply(errors -> {
                    for (int i = 0; i < pending.size(); i++) {
                        pending.get(i).setErrorCode(errors.getOrDefault(pendingPartitions.get(i), Errors.UNKNOWN_SERVER_ERROR).code());
                    }
                    return response;
                });
    }
}
