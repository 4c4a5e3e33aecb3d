package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.config.TopicConfigs;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * IncrementalAlterConfigs (KIP-339) for topics: SET, DELETE, and APPEND/SUBTRACT on list-typed
 * configs, applied to the current overrides and committed as one change.
 */
public final class IncrementalAlterConfigsHandler implements ApiHandler {
    private final MetadataController controller;
    private final Authorization authorization;

    public IncrementalAlterConfigsHandler(MetadataController controller) {
        this(controller, Authorization.disabled());
    }

    /** With authorization: ALTER_CONFIGS on the topic or (brokers) the cluster, checked where the write is served. */
    public IncrementalAlterConfigsHandler(MetadataController controller, Authorization authorization) {
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        IncrementalAlterConfigsRequestData data = (IncrementalAlterConfigsRequestData) request;
        List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            var response = new AlterConfigsResourceResponse().setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
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
            var result = topic ? controller.alterTopicConfigs(resource.resourceName(), overrides -> apply(resource, overrides, true), data.validateOnly())
                    : controller.alterBrokerConfigs(resource.resourceName(), overrides -> apply(resource, overrides, false), data.validateOnly());
            results.add(result.thenApply(r -> response.setErrorCode(r.error().code()).setErrorMessage(r.message())));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
            results.forEach(f -> response.responses().add(f.join()));
            return response;
        });
    }

    /** Applies the operations to {@code overrides}; returns the problem, if any. */
    private static String apply(IncrementalAlterConfigsRequestData.AlterConfigsResource resource, Map<String, String> overrides, boolean topic) {
        Set<String> seen = new java.util.HashSet<>();
        for (IncrementalAlterConfigsRequestData.AlterableConfig c : resource.configs()) {
            if (!seen.add(c.name())) return "Error due to duplicate config keys: " + c.name();
            // Broker keys are checked (dynamic or not) by the controller; list semantics come from their topic synonym.
            var def = topic ? TopicConfigs.definition(c.name()) : TopicConfigs.forBrokerKey(c.name());
            if (def.isEmpty()) {
                if (topic) return "Unknown topic config name: " + c.name();
                if (op(c) == AlterConfigOp.OpType.SET && c.value() != null) {
                    overrides.put(c.name(), c.value());
                    continue;
                }
                if (op(c) == AlterConfigOp.OpType.DELETE && TopicConfigs.BROKER_ONLY_DYNAMIC.contains(c.name())) {
                    overrides.remove(c.name()); // a replication throttle being cleared
                    continue;
                }
                return "Cannot update these configs dynamically: [" + c.name() + "]";
            }
            AlterConfigOp.OpType op = op(c);
            if (op == null) return "Unknown config operation " + c.configOperation() + " for " + c.name();
            switch (op) {
                case SET -> {
                    if (c.value() == null) return "Null value not supported for : " + c.name();
                    overrides.put(c.name(), c.value());
                }
                case DELETE -> overrides.remove(c.name());
                case APPEND, SUBTRACT -> {
                    if (def.get().type() != TopicConfigs.Type.LIST)
                        return "Config value append is not allowed for config key: " + c.name();
                    Set<String> items = new LinkedHashSet<>(list(overrides.getOrDefault(c.name(), def.get().fixedDefault())));
                    if (op == AlterConfigOp.OpType.APPEND) items.addAll(list(c.value())); else items.removeAll(list(c.value()));
                    overrides.put(c.name(), String.join(",", items));
                }
            }
        }
        return null;
    }

    private static AlterConfigOp.OpType op(IncrementalAlterConfigsRequestData.AlterableConfig c) {
        return AlterConfigOp.OpType.forId(c.configOperation());
    }

    private static List<String> list(String value) {
        if (value == null || value.isBlank()) return List.of();
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
