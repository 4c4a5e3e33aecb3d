package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.group.CommittedOffset;
import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * OffsetFetch: one group (v1-v7) or many (v8+), named partitions or all of a group's (null
 * topics, v2+), topics by name or, from v10, by id. A partition with no commit answers offset -1.
 * Group-level errors go at the top (v2-v7), per group (v8+), or into every partition (v1, which
 * has no top-level code). From v9 a member of a KIP-848 group names itself and its epoch, and gets
 * UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH if it is not that member any more. With require_stable
 * (v7+) a partition for which an open transaction has committed an offset answers
 * UNSTABLE_OFFSET_COMMIT (offset -1), per partition in every version, as Kafka's coordinator does;
 * the client retries until the transaction's marker lands.
 */
public final class OffsetFetchHandler implements ApiHandler {
    private final GroupCoordinator coordinator;
    private final MetadataController controller;

    private final Authorization authorization;

    public OffsetFetchHandler(GroupCoordinator coordinator, MetadataController controller) {
        this(coordinator, controller, Authorization.disabled());
    }

    /** With authorization: each topic needs READ (DESCRIBE for OffsetFetch), else TOPIC_AUTHORIZATION_FAILED; the group is checked by the guard. */
    public OffsetFetchHandler(GroupCoordinator coordinator, MetadataController controller, Authorization authorization) {
        this.coordinator = coordinator;
        this.controller = controller;
        this.authorization = authorization;
    }

    /** One requested topic: its name (null if its id is unknown), its id, and the partitions (null = all). */
    private record WantedTopic(String name, Uuid id, List<Integer> partitions) {}

    /** A group's answer in version-neutral form: the group error, then per topic, per partition. */
    private record GroupAnswer(String groupId, Errors error, List<TopicAnswer> topics) {}

    private record TopicAnswer(String name, Uuid id, List<PartitionAnswer> partitions) {}

    private record PartitionAnswer(int partition, long offset, int leaderEpoch, String metadata, Errors error) {}

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        OffsetFetchRequestData data = (OffsetFetchRequestData) request;
        short version = context.apiVersion();
        MetadataImage image = controller.image();
        if (version >= 8) {
            List<CompletableFuture<GroupAnswer>> answers = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestGroup g : data.groups()) {
                List<WantedTopic> topics = null;
                if (g.topics() != null) {
                    topics = new ArrayList<>();
                    for (OffsetFetchRequestData.OffsetFetchRequestTopics t : g.topics()) {
                        topics.add(version >= 10 ? byId(image, t.topicId(), t.partitionIndexes()) : new WantedTopic(t.name(), Uuid.ZERO_UUID, t.partitionIndexes()));
                    }
                }
                answers.add(fetch(context, g.groupId(), version >= 9 ? g.memberId() : null, version >= 9 ? g.memberEpoch() : -1, topics, image, version >= 10,
                        data.requireStable()));
            }
            return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
                OffsetFetchResponseData response = new OffsetFetchResponseData();
                for (CompletableFuture<GroupAnswer> a : answers) response.groups().add(toGroup(a.join(), version));
                return response;
            });
        }
        List<WantedTopic> topics = null;
        if (data.topics() != null) {
            topics = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestTopic t : data.topics()) topics.add(new WantedTopic(t.name(), Uuid.ZERO_UUID, t.partitionIndexes()));
        }
        List<WantedTopic> wanted = topics;
        return fetch(context, data.groupId(), null, -1, topics, image, false, version >= 7 && data.requireStable()).thenApply(answer -> toSingleGroup(answer, wanted, version));
    }

    private static WantedTopic byId(MetadataImage image, Uuid id, List<Integer> partitions) {
        TopicImage topic = image.topic(id);
        return new WantedTopic(topic == null ? null : topic.name(), id, partitions);
    }

    private CompletableFuture<GroupAnswer> fetch(RequestContext context, String groupId, String memberId, int memberEpoch, List<WantedTopic> topics,
                                                 MetadataImage image, boolean byId, boolean requireStable) {
        if (!GroupCoordinator.isValidGroupId(groupId)) return CompletableFuture.completedFuture(new GroupAnswer(groupId, Errors.INVALID_GROUP_ID, List.of()));
        // As Kafka: DESCRIBE on the group, else GROUP_AUTHORIZATION_FAILED for it; asked-for topics without DESCRIBE get
        // TOPIC_AUTHORIZATION_FAILED, and "all offsets" leaves such topics out.
        if (!authorization.allowed(context, AclOperation.DESCRIBE, ResourceType.GROUP, groupId))
            return CompletableFuture.completedFuture(new GroupAnswer(groupId, Errors.GROUP_AUTHORIZATION_FAILED, List.of()));
        java.util.Set<String> describable = topics == null ? null : authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC,
                topics.stream().map(WantedTopic::name).filter(java.util.Objects::nonNull).toList());
        List<TopicPartition> asked = null;
        if (topics != null) {
            asked = new ArrayList<>();
            for (WantedTopic t : topics) {
                if (t.name() == null) continue;
                for (int p : t.partitions()) asked.add(new TopicPartition(t.name(), p));
            }
        }
        return coordinator.fetchOffsets(groupId, memberId, memberEpoch, asked, requireStable).thenApply(result -> {
            if (result.error() != Errors.NONE) return new GroupAnswer(groupId, result.error(), List.of());
            List<TopicAnswer> answers = new ArrayList<>();
            if (topics != null) {
                for (WantedTopic t : topics) {
                    List<PartitionAnswer> partitions = new ArrayList<>();
                    for (int p : t.partitions()) {
                        if (t.name() == null) {
                            partitions.add(new PartitionAnswer(p, -1, -1, "", Errors.UNKNOWN_TOPIC_ID));
                        } else if (!describable.contains(t.name())) {
                            partitions.add(new PartitionAnswer(p, -1, -1, "", Errors.TOPIC_AUTHORIZATION_FAILED));
                        } else {
                            TopicPartition tp = new TopicPartition(t.name(), p);
                            partitions.add(answer(p, result.offsets().get(tp), result.unstable().contains(tp)));
                        }
                    }
                    answers.add(new TopicAnswer(t.name() == null ? "" : t.name(), t.id(), partitions));
                }
            } else {
                Map<String, List<PartitionAnswer>> byTopic = new LinkedHashMap<>();
                result.offsets().entrySet().stream()
                        .sorted((a, b) -> a.getKey().topic().equals(b.getKey().topic())
                                ? Integer.compare(a.getKey().partition(), b.getKey().partition()) : a.getKey().topic().compareTo(b.getKey().topic()))
                        .forEach(e -> byTopic.computeIfAbsent(e.getKey().topic(), k -> new ArrayList<>()).add(answer(e.getKey().partition(), e.getValue(),
                                result.unstable().contains(e.getKey()))));
                java.util.Set<String> visible = authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE, ResourceType.TOPIC, byTopic.keySet());
                byTopic.forEach((name, partitions) -> {
                    if (!visible.contains(name)) return;
                    TopicImage topic = image.topic(name);
                    if (byId && topic == null) return; // a deleted topic cannot be named by id
                    answers.add(new TopicAnswer(name, topic == null ? Uuid.ZERO_UUID : topic.id(), partitions));
                });
            }
            return new GroupAnswer(groupId, Errors.NONE, answers);
        });
    }

    /** Kafka's answer for a partition an open transaction has a pending offset for, under require_stable: no offset, UNSTABLE_OFFSET_COMMIT. */
    private static PartitionAnswer answer(int partition, CommittedOffset offset, boolean unstable) {
        if (unstable) return new PartitionAnswer(partition, -1, -1, "", Errors.UNSTABLE_OFFSET_COMMIT);
        if (offset == null) return new PartitionAnswer(partition, -1, -1, "", Errors.NONE);
        return new PartitionAnswer(partition, offset.offset(), offset.leaderEpoch(), offset.metadata(), Errors.NONE);
    }

    private static OffsetFetchResponseData.OffsetFetchResponseGroup toGroup(GroupAnswer answer, short version) {
        var group = new OffsetFetchResponseData.OffsetFetchResponseGroup().setGroupId(answer.groupId()).setErrorCode(answer.error().code());
        for (TopicAnswer t : answer.topics()) {
            var topic = new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(version >= 10 ? "" : t.name())
                    .setTopicId(version >= 10 ? t.id() : Uuid.ZERO_UUID);
            for (PartitionAnswer p : t.partitions()) {
                topic.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(p.partition())
                        .setCommittedOffset(p.offset()).setCommittedLeaderEpoch(p.leaderEpoch()).setMetadata(p.metadata())
                        .setErrorCode(p.error().code()));
            }
            group.topics().add(topic);
        }
        return group;
    }

    private static OffsetFetchResponseData toSingleGroup(GroupAnswer answer, List<WantedTopic> wanted, short version) {
        OffsetFetchResponseData response = new OffsetFetchResponseData();
        if (answer.error() != Errors.NONE) {
            if (version >= 2) return response.setErrorCode(answer.error().code());
            // v1 has no top-level error: every asked-for partition carries it.
            for (WantedTopic t : wanted) {
                var topic = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                for (int p : t.partitions()) {
                    topic.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition().setPartitionIndex(p)
                            .setCommittedOffset(-1).setMetadata("").setErrorCode(answer.error().code()));
                }
                response.topics().add(topic);
            }
            return response;
        }
        for (TopicAnswer t : answer.topics()) {
            var topic = new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
            for (PartitionAnswer p : t.partitions()) {
                topic.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition().setPartitionIndex(p.partition())
                        .setCommittedOffset(p.offset()).setCommittedLeaderEpoch(p.leaderEpoch()).setMetadata(p.metadata())
                        .setErrorCode(p.error().code()));
            }
            response.topics().add(topic);
        }
        return response;
    }
}
