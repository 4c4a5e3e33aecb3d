package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/** AlterConfigs (the legacy, replace-everything form): a topic's overrides become exactly the given set. */
public final class AlterConfigsHandler implements ApiHandler {
    private final MetadataController controller;
    private final Authorization authorization;

    public AlterConfigsHandler(MetadataController controller) {
        this(controller, Authorization.disabled());
    }

    /** With authorization: ALTER_CONFIGS on the topic or (brokers) the cluster, checked where the write is served. */
    public AlterConfigsHandler(MetadataController controller, Authorization authorization) {
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterConfigsRequestData data = (AlterConfigsRequestData) request;
        List<CompletableFuture<AlterConfigsResponseData.AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            var response = new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            Errors denied = authorization.configAccess(context, AclOperation.ALTER_CONFIGS, resource.resourceType(), resource.resourceName());
            if (denied != Errors.NONE) {
                results.add(CompletableFuture.completedFuture(response.setErrorCode(denied.code()).setErrorMessage(denied.message())));
                continue;
            }
            boolean topic = resource.resourceType() == ConfigResource.Type.TOPIC.id();
            if (!topic && resource.resourceType() != ConfigResource.Type.BROKER.id()) {
                results.add(CompletableFuture.completedFuture(response.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Only topic and broker configs can be altered on Runnel so far")));
                continue;
            }
            Map<String, String> overrides = new HashMap<>();
            resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
            // AlterConfigs replaces the resource's whole set of overrides.
            MetadataController.ConfigChange replace = current -> {
                current.clear();
                current.putAll(overrides);
                return null;
            };
            var result = topic ? controller.alterTopicConfigs(resource.resourceName(), replace, data.validateOnly())
                    : controller.alterBrokerConfigs(resource.resourceName(), replace, data.validateOnly());
            results.add(result.thenApply(r -> response.setErrorCode(r.error().code()).setErrorMessage(r.message())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            AlterConfigsResponseData response = new AlterConfigsResponseData();
            results.forEach(f -> response.responses().add(f.join()));
            return response;
        });
    }
}
