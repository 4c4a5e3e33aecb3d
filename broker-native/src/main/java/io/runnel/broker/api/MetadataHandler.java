package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicSpec;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * Metadata: brokers, topics and partition leaders from the current image. Unknown topics are
 * created first when both the request and {@code auto.create.topics.enable} allow it; the answer
 * then already describes them (Kafka answers LEADER_NOT_AVAILABLE and lets the client retry; on
 * one node creation is local, so we wait for it instead).
 */
public final class MetadataHandler implements ApiHandler {
    private static final int AUTHORIZED_OPERATIONS_OMITTED = Integer.MIN_VALUE;

    private final MetadataController controller;
    private final BrokerConfig config;
    private final IntSupplier controllerId;

    private final Authorization authorization;

    /** @param controllerId the active controller's id now, or -1 while there is none */
    public MetadataHandler(MetadataController controller, BrokerConfig config, IntSupplier controllerId) {
        this(controller, config, controllerId, Authorization.disabled());
    }

    public MetadataHandler(MetadataController controller, BrokerConfig config, IntSupplier controllerId, Authorization authorization) {
        this.authorization = authorization;
        this.controllerId = controllerId;
        this.controller = controller;
        this.config = config;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        MetadataRequestData data = (MetadataRequestData) request;
        MetadataImage image = controller.image();
        // As Kafka: a topic named without DESCRIBE is TOPIC_AUTHORIZATION_FAILED whether or not it exists (its existence is not revealed),
        // and auto-creating one needs CREATE on the cluster or on the topic.
        Set<String> denied = new HashSet<>();
        if (data.topics() != null) {
            List<String> names = data.topics().stream().filter(t -> !byId(t) && t.name() != null).map(t -> t.name()).toList();
            Set<String> describable = authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, names);
            names.stream().filter(n -> !describable.contains(n)).forEach(denied::add);
        }
        List<TopicSpec> toCreate = new ArrayList<>();
        if (data.topics() != null && config.autoCreateTopicsEnable() && (context.apiVersion() < 4 || data.allowAutoTopicCreation())) {
            boolean createAny = authorization.allowedQuietly(context, AclOperation.CREATE, ResourceType.CLUSTER, Authorization.CLUSTER_NAME);
            for (MetadataRequestData.MetadataRequestTopic t : data.topics()) {
                if (!byId(t) && t.name() != null && !denied.contains(t.name()) && image.topic(t.name()) == null && isValidName(t.name())
                        && !Topic.isInternal(t.name())) {
                    if (createAny || authorization.allowed(context, AclOperation.CREATE, ResourceType.TOPIC, t.name()))
                        toCreate.add(TopicSpec.withDefaults(t.name()));
                    else denied.add(t.name());
                }
            }
        }
        CompletableFuture<?> created = toCreate.isEmpty() ? CompletableFuture.completedFuture(null) : controller.createTopics(toCreate, false);
        return created.thenApply(v -> respond(context, data, controller.image(), denied));
    }

    private MetadataResponseData respond(RequestContext context, MetadataRequestData data, MetadataImage image, Set<String> denied) {
        MetadataResponseData response = new MetadataResponseData()
                .setClusterId(image.clusterId())
                .setControllerId(controllerId.getAsInt())
                .setClusterAuthorizedOperations(context.apiVersion() >= 8 && context.apiVersion() <= 10 && data.includeClusterAuthorizedOperations()
                        ? authorization.authorizedOperations(context, ResourceType.CLUSTER, Authorization.CLUSTER_NAME) : AUTHORIZED_OPERATIONS_OMITTED);
        for (BrokerImage broker : image.brokers().values()) {
            if (broker.fenced()) continue;
            BrokerImage.Endpoint endpoint = broker.endpointFor(context.listenerName());
            if (endpoint == null) continue;
            response.brokers().add(new MetadataResponseData.MetadataResponseBroker().setNodeId(broker.id())
                    .setHost(endpoint.host()).setPort(endpoint.port()).setRack(broker.rack()));
        }
        if (data.topics() == null) {
            // All topics: those the principal may not describe are left out, silently.
            Set<String> visible = authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE, ResourceType.TOPIC, image.topicsByName().keySet());
            image.topicsByName().values().stream().filter(t -> visible.contains(t.name())).forEach(t -> response.topics().add(describe(context, t, data, image)));
            return response;
        }
        for (MetadataRequestData.MetadataRequestTopic requested : data.topics()) {
            response.topics().add(describeRequested(context, requested, image, data, denied));
        }
        return response;
    }

    private MetadataResponseTopic describeRequested(RequestContext context, MetadataRequestData.MetadataRequestTopic requested, MetadataImage image,
                                                    MetadataRequestData data, Set<String> denied) {
        if (byId(requested) || requested.name() == null) {
            TopicImage topic = requested.topicId() == null ? null : image.topic(requested.topicId());
            if (topic == null) return new MetadataResponseTopic().setName(null).setTopicId(requested.topicId())
                    .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()).setTopicAuthorizedOperations(AUTHORIZED_OPERATIONS_OMITTED);
            // By id without DESCRIBE: refused without the name, which the client did not know.
            if (!authorization.allowed(context, AclOperation.DESCRIBE, ResourceType.TOPIC, topic.name()))
                return new MetadataResponseTopic().setName(null).setTopicId(requested.topicId())
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setTopicAuthorizedOperations(AUTHORIZED_OPERATIONS_OMITTED);
            return describe(context, topic, data, image);
        }
        if (denied.contains(requested.name()))
            return new MetadataResponseTopic().setName(requested.name()).setTopicId(Uuid.ZERO_UUID).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                    .setIsInternal(Topic.isInternal(requested.name())).setTopicAuthorizedOperations(AUTHORIZED_OPERATIONS_OMITTED);
        TopicImage topic = image.topic(requested.name());
        if (topic != null) return describe(context, topic, data, image);
        Errors error = isValidName(requested.name()) ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.INVALID_TOPIC_EXCEPTION;
        return new MetadataResponseTopic().setName(requested.name()).setTopicId(Uuid.ZERO_UUID).setErrorCode(error.code())
                .setIsInternal(Topic.isInternal(requested.name())).setTopicAuthorizedOperations(AUTHORIZED_OPERATIONS_OMITTED);
    }

    /** A topic asked for by id (v12+); clients leave the name empty then, and Kafka goes by the id. */
    private static boolean byId(MetadataRequestData.MetadataRequestTopic requested) {
        return requested.topicId() != null && !Uuid.ZERO_UUID.equals(requested.topicId());
    }

    private MetadataResponseTopic describe(RequestContext context, TopicImage topic, MetadataRequestData data, MetadataImage image) {
        MetadataResponseTopic result = new MetadataResponseTopic().setName(topic.name()).setTopicId(topic.id())
                .setIsInternal(Topic.isInternal(topic.name())).setErrorCode(Errors.NONE.code())
                .setTopicAuthorizedOperations(context.apiVersion() >= 8 && data.includeTopicAuthorizedOperations()
                        ? authorization.authorizedOperations(context, ResourceType.TOPIC, topic.name()) : AUTHORIZED_OPERATIONS_OMITTED);
        for (PartitionImage p : topic.partitions().values()) {
            // An offline partition (no live ISR member to lead) is LEADER_NOT_AVAILABLE: clients retry until one returns.
            List<Integer> offline = p.replicas().stream().filter(r -> image.brokers().get(r) == null || image.brokers().get(r).fenced()).toList();
            result.partitions().add(new MetadataResponsePartition().setPartitionIndex(p.partitionId())
                    .setErrorCode(p.leader() < 0 ? Errors.LEADER_NOT_AVAILABLE.code() : Errors.NONE.code())
                    .setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch())
                    .setReplicaNodes(p.replicas()).setIsrNodes(p.isr()).setOfflineReplicas(offline));
        }
        return result;
    }

    private static boolean isValidName(String name) {
        try {
            Topic.validate(name);
            return true;
        } catch (InvalidTopicException e) {
            return false;
        }
    }
}
