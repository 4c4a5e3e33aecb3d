package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.DescribedConfig;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicResult;
import io.runnel.broker.metadata.TopicSpec;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/** CreateTopics (incl. validateOnly): each topic is validated and created by the controller on its own. */
public final class CreateTopicsHandler implements ApiHandler {
    private final MetadataController controller;
    private final BrokerConfig config;
    private final boolean forward;
    private final Authorization authorization;

    public CreateTopicsHandler(MetadataController controller, BrokerConfig config) {
        this(controller, config, true);
    }

    public CreateTopicsHandler(MetadataController controller, BrokerConfig config, boolean forward) {
        this(controller, config, forward, Authorization.disabled());
    }

    /**
     * @param forward whether a node that does not lead forwards to the active controller (client
     *                listener) or answers NOT_CONTROLLER itself (controller listener, where the
     *                request was already forwarded once)
     */
    public CreateTopicsHandler(MetadataController controller, BrokerConfig config, boolean forward, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.config = config;
        this.forward = forward;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        CreateTopicsRequestData data = (CreateTopicsRequestData) request;
        List<TopicSpec> specs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreateTopicsRequestData.CreatableTopic topic : data.topics()) {
            if (!seen.add(topic.name())) duplicates.add(topic.name());
            specs.add(TopicSpec.fromRequest(topic));
        }
        specs.removeIf(s -> duplicates.contains(s.name()));
        // Kafka's rule: CREATE on the cluster, else on each topic; seeing the created topic's configs needs DESCRIBE_CONFIGS on it.
        Set<String> creatable = authorization.allowedQuietly(context, AclOperation.CREATE, ResourceType.CLUSTER, Authorization.CLUSTER_NAME)
                ? new HashSet<>(seen) : authorization.allowedNames(context, AclOperation.CREATE, ResourceType.TOPIC, seen);
        Set<String> denied = new java.util.TreeSet<>(seen);
        denied.removeAll(creatable);
        denied.removeAll(duplicates);
        specs.removeIf(s -> denied.contains(s.name()));
        Set<String> configsVisible = authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, creatable);
        var created = forward ? controller.createTopics(specs, data.validateOnly()) : controller.createTopicsHere(specs, data.validateOnly());
        return created.thenApply(results -> {
            CreateTopicsResponseData response = new CreateTopicsResponseData();
            for (String name : duplicates) {
                response.topics().add(new CreatableTopicResult().setName(name).setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Create topics request from client `" + context.header().clientId()
                                + "` contains multiple entries for the following topics: " + name));
            }
            for (String name : denied)
                response.topics().add(new CreatableTopicResult().setName(name).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage("Authorization failed.").setNumPartitions(-1).setReplicationFactor((short) -1).setConfigs(null));
            for (TopicResult r : results) {
                CreatableTopicResult result = toResult(r);
                if (r.topic() != null && !configsVisible.contains(r.name()))
                    result.setConfigs(null).setTopicConfigErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                response.topics().add(result);
            }
            return response;
        });
    }

    private CreatableTopicResult toResult(TopicResult r) {
        CreatableTopicResult result = new CreatableTopicResult().setName(r.name()).setErrorCode(r.error().code()).setErrorMessage(r.message());
        if (r.topic() == null) return result.setNumPartitions(-1).setReplicationFactor((short) -1).setConfigs(null).setTopicConfigErrorCode(Errors.NONE.code());
        result.setTopicId(r.topic().id())
                .setNumPartitions(r.topic().partitionCount())
                .setReplicationFactor((short) r.topic().partition(0).replicas().size());
        for (DescribedConfig c : DescribedConfig.ofTopic(r.topic().configs(), controller.image().brokerConfig(config))) {
            result.configs().add(new CreatableTopicConfigs().setName(c.name()).setValue(c.value())
                    .setReadOnly(c.readOnly()).setConfigSource(c.source()).setIsSensitive(false));
        }
        return result;
    }
}
