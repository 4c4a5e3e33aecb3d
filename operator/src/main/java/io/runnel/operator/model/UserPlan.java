package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.operator.api.User;
import io.runnel.operator.api.UserSpec;

/**
 * What the brokers must hold for a User: its ACLs and quotas as Kafka's Admin API models them, and
 * the changes that take what the brokers hold now to that. The User owns every ACL of its principal
 * and every quota of its user entity, so anything else found there is removed. Pure.
 */
public final class UserPlan {
    /** Kafka's name for the cluster resource of an ACL. */
    static final String CLUSTER_RESOURCE = "kafka-cluster";

    public static final String PRODUCER_BYTE_RATE = "producer_byte_rate";
    public static final String CONSUMER_BYTE_RATE = "consumer_byte_rate";
    public static final String REQUEST_PERCENTAGE = "request_percentage";
    public static final String CONTROLLER_MUTATION_RATE = "controller_mutation_rate";

    /** ACLs to create and to delete; both empty when the brokers match the spec. */
    public record AclChanges(List<AclBinding> create, List<AclBinding> delete) {
        public boolean isEmpty() {
            return create.isEmpty() && delete.isEmpty();
        }
    }

    private UserPlan() {
    }

    public static String principal(User user) {
        return "User:" + user.userName();
    }

    /** Problems with the spec, each a sentence; empty when it can be applied. */
    public static List<String> validate(UserSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec.cluster == null || spec.cluster.isBlank()) problems.add("spec.cluster is missing");
        if (spec.authentication != null && spec.authentication.type == UserSpec.Authentication.Type.TLS && spec.authentication.password != null)
            problems.add("authentication.password is for scram-sha-512; a tls user has a certificate");
        if (spec.authorization != null) {
            int i = 0;
            for (UserSpec.AclRule rule : spec.authorization.acls) {
                String where = "authorization.acls[" + i++ + "]";
                if (rule.resource == null || rule.resource.type == null) problems.add(where + " has no resource type");
                else if (rule.resource.type != UserSpec.AclResource.Type.cluster && (rule.resource.name == null || rule.resource.name.isBlank()))
                    problems.add(where + " names no " + rule.resource.type);
                if (rule.operations == null || rule.operations.isEmpty()) problems.add(where + " has no operations");
            }
        }
        return problems;
    }

    /** Every ACL binding the spec asks for, one per operation. */
    public static Set<AclBinding> acls(String principal, UserSpec spec) {
        Set<AclBinding> acls = new LinkedHashSet<>();
        if (spec.authorization == null) return acls;
        for (UserSpec.AclRule rule : spec.authorization.acls) {
            ResourcePattern pattern = pattern(rule.resource);
            for (UserSpec.AclRule.Operation op : rule.operations)
                acls.add(new AclBinding(pattern, new AccessControlEntry(principal, rule.host == null || rule.host.isBlank() ? "*" : rule.host,
                        operation(op), rule.type == UserSpec.AclRule.Type.deny ? AclPermissionType.DENY : AclPermissionType.ALLOW)));
        }
        return acls;
    }

    public static AclChanges aclChanges(Collection<AclBinding> desired, Collection<AclBinding> current) {
        Set<AclBinding> have = new LinkedHashSet<>(current);
        Set<AclBinding> want = new LinkedHashSet<>(desired);
        List<AclBinding> create = want.stream().filter(b -> !have.contains(b)).toList();
        List<AclBinding> delete = have.stream().filter(b -> !want.contains(b)).toList();
        return new AclChanges(create, delete);
    }

    /** The quotas the spec sets, by Kafka's quota key. */
    public static Map<String, Double> quotas(UserSpec spec) {
        Map<String, Double> q = new TreeMap<>();
        if (spec.quotas == null) return q;
        if (spec.quotas.producerByteRate != null) q.put(PRODUCER_BYTE_RATE, spec.quotas.producerByteRate.doubleValue());
        if (spec.quotas.consumerByteRate != null) q.put(CONSUMER_BYTE_RATE, spec.quotas.consumerByteRate.doubleValue());
        if (spec.quotas.requestPercentage != null) q.put(REQUEST_PERCENTAGE, spec.quotas.requestPercentage);
        if (spec.quotas.controllerMutationRate != null) q.put(CONTROLLER_MUTATION_RATE, spec.quotas.controllerMutationRate);
        return q;
    }

    /** Quota key to its new value, or to null to remove it; empty when the brokers match. */
    public static Map<String, Double> quotaChanges(Map<String, Double> desired, Map<String, Double> current) {
        Map<String, Double> changes = new TreeMap<>();
        desired.forEach((k, v) -> {
            if (!v.equals(current.get(k))) changes.put(k, v);
        });
        current.keySet().forEach(k -> {
            if (!desired.containsKey(k)) changes.put(k, null);
        });
        return changes;
    }

    static ResourcePattern pattern(UserSpec.AclResource r) {
        ResourceType type = switch (r.type) {
            case topic -> ResourceType.TOPIC;
            case group -> ResourceType.GROUP;
            case cluster -> ResourceType.CLUSTER;
            case transactionalId -> ResourceType.TRANSACTIONAL_ID;
        };
        String name = r.type == UserSpec.AclResource.Type.cluster ? CLUSTER_RESOURCE : r.name;
        PatternType patternType = r.patternType == UserSpec.AclResource.PatternType.prefix && r.type != UserSpec.AclResource.Type.cluster
                ? PatternType.PREFIXED : PatternType.LITERAL;
        return new ResourcePattern(type, name, patternType);
    }

    static AclOperation operation(UserSpec.AclRule.Operation op) {
        return switch (op) {
            case Read -> AclOperation.READ;
            case Write -> AclOperation.WRITE;
            case Create -> AclOperation.CREATE;
            case Delete -> AclOperation.DELETE;
            case Alter -> AclOperation.ALTER;
            case Describe -> AclOperation.DESCRIBE;
            case ClusterAction -> AclOperation.CLUSTER_ACTION;
            case DescribeConfigs -> AclOperation.DESCRIBE_CONFIGS;
            case AlterConfigs -> AclOperation.ALTER_CONFIGS;
            case IdempotentWrite -> AclOperation.IDEMPOTENT_WRITE;
            case All -> AclOperation.ALL;
        };
    }
}
