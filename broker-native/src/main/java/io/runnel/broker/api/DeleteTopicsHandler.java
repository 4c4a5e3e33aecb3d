package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicResult;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/** DeleteTopics by name (all versions) or by topic id (v6+). */
public final class DeleteTopicsHandler implements ApiHandler {
    private final MetadataController controller;
    private final Authorization authorization;

    public DeleteTopicsHandler(MetadataController controller) {
        this(controller, Authorization.disabled());
    }

    /** With authorization: DELETE on the cluster, or DESCRIBE and DELETE on the topic, else TOPIC_AUTHORIZATION_FAILED whether or not it exists. */
    public DeleteTopicsHandler(MetadataController controller, Authorization authorization) {
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteTopicsRequestData data = (DeleteTopicsRequestData) request;
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        List<String> names = new ArrayList<>(data.topicNames());
        for (DeleteTopicsRequestData.DeleteTopicState state : data.topics()) {
            if (state.name() != null) {
                names.add(state.name());
            } else {
                TopicImage topic = controller.image().topic(state.topicId());
                if (topic == null) {
                    response.responses().add(new DeletableTopicResult().setTopicId(state.topicId())
                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()).setErrorMessage(Errors.UNKNOWN_TOPIC_ID.message()));
                } else {
                    names.add(topic.name());
                }
            }
        }
        // Kafka's rules: DELETE on the cluster covers every topic; else a topic needs DESCRIBE (without it the answer does not
        // reveal whether it exists) and DELETE. Asked for by id without DESCRIBE, the refusal does not name it either.
        java.util.Set<String> asked = new java.util.LinkedHashSet<>(names);
        boolean clusterWide = authorization.allowedQuietly(context, AclOperation.DELETE, ResourceType.CLUSTER, Authorization.CLUSTER_NAME);
        java.util.Set<String> describable = clusterWide ? asked : authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, asked);
        java.util.Set<String> deletable = clusterWide ? asked : authorization.allowedNames(context, AclOperation.DELETE, ResourceType.TOPIC, asked);
        for (String name : asked) {
            if (deletable.contains(name)) continue;
            TopicImage topic = controller.image().topic(name);
            boolean byId = data.topics().stream().anyMatch(s -> s.name() == null && topic != null && topic.id().equals(s.topicId()));
            response.responses().add(new DeletableTopicResult()
                    .setName(byId && !describable.contains(name) ? null : name).setTopicId(byId ? topic.id() : Uuid.ZERO_UUID)
                    .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message()));
        }
        names.removeIf(n -> !deletable.contains(n));
        return controller.deleteTopics(names).thenApply(results -> {
            for (TopicResult r : results) {
                response.responses().add(new DeletableTopicResult().setName(r.name())
                        .setTopicId(r.topic() != null ? r.topic().id() : Uuid.ZERO_UUID)
                        .setErrorCode(r.error().code()).setErrorMessage(r.message()));
            }
            return response;
        });
    }
}
