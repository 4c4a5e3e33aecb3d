package io.runnel.broker.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.DescribedConfig;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** DescribeConfigs for topics (overrides and defaults) and for this broker (its static settings). */
public final class DescribeConfigsHandler implements ApiHandler {
    private final MetadataController controller;
    private final BrokerConfig config;

    public DescribeConfigsHandler(MetadataController controller, BrokerConfig config) {
        this.controller = controller;
        this.config = config;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeConfigsRequestData data = (DescribeConfigsRequestData) request;
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource resource : data.resources()) {
            response.results().add(describe(resource));
        }
        return CompletableFuture.completedFuture(response);
    }

    private DescribeConfigsResult describe(DescribeConfigsRequestData.DescribeConfigsResource resource) {
        DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName()).setErrorCode(Errors.NONE.code());
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        List<DescribedConfig> configs;
        switch (type) {
            case TOPIC -> {
                TopicImage topic = controller.image().topic(resource.resourceName());
                if (topic == null) return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("Topic " + resource.resourceName() + " does not exist.");
                configs = DescribedConfig.ofTopic(topic.configs(), config);
            }
            case BROKER -> {
                if (resource.resourceName().isEmpty()) {
                    configs = List.of(); // cluster-wide dynamic defaults: none can be set yet
                } else if (resource.resourceName().equals(Integer.toString(config.nodeId()))) {
                    configs = DescribedConfig.ofBroker(config);
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
            result.configs().add(new DescribeConfigsResourceResult().setName(c.name()).setValue(c.value())
                    .setReadOnly(c.readOnly())
                    .setConfigSource(c.source()).setIsSensitive(false).setConfigType(c.type()));
        }
        return result;
    }
}
