package io.runnel.broker.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.CreateAclsResponseData.AclCreationResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.CreateAclsRequest;
import org.apache.kafka.server.authorizer.AclCreateResult;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;

/**
 * CreateAcls ({@code kafka-acls --add}, Admin.createAcls): adds ACLs to the cluster metadata, one
 * result per binding in request order. ALTER on the cluster is checked by
 * {@link io.runnel.broker.security.Authorization#guard}; without an authorizer every binding gets
 * SECURITY_DISABLED, as from Kafka. A controller write: served by the active controller, forwarded
 * there from other brokers. Stateless.
 */
public final class CreateAclsHandler implements ApiHandler {
    private final MetadataController controller;
    private final boolean authorizerEnabled;

    public CreateAclsHandler(MetadataController controller, boolean authorizerEnabled) {
        this.controller = controller;
        this.authorizerEnabled = authorizerEnabled;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        CreateAclsRequestData data = (CreateAclsRequestData) request;
        if (!authorizerEnabled)
            return CompletableFuture.completedFuture(failAll(data, ApiError.fromThrowable(new SecurityDisabledException("No Authorizer is configured."))));
        // As Kafka (its request refuses to parse): an UNKNOWN (0) code anywhere closes the connection.
        if (data.creations().stream().anyMatch(CreateAclsHandler::hasUnknownCode))
            return CompletableFuture.failedFuture(new CloseConnectionException("CreateAcls with UNKNOWN elements: " + data));
        List<AclBinding> bindings;
        try {
            bindings = data.creations().stream().map(CreateAclsRequest::aclBinding).toList();
        } catch (IllegalArgumentException e) {
            // ANY and MATCH are filter values that kafka-clients cannot build a binding of; Kafka then fails the whole request.
            return CompletableFuture.completedFuture(failAll(data, new ApiError(Errors.UNKNOWN_SERVER_ERROR, null)));
        }
        return controller.createAcls(bindings).handle((results, error) -> {
            if (error != null) return failAll(data, new ApiError(ControllerErrors.of(error)));
            CreateAclsResponseData response = new CreateAclsResponseData();
            for (AclCreateResult r : results) {
                AclCreationResult result = new AclCreationResult();
                r.exception().ifPresent(e -> {
                    ApiError apiError = ApiError.fromThrowable(e);
                    result.setErrorCode(apiError.error().code()).setErrorMessage(apiError.message());
                });
                response.results().add(result);
            }
            return response;
        });
    }

    private static boolean hasUnknownCode(CreateAclsRequestData.AclCreation c) {
        return c.resourceType() == 0 || c.resourcePatternType() == 0 || c.operation() == 0 || c.permissionType() == 0;
    }

    private static CreateAclsResponseData failAll(CreateAclsRequestData data, ApiError error) {
        CreateAclsResponseData response = new CreateAclsResponseData();
        data.creations().forEach(c -> response.results().add(new AclCreationResult().setErrorCode(error.error().code())
                .setErrorMessage(error.error() == Errors.NONE ? null : error.message())));
        return response;
    }
}
