package io.runnel.broker.security;

import static io.runnel.broker.security.SecuredBroker.allow;
import static io.runnel.broker.security.SecuredBroker.deny;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * CreateAcls, DescribeAcls and DeleteAcls through the Java Admin: filters, Kafka's validation and
 * error codes, who may manage ACLs, and ACLs surviving a restart (they live in the metadata log).
 */
@Timeout(120)
class AclsAdminTest {
    @TempDir
    Path dir;

    static final AclBinding ALICE_READS_ORDERS = allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ);
    static final AclBinding ALICE_WRITES_PAY = allow("alice", ResourceType.TOPIC, "pay-", PatternType.PREFIXED, AclOperation.WRITE);
    static final AclBinding BOB_DENIED_GROUP = deny("bob", ResourceType.GROUP, "*", PatternType.LITERAL, AclOperation.READ);

    @Test
    void createdAclsAreListedByFilterDeletedByFilterAndSurviveARestart() throws Exception {
        try (RunningBroker broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()))) {
            try (Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin")) {
                admin.createAcls(List.of(ALICE_READS_ORDERS, ALICE_WRITES_PAY, BOB_DENIED_GROUP)).all().get();
                admin.createAcls(List.of(ALICE_READS_ORDERS)).all().get(); // again: no duplicate

                assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get())
                        .containsExactlyInAnyOrder(ALICE_READS_ORDERS, ALICE_WRITES_PAY, BOB_DENIED_GROUP);
                assertThat(admin.describeAcls(principal("User:alice")).values().get()).containsExactlyInAnyOrder(ALICE_READS_ORDERS, ALICE_WRITES_PAY);
                // MATCH: the ACLs that apply to topic pay-eu (the prefixed one), not only those named so.
                assertThat(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "pay-eu", PatternType.MATCH),
                        AccessControlEntryFilter.ANY)).values().get()).containsExactly(ALICE_WRITES_PAY);
                assertThat(admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "pay-eu", PatternType.LITERAL),
                        AccessControlEntryFilter.ANY)).values().get()).isEmpty();
            }
            broker.restart();
            try (Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin")) {
                assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get())
                        .containsExactlyInAnyOrder(ALICE_READS_ORDERS, ALICE_WRITES_PAY, BOB_DENIED_GROUP);
                Collection<AclBinding> deleted = admin.deleteAcls(List.of(principal("User:alice"))).all().get();
                assertThat(deleted).containsExactlyInAnyOrder(ALICE_READS_ORDERS, ALICE_WRITES_PAY);
                assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get()).containsExactly(BOB_DENIED_GROUP);
            }
        }
    }

    @Test
    void invalidBindingsAreRefusedOneByOneWithInvalidRequest() throws Exception {
        try (RunningBroker broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()));
             Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin")) {
            AclBinding wrongClusterName = allow("alice", ResourceType.CLUSTER, "my-cluster", PatternType.LITERAL, AclOperation.ALTER);
            AclBinding noColonPrincipal = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "t", PatternType.LITERAL),
                    new AccessControlEntry("alice", "*", AclOperation.READ, AclPermissionType.ALLOW));
            AclBinding badHost = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "t", PatternType.LITERAL),
                    new AccessControlEntry("User:alice", "10.0.0.0/99", AclOperation.READ, AclPermissionType.ALLOW));
            var result = admin.createAcls(List.of(wrongClusterName, noColonPrincipal, badHost, ALICE_READS_ORDERS));
            for (AclBinding bad : List.of(wrongClusterName, noColonPrincipal, badHost))
                assertThatThrownBy(() -> result.values().get(bad).get()).hasCauseInstanceOf(InvalidRequestException.class);
            result.values().get(ALICE_READS_ORDERS).get();
            assertThat(admin.describeAcls(AclBindingFilter.ANY).values().get()).containsExactly(ALICE_READS_ORDERS);
        }
    }

    @Test
    void onlyPrincipalsWithClusterAlterManageAclsAndClusterDescribeListThem() throws Exception {
        try (RunningBroker broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()));
             Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin");
             Admin alice = SecuredBroker.admin(broker.bootstrapServers(), "alice")) {
            assertCause(() -> alice.createAcls(List.of(ALICE_READS_ORDERS)).all().get(), ClusterAuthorizationException.class);
            assertCause(() -> alice.describeAcls(AclBindingFilter.ANY).values().get(), ClusterAuthorizationException.class);
            assertCause(() -> alice.deleteAcls(List.of(AclBindingFilter.ANY)).all().get(), ClusterAuthorizationException.class);

            admin.createAcls(List.of(allow("alice", ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, AclOperation.DESCRIBE))).all().get();
            awaitAcls(alice, 1);
            assertCause(() -> alice.createAcls(List.of(ALICE_READS_ORDERS)).all().get(), ClusterAuthorizationException.class);
        }
    }

    @Test
    void withoutAnAuthorizerTheAclApisAnswerSecurityDisabled() throws Exception {
        Map<String, String> noAuthorizer = new java.util.HashMap<>(SecuredBroker.config(dir, Map.of()));
        noAuthorizer.remove("authorizer.class.name");
        try (RunningBroker broker = new RunningBroker(dir, noAuthorizer);
             Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "alice")) {
            assertCause(() -> admin.createAcls(List.of(ALICE_READS_ORDERS)).all().get(), SecurityDisabledException.class);
            assertCause(() -> admin.describeAcls(AclBindingFilter.ANY).values().get(), SecurityDisabledException.class);
            assertCause(() -> admin.deleteAcls(List.of(AclBindingFilter.ANY)).all().get(), SecurityDisabledException.class);
        }
    }

    @Test
    void anUnknownAuthorizerClassStopsTheBrokerFromStarting() {
        assertThatThrownBy(() -> new RunningBroker(dir, SecuredBroker.config(dir, Map.of("authorizer.class.name", "kafka.security.authorizer.AclAuthorizer"))))
                .hasMessageContaining("not supported");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "v{0}")
    @org.junit.jupiter.params.provider.ValueSource(shorts = {1, 2, 3}) // every version kafka-clients 4.4 has (Kafka 4 dropped v0)
    void everyVersionOfTheAclApisCreatesListsAndDeletes(short version) throws Exception {
        // PLAINTEXT, with the anonymous principal as super user: the raw client speaks each version itself.
        Map<String, String> plaintext = Map.of("listeners", "PLAINTEXT://127.0.0.1:0", "log.dirs", dir.toString(),
                "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "super.users", "User:ANONYMOUS");
        try (RunningBroker broker = new RunningBroker(dir, plaintext)) {
            String[] hostPort = broker.bootstrapServers().split(":");
            try (var raw = new io.runnel.broker.protocol.RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                var creation = new org.apache.kafka.common.message.CreateAclsRequestData.AclCreation().setResourceType(ResourceType.TOPIC.code())
                        .setResourceName("orders").setResourcePatternType(PatternType.LITERAL.code()).setPrincipal("User:alice").setHost("*")
                        .setOperation(AclOperation.READ.code()).setPermissionType(AclPermissionType.ALLOW.code());
                var created = (org.apache.kafka.common.message.CreateAclsResponseData) raw.send(org.apache.kafka.common.protocol.ApiKeys.CREATE_ACLS,
                        version, new org.apache.kafka.common.message.CreateAclsRequestData().setCreations(List.of(creation)));
                assertThat(created.results()).extracting(r -> org.apache.kafka.common.protocol.Errors.forCode(r.errorCode()))
                        .containsExactly(org.apache.kafka.common.protocol.Errors.NONE);

                var described = (org.apache.kafka.common.message.DescribeAclsResponseData) raw.send(org.apache.kafka.common.protocol.ApiKeys.DESCRIBE_ACLS,
                        version, new org.apache.kafka.common.message.DescribeAclsRequestData().setResourceTypeFilter(ResourceType.TOPIC.code())
                                .setResourceNameFilter("orders").setPatternTypeFilter(PatternType.LITERAL.code())
                                .setOperation(AclOperation.ANY.code()).setPermissionType(AclPermissionType.ANY.code())
                                .setPrincipalFilter(null).setHostFilter(null));
                assertThat(described.errorCode()).isZero();
                assertThat(described.resources()).singleElement().satisfies(r -> assertThat(r.acls()).singleElement()
                        .satisfies(acl -> assertThat(acl.principal()).isEqualTo("User:alice")));

                var deleted = (org.apache.kafka.common.message.DeleteAclsResponseData) raw.send(org.apache.kafka.common.protocol.ApiKeys.DELETE_ACLS,
                        version, new org.apache.kafka.common.message.DeleteAclsRequestData().setFilters(List.of(
                                new org.apache.kafka.common.message.DeleteAclsRequestData.DeleteAclsFilter().setResourceTypeFilter(ResourceType.TOPIC.code())
                                        .setResourceNameFilter("orders").setPatternTypeFilter(PatternType.LITERAL.code()).setOperation(AclOperation.ANY.code())
                                        .setPermissionType(AclPermissionType.ANY.code()).setPrincipalFilter(null).setHostFilter(null))));
                assertThat(deleted.filterResults()).singleElement().satisfies(f -> {
                    assertThat(f.errorCode()).isZero();
                    assertThat(f.matchingAcls()).singleElement().satisfies(m -> assertThat(m.resourceName()).isEqualTo("orders"));
                });
            }
        }
    }

    static AclBindingFilter principal(String principal) {
        return new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
    }

    static void awaitAcls(Admin admin, int count) throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                if (admin.describeAcls(AclBindingFilter.ANY).values().get().size() == count) return;
            } catch (ExecutionException e) {
                // not authorized yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("ACLs did not arrive");
    }

    static void assertCause(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Class<? extends Throwable> cause) {
        assertThatThrownBy(call).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(cause);
    }
}
