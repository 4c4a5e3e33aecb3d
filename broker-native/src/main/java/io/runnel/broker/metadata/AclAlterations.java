package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAclWithId;
import org.apache.kafka.server.authorizer.AclCreateResult;
import org.apache.kafka.server.authorizer.AclDeleteResult;
import org.apache.kafka.server.authorizer.internals.CidrUtils;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * What CreateAcls and DeleteAcls do to the metadata, decided as pure functions of the current
 * {@link AclImage} (Kafka's KRaft {@code AclControlManager} rules): each binding or filter gets its
 * own result, and the records of the accepted ones are committed together by the controller.
 *
 * <p>Create: a binding with an UNKNOWN resource type, operation or permission, a pattern other
 * than LITERAL or PREFIXED, an empty resource name, a CLUSTER resource not named
 * {@code kafka-cluster}, or an empty or malformed host fails with INVALID_REQUEST; creating an ACL
 * that exists (or twice in one request) succeeds and writes nothing. Delete: a filter with UNKNOWN
 * elements fails with INVALID_REQUEST; every ACL a valid filter matches is removed and reported
 * under the first filter that matched it. Stateless.
 */
public final class AclAlterations {
    private AclAlterations() {}

    /** The records to commit and, in request order, each binding's result. */
    public record Creation(List<ApiMessageAndVersion> records, List<AclCreateResult> results) {}

    /** The records to commit and, in request order, each filter's result. */
    public record Deletion(List<ApiMessageAndVersion> records, List<AclDeleteResult> results) {}

    public static Creation create(AclImage image, List<AclBinding> bindings) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        List<AclCreateResult> results = new ArrayList<>();
        Set<StandardAcl> added = new HashSet<>();
        Set<Uuid> ids = AclImage.noIds();
        for (AclBinding binding : bindings) {
            try {
                validate(binding);
            } catch (ApiException e) {
                results.add(new AclCreateResult(e));
                continue;
            }
            StandardAcl acl = StandardAcl.fromAclBinding(binding);
            if (!image.contains(acl) && added.add(acl)) {
                Uuid id = image.newId(ids);
                ids.add(id);
                records.add(new ApiMessageAndVersion(new StandardAclWithId(id, acl).toRecord(), (short) 0));
            }
            results.add(AclCreateResult.SUCCESS);
        }
        return new Creation(records, results);
    }

    public static Deletion delete(AclImage image, List<AclBindingFilter> filters) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        List<AclDeleteResult> results = new ArrayList<>();
        Set<Uuid> removed = new HashSet<>();
        for (AclBindingFilter filter : filters) {
            if (filter.patternFilter().isUnknown() || filter.entryFilter().isUnknown()) {
                results.add(new AclDeleteResult(new InvalidRequestException(
                        filter.patternFilter().isUnknown() ? "Unknown patternFilter." : "Unknown entryFilter.")));
                continue;
            }
            List<AclDeleteResult.AclBindingDeleteResult> matched = new ArrayList<>();
            for (Map.Entry<Uuid, StandardAcl> e : image.byId().entrySet()) {
                AclBinding binding = e.getValue().toBinding();
                if (filter.matches(binding) && removed.add(e.getKey())) {
                    matched.add(new AclDeleteResult.AclBindingDeleteResult(binding));
                    records.add(AclImage.removalRecord(e.getKey()));
                }
            }
            results.add(new AclDeleteResult(matched));
        }
        return new Deletion(records, results);
    }

    /** Kafka's checks of a new ACL (the broker's AclApis and the controller's AclControlManager together). */
    static void validate(AclBinding binding) {
        ResourceType type = binding.pattern().resourceType();
        if (type == ResourceType.UNKNOWN || type == ResourceType.ANY) throw new InvalidRequestException("Invalid resourceType " + type);
        switch (binding.pattern().patternType()) {
            case LITERAL, PREFIXED -> { }
            default -> throw new InvalidRequestException("Invalid patternType " + binding.pattern().patternType());
        }
        switch (binding.entry().operation()) {
            case UNKNOWN, ANY -> throw new InvalidRequestException("Invalid operation " + binding.entry().operation());
            default -> { }
        }
        switch (binding.entry().permissionType()) {
            case ALLOW, DENY -> { }
            default -> throw new InvalidRequestException("Invalid permissionType " + binding.entry().permissionType());
        }
        String name = binding.pattern().name();
        if (type == ResourceType.CLUSTER && !"kafka-cluster".equals(name))
            throw new InvalidRequestException("The only valid name for the CLUSTER resource is kafka-cluster");
        if (name == null || name.isEmpty()) throw new InvalidRequestException("Invalid empty resource name");
        validateHost(binding.entry().host());
        String principal = binding.entry().principal();
        if (principal == null || principal.indexOf(':') < 0)
            throw new InvalidRequestException("Could not parse principal from `" + principal + "` (no colon is present separating the "
                    + "principal type from the principal name)");
    }

    private static void validateHost(String host) {
        if (host == null || host.isEmpty()) throw new InvalidRequestException("Host pattern cannot be null or empty");
        if (host.equals("*") || !host.contains("/")) return;
        try {
            CidrUtils.validate(host);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("Invalid host pattern " + host + ": " + e.getMessage());
        }
    }
}
