package io.runnel.broker.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsRequestData.DeleteAclsFilter;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsResponseData.DeleteAclsFilterResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.DeleteAclsResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;

/**
 * DeleteAcls ({@code kafka-acls --remove}, Admin.deleteAcls): removes every ACL each filter
 * matches, and answers per filter with the ACLs it removed. ALTER on the cluster is checked by
 * {@link io.runnel.broker.security.Authorization#guard}; without an authorizer every filter gets
 * SECURITY_DISABLED. A controller write, forwarded to the active controller. Stateless.
 */
public final class DeleteAclsHandler implements ApiHandler {
    private final MetadataController controller;
    private final boolean authorizerEnabled;

    public DeleteAclsHandler(MetadataController controller, boolean authorizerEnabled) {
        this.controller = controller;
        this.authorizerEnabled = authorizerEnabled;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteAclsRequestData data = (DeleteAclsRequestData) request;
        if (!authorizerEnabled)
            return CompletableFuture.completedFuture(failAll(data, ApiError.fromThrowable(new SecurityDisabledException("No Authorizer is configured."))));
        List<AclBindingFilter> filters = data.filters().stream().map(DeleteAclsHandler::filter).toList();
        // As Kafka (its request refuses to parse): an UNKNOWN (0) code closes the connection; other codes it does not know fail their filter.
        if (data.filters().stream().anyMatch(f -> f.resourceTypeFilter() == 0 || f.patternTypeFilter() == 0 || f.operation() == 0 || f.permissionType() == 0))
            return CompletableFuture.failedFuture(new CloseConnectionException("DeleteAcls with UNKNOWN elements: " + data));
        return controller.deleteAcls(filters).handle((results, error) -> {
            if (error != null) return failAll(data, new ApiError(ControllerErrors.of(error)));
            DeleteAclsResponseData response = new DeleteAclsResponseData();
            results.forEach(r -> response.filterResults().add(DeleteAclsResponse.filterResult(r)));
            return response;
        });
    }

    /** The filter as sent (v1+: kafka-clients 4 has no v0). */
    static AclBindingFilter filter(DeleteAclsFilter f) {
        return new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.fromCode(f.resourceTypeFilter()), f.resourceNameFilter(),
                        PatternType.fromCode(f.patternTypeFilter())),
                new AccessControlEntryFilter(f.principalFilter(), f.hostFilter(), AclOperation.fromCode(f.operation()),
                        AclPermissionType.fromCode(f.permissionType())));
    }

    private static DeleteAclsResponseData failAll(DeleteAclsRequestData data, ApiError error) {
        DeleteAclsResponseData response = new DeleteAclsResponseData();
        data.filters().forEach(f -> response.filterResults().add(new DeleteAclsFilterResult().setErrorCode(error.error().code())
                .setErrorMessage(error.message())));
        return response;
    }
}
