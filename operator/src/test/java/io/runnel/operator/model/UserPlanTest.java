package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import io.runnel.operator.api.UserSpec;

class UserPlanTest {
    private static UserSpec.AclRule rule(UserSpec.AclResource.Type type, String name, UserSpec.AclResource.PatternType pattern,
                                         UserSpec.AclRule.Type allowOrDeny, UserSpec.AclRule.Operation... ops) {
        UserSpec.AclRule r = new UserSpec.AclRule();
        r.resource = new UserSpec.AclResource();
        r.resource.type = type;
        r.resource.name = name;
        r.resource.patternType = pattern;
        r.operations = List.of(ops);
        r.type = allowOrDeny;
        return r;
    }

    private static UserSpec spec(UserSpec.AclRule... rules) {
        UserSpec s = new UserSpec();
        s.cluster = "events";
        s.authorization = new UserSpec.Authorization();
        s.authorization.acls = List.of(rules);
        return s;
    }

    private static AclBinding binding(ResourceType type, String name, PatternType pattern, AclOperation op, AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry("User:alice", "*", op, permission));
    }

    @Test
    void eachOperationOfARuleIsOneKafkaAclOfThePrincipal() {
        UserSpec s = spec(
                rule(UserSpec.AclResource.Type.topic, "orders", UserSpec.AclResource.PatternType.literal, UserSpec.AclRule.Type.allow,
                        UserSpec.AclRule.Operation.Write, UserSpec.AclRule.Operation.Describe),
                rule(UserSpec.AclResource.Type.group, "billing-", UserSpec.AclResource.PatternType.prefix, UserSpec.AclRule.Type.allow,
                        UserSpec.AclRule.Operation.Read),
                rule(UserSpec.AclResource.Type.topic, "payments", UserSpec.AclResource.PatternType.literal, UserSpec.AclRule.Type.deny,
                        UserSpec.AclRule.Operation.All),
                rule(UserSpec.AclResource.Type.cluster, null, UserSpec.AclResource.PatternType.literal, UserSpec.AclRule.Type.allow,
                        UserSpec.AclRule.Operation.IdempotentWrite));
        assertThat(UserPlan.validate(s)).isEmpty();
        assertThat(UserPlan.acls("User:alice", s)).containsExactly(
                binding(ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.DESCRIBE, AclPermissionType.ALLOW),
                binding(ResourceType.GROUP, "billing-", PatternType.PREFIXED, AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "payments", PatternType.LITERAL, AclOperation.ALL, AclPermissionType.DENY),
                binding(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW));
    }

    @Test
    void theDiffCreatesWhatIsMissingAndDeletesWhatTheSpecNoLongerHasLeavingTheRest() {
        AclBinding keep = binding(ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE, AclPermissionType.ALLOW);
        AclBinding add = binding(ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ, AclPermissionType.ALLOW);
        AclBinding stale = binding(ResourceType.TOPIC, "orders", PatternType.PREFIXED, AclOperation.WRITE, AclPermissionType.ALLOW);
        UserPlan.AclChanges changes = UserPlan.aclChanges(Set.of(keep, add), List.of(keep, stale));
        assertThat(changes.create()).containsExactly(add);
        assertThat(changes.delete()).containsExactly(stale);
        assertThat(UserPlan.aclChanges(Set.of(keep), List.of(keep)).isEmpty()).isTrue();
    }

    @Test
    void quotasAreSetChangedAndRemovedToMatchTheSpec() {
        UserSpec s = spec();
        s.quotas = new UserSpec.Quotas();
        s.quotas.producerByteRate = 1_048_576L;
        s.quotas.requestPercentage = 50.0;
        Map<String, Double> desired = UserPlan.quotas(s);
        assertThat(desired).containsOnly(Map.entry("producer_byte_rate", 1_048_576.0), Map.entry("request_percentage", 50.0));
        Map<String, Double> changes = UserPlan.quotaChanges(desired, Map.of("producer_byte_rate", 1_048_576.0, "request_percentage", 25.0,
                "consumer_byte_rate", 10.0));
        assertThat(changes).containsEntry("request_percentage", 50.0).containsEntry("consumer_byte_rate", null).hasSize(2);
        assertThat(UserPlan.quotaChanges(desired, desired)).isEmpty();
    }

    @Test
    void aRuleWithoutANameOrOperationsIsRefusedWithItsIndex() {
        UserSpec s = spec(rule(UserSpec.AclResource.Type.topic, null, UserSpec.AclResource.PatternType.literal, UserSpec.AclRule.Type.allow));
        assertThat(UserPlan.validate(s)).containsExactly("authorization.acls[0] names no topic", "authorization.acls[0] has no operations");
    }
}
