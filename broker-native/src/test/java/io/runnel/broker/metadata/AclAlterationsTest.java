package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.metadata.RemoveAccessControlEntryRecord;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.server.authorizer.AclCreateResult;
import org.apache.kafka.server.authorizer.AclDeleteResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * CreateAcls and DeleteAcls decided without a broker: Kafka's validation at its edges, no
 * duplicate records, filters (MATCH, ANY, prefixed) removing what they match once, and the image
 * replaying the records and a snapshot of itself to the same ACLs.
 */
class AclAlterationsTest {
    static AclBinding binding(ResourceType type, String name, PatternType pattern, String principal, String host, AclOperation op,
                              AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(type, name, pattern), new AccessControlEntry(principal, host, op, permission));
    }

    static AclBinding allowRead(String topic, PatternType pattern) {
        return binding(ResourceType.TOPIC, topic, pattern, "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW);
    }

    static AclImage apply(AclImage base, List<org.apache.kafka.server.common.ApiMessageAndVersion> records) {
        MetadataImage empty = MetadataImage.empty("c");
        MetadataImage image = new MetadataImage(0, "c", empty.topicsByName(), empty.topicsById(), empty.brokers(), 0, empty.brokerConfigs(),
                ScramImage.EMPTY, io.runnel.broker.metadata.ClientQuotaImage.EMPTY, base);
        return image.apply(records, 1).acls();
    }

    static List<AclBinding> invalidBindings() {
        return List.of(
                binding(ResourceType.UNKNOWN, "t", PatternType.LITERAL, "User:a", "*", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.UNKNOWN, "User:a", "*", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.LITERAL, "User:a", "*", AclOperation.UNKNOWN, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.LITERAL, "User:a", "*", AclOperation.READ, AclPermissionType.UNKNOWN),
                binding(ResourceType.TOPIC, "", PatternType.LITERAL, "User:a", "*", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.CLUSTER, "other", PatternType.LITERAL, "User:a", "*", AclOperation.ALTER, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.LITERAL, "alice", "*", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.LITERAL, "User:a", "", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TOPIC, "t", PatternType.LITERAL, "User:a", "10.0.0.0/40", AclOperation.READ, AclPermissionType.ALLOW));
    }

    @ParameterizedTest
    @MethodSource("invalidBindings")
    void anInvalidBindingFailsWithInvalidRequestAndWritesNothing(AclBinding bad) {
        AclAlterations.Creation c = AclAlterations.create(AclImage.EMPTY, List.of(bad));
        assertThat(c.records()).isEmpty();
        assertThat(c.results()).singleElement().satisfies(r -> assertThat(r.exception()).get().isInstanceOf(InvalidRequestException.class));
    }

    @Test
    void validEdgesAreAccepted() {
        List<AclBinding> ok = List.of(
                binding(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, "User:a", "*", AclOperation.ALTER, AclPermissionType.DENY),
                binding(ResourceType.TOPIC, "*", PatternType.LITERAL, "User:*", "*", AclOperation.ALL, AclPermissionType.ALLOW),
                binding(ResourceType.GROUP, "g", PatternType.PREFIXED, "User:a", "10.0.0.0/8", AclOperation.READ, AclPermissionType.ALLOW),
                binding(ResourceType.TRANSACTIONAL_ID, "tx", PatternType.LITERAL, "User:a", "192.168.1.1", AclOperation.WRITE, AclPermissionType.ALLOW));
        AclAlterations.Creation c = AclAlterations.create(AclImage.EMPTY, ok);
        assertThat(c.results()).allSatisfy(r -> assertThat(r.exception()).isEmpty());
        assertThat(apply(AclImage.EMPTY, c.records()).byId().values()).extracting(a -> a.toBinding()).containsExactlyInAnyOrderElementsOf(ok);
    }

    @Test
    void anAclThatExistsOrRepeatsInTheRequestSucceedsWithoutASecondRecord() {
        AclImage image = apply(AclImage.EMPTY, AclAlterations.create(AclImage.EMPTY, List.of(allowRead("a", PatternType.LITERAL))).records());
        AclAlterations.Creation again = AclAlterations.create(image, List.of(allowRead("a", PatternType.LITERAL),
                allowRead("b", PatternType.LITERAL), allowRead("b", PatternType.LITERAL)));
        assertThat(again.results()).containsExactly(AclCreateResult.SUCCESS, AclCreateResult.SUCCESS, AclCreateResult.SUCCESS);
        assertThat(again.records()).hasSize(1);
        assertThat(apply(image, again.records()).byId()).hasSize(2);
    }

    @Test
    void filtersRemoveWhatTheyMatchOnceAndUnknownFiltersFail() {
        AclBinding literal = allowRead("pay-eu", PatternType.LITERAL);
        AclBinding prefixed = allowRead("pay-", PatternType.PREFIXED);
        AclBinding other = allowRead("orders", PatternType.LITERAL);
        AclImage image = apply(AclImage.EMPTY, AclAlterations.create(AclImage.EMPTY, List.of(literal, prefixed, other)).records());

        AclBindingFilter matchPayEu = new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "pay-eu", PatternType.MATCH),
                AccessControlEntryFilter.ANY);
        AclBindingFilter unknown = new AclBindingFilter(new ResourcePatternFilter(ResourceType.UNKNOWN, null, PatternType.ANY),
                AccessControlEntryFilter.ANY);
        AclAlterations.Deletion d = AclAlterations.delete(image, List.of(matchPayEu, unknown, AclBindingFilter.ANY));
        assertThat(d.results().get(0).aclBindingDeleteResults()).extracting(AclDeleteResult.AclBindingDeleteResult::aclBinding)
                .containsExactlyInAnyOrder(literal, prefixed);
        assertThat(d.results().get(1).exception()).get().isInstanceOf(InvalidRequestException.class);
        // ANY after MATCH: only what is left, each ACL reported once.
        assertThat(d.results().get(2).aclBindingDeleteResults()).extracting(AclDeleteResult.AclBindingDeleteResult::aclBinding)
                .containsExactly(other);
        assertThat(d.records()).hasSize(3);
        assertThat(apply(image, d.records()).isEmpty()).isTrue();
    }

    @Test
    void aSnapshotOfTheImageReplaysToTheSameAclsUnderTheSameIds() {
        AclImage image = apply(AclImage.EMPTY, AclAlterations.create(AclImage.EMPTY,
                List.of(allowRead("a", PatternType.LITERAL), allowRead("b", PatternType.PREFIXED))).records());
        assertThat(apply(AclImage.EMPTY, image.records()).byId()).isEqualTo(image.byId());
    }

    @Test
    void removingAnUnknownIdIsACorruptLogAndStopsLoudly() {
        var removal = new org.apache.kafka.server.common.ApiMessageAndVersion(new RemoveAccessControlEntryRecord().setId(Uuid.randomUuid()), (short) 0);
        assertThatThrownBy(() -> apply(AclImage.EMPTY, List.of(removal))).isInstanceOf(IllegalStateException.class);
    }
}
