package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/**
 * DescribeAcls ({@code kafka-acls --list}, Admin.describeAcls): the ACLs a filter matches, from
 * this broker's own image (an ACL created a moment ago may reach it a moment later). DESCRIBE on
 * the cluster is checked by {@link Authorization#guard}; without an authorizer the answer is
 * SECURITY_DISABLED; a filter with UNKNOWN elements closes the connection, as Kafka's parser does. Stateless.
 */
public final class DescribeAclsHandler implements ApiHandler {
    private final Authorization authorization;

    public DescribeAclsHandler(Authorization authorization) {
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeAclsRequestData data = (DescribeAclsRequestData) request;
        DescribeAclsResponseData response = new DescribeAclsResponseData();
        if (!authorization.enabled())
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.SECURITY_DISABLED.code())
                    .setErrorMessage("No Authorizer is configured on the broker"));
        AclBindingFilter filter = new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.fromCode(data.resourceTypeFilter()), data.resourceNameFilter(),
                        PatternType.fromCode(data.patternTypeFilter())),
                new AccessControlEntryFilter(data.principalFilter(), data.hostFilter(), AclOperation.fromCode(data.operation()),
                        AclPermissionType.fromCode(data.permissionType())));
        // As Kafka (its request refuses to parse): an UNKNOWN (0) code closes the connection; other codes it does not know fail the filter.
        if (data.resourceTypeFilter() == 0 || data.patternTypeFilter() == 0 || data.operation() == 0 || data.permissionType() == 0)
            return CompletableFuture.failedFuture(new CloseConnectionException("DescribeAcls with UNKNOWN elements: " + data));
        if (filter.isUnknown())
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("Filter contains UNKNOWN elements"));
        return CompletableFuture.completedFuture(response.setResources(DescribeAclsResponse.aclsResources(authorization.acls(filter))));
    }
}
