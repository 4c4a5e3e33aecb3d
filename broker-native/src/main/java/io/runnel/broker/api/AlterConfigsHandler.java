package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** AlterConfigs (the legacy, replace-everything form): a topic's overrides become exactly the given set. */
public final class AlterConfigsHandler implements ApiHandler {
    private final MetadataController controller;

    public AlterConfigsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterConfigsRequestData data = (AlterConfigsRequestData) request;
        List<CompletableFuture<AlterConfigsResponseData.AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (AlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            var response = new AlterConfigsResponseData.AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            if (resource.resourceType() != ConfigResource.Type.TOPIC.id()) {
                results.add(CompletableFuture.completedFuture(response.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Only topic configs can be altered on Runnel so far")));
                continue;
            }
            Map<String, String> overrides = new HashMap<>();
            resource.configs().forEach(c -> overrides.put(c.name(), c.value()));
            results.add(controller.alterTopicConfigs(resource.resourceName(), current -> {
                        current.clear();
                        current.putAll(overrides);
                        return null;
                    }, data.validateOnly())
                    .thenApply(r -> response.setErrorCode(r.error().code()).setErrorMessage(r.message())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            AlterConfigsResponseData response = new AlterConfigsResponseData();
            results.forEach(f -> response.responses().add(f.join()));
            return response;
        });
    }
}
