package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.protocol.SupportedApis;

/** ApiVersions: advertises exactly the APIs and versions this broker serves end to end. */
public final class ApiVersionsHandler implements ApiHandler {
    private final Supplier<SupportedApis> apis;

    public ApiVersionsHandler(Supplier<SupportedApis> apis) {
        this.apis = apis;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ApiVersionsRequestData data = (ApiVersionsRequestData) request;
        ApiVersionsResponseData response = new ApiVersionsResponseData().setApiKeys(apis.get().versions());
        if (context.apiVersion() >= 3 && !new ApiVersionsRequest(data, context.apiVersion()).isValid()) {
            // KIP-511: client software name and version must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?
            response.setErrorCode(Errors.INVALID_REQUEST.code());
        }
        return CompletableFuture.completedFuture(response);
    }
}
