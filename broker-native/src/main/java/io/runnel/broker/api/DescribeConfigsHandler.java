package io.runnel.broker.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.DescribedConfig;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * DescribeConfigs for topics (overrides over the broker's defaults) and for this broker (static
 * settings under dynamic ones) or the cluster-wide dynamic defaults, with sources and, when asked
 * (v1+), synonyms as Kafka lists them.
 */
public final class DescribeConfigsHandler implements ApiHandler {
    private final MetadataController controller;
    private final BrokerConfig config;
    private final Authorization authorization;

    public DescribeConfigsHandler(MetadataController controller, BrokerConfig config) {
        this(controller, config, Authorization.disabled());
    }

    /** With authorization: DESCRIBE_CONFIGS on the topic, group, or (brokers) the cluster. */
    public DescribeConfigsHandler(MetadataController controller, BrokerConfig config, Authorization authorization) {
        this.controller = controller;
        this.config = config;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeConfigsRequestData data = (DescribeConfigsRequestData) request;
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource resource : data.resources()) {
            Errors denied = authorization.configAccess(context, AclOperation.DESCRIBE_CONFIGS, resource.resourceType(), resource.resourceName());
            if (denied != Errors.NONE) {
                response.results().add(new DescribeConfigsResult().setResourceType(resource.resourceType()).setResourceName(resource.resourceName())
                        .setErrorCode(denied.code()).setErrorMessage(denied.message()));
                continue;
            }
            response.results().add(describe(resource, context.apiVersion() >= 1 && data.includeSynonyms()));
        }
        return CompletableFuture.completedFuture(response);
    }

    private DescribeConfigsResult describe(DescribeConfigsRequestData.DescribeConfigsResource resource, boolean includeSynonyms) {
        DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName()).setErrorCode(Errors.NONE.code());
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        List<DescribedConfig> configs;
        switch (type) {
            case TOPIC -> {
                TopicImage topic = controller.image().topic(resource.resourceName());
                if (topic == null) return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("Topic " + resource.resourceName() + " does not exist.");
                configs = DescribedConfig.ofTopic(topic.configs(), controller.image().brokerConfig(config));
            }
            case BROKER -> {
                if (resource.resourceName().isEmpty() || resource.resourceName().equals(Integer.toString(config.nodeId()))) {
                    configs = DescribedConfig.ofBroker(controller.image().brokerConfig(config), resource.resourceName().isEmpty());
                } else {
                    return result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("Unexpected broker id, expected " + config.nodeId() + " but received " + resource.resourceName());
                }
            }
            default -> {
                return result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Describing " + type + " configs is not supported by Runnel yet");
            }
        }
        List<String> keys = resource.configurationKeys();
        boolean all = keys == null || keys.isEmpty(); // as Kafka: no keys named means every key
        for (DescribedConfig c : configs) {
            if (!all && !keys.contains(c.name())) continue;
            DescribeConfigsResourceResult described = new DescribeConfigsResourceResult().setName(c.name()).setValue(c.value())
                    .setReadOnly(c.readOnly()).setConfigSource(c.source()).setIsSensitive(false).setConfigType(c.type());
            if (includeSynonyms) {
                for (var s : c.synonyms()) {
                    described.synonyms().add(new DescribeConfigsResponseData.DescribeConfigsSynonym().setName(s.name()).setValue(s.value())
                            .setSource(s.source()));
                }
            }
            result.configs().add(described);
        }
        return result;
    }
}
