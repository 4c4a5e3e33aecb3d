package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;

import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import io.runnel.broker.config.AuthorizerConfig;
import io.runnel.broker.metadata.AclAlterations;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * The authorizer wiring without a broker: ACLs arrive with metadata images (and do not lapse while
 * a snapshot is loaded), super users and hosts are Kafka's, and the guard answers a cluster-level
 * refusal with the API's own error response.
 */
class AuthorizationTest {
    static final AuthorizerConfig ON = new AuthorizerConfig(true, List.of("User:admin"), false);

    static RequestContext context(String user, String host, ApiKeys api) {
        return new RequestContext(new RequestHeader(api, api.latestVersion(), "test", 1), "SASL_PLAINTEXT",
                new InetSocketAddress(host, 5555), "c1", null, new KafkaPrincipal(KafkaPrincipal.USER_TYPE, user));
    }

    static boolean reads(Authorization a, String user, String host) {
        return a.allowed(context(user, host, ApiKeys.FETCH), AclOperation.READ, ResourceType.TOPIC, "orders");
    }

    static MetadataImage withAcls(MetadataImage base, AclBinding... bindings) {
        return base.apply(AclAlterations.create(base.acls(), List.of(bindings)).records(), base.offset() + 1);
    }

    static AclBinding acl(String principal, String host, AclPermissionType permission) {
        return new AclBinding(new ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL),
                new AccessControlEntry(principal, host, AclOperation.READ, permission));
    }

    @Test
    void aclsOfEachImageApplyAndDenyWinsAndSurvivesTheEmptyImageOfASnapshotReset() {
        Authorization a = Authorization.of(ON, l -> SecurityProtocol.SASL_PLAINTEXT);
        MetadataImage empty = MetadataImage.empty("c");
        MetadataImage image = withAcls(empty, acl("User:*", "*", AclPermissionType.ALLOW), acl("User:bob", "*", AclPermissionType.DENY));
        a.onImage(empty, image);
        assertThat(reads(a, "alice", "10.0.0.1")).isTrue();
        assertThat(reads(a, "bob", "10.0.0.1")).isFalse();
        assertThat(reads(a, "admin", "10.0.0.1")).as("super user").isTrue();

        // A reset to a snapshot: first the empty image, then the snapshot's (here without the DENY).
        a.onImage(image, empty);
        assertThat(reads(a, "bob", "10.0.0.1")).as("DENY still in force during the reset").isFalse();
        MetadataImage snapshot = withAcls(empty, acl("User:*", "*", AclPermissionType.ALLOW));
        a.onImage(empty, snapshot);
        assertThat(reads(a, "bob", "10.0.0.1")).isTrue();
    }

    @Test
    void beforeTheFirstImageOnlySuperUsersPass() {
        Authorization a = Authorization.of(ON, l -> SecurityProtocol.SASL_PLAINTEXT);
        assertThat(reads(a, "admin", "10.0.0.1")).isTrue();
        assertThat(reads(a, "alice", "10.0.0.1")).isFalse();
    }

    @Test
    void hostsAreMatchedAsKafkaMatchesThem() {
        Authorization a = Authorization.of(ON, l -> SecurityProtocol.SASL_PLAINTEXT);
        MetadataImage empty = MetadataImage.empty("c");
        a.onImage(empty, withAcls(empty, acl("User:alice", "10.0.0.1", AclPermissionType.ALLOW)));
        assertThat(reads(a, "alice", "10.0.0.1")).isTrue();
        assertThat(reads(a, "alice", "10.0.0.2")).isFalse();
    }

    @Test
    void withoutAnAuthorizerEverythingPassesAndHandlersAreNotWrapped() {
        Authorization a = Authorization.disabled();
        ApiHandler handler = (c, r) -> null;
        assertThat(a.guard(ApiKeys.BROKER_HEARTBEAT, handler, true)).isSameAs(handler);
        assertThat(reads(a, "anyone", "10.0.0.9")).isTrue();
        assertThat(a.enabled()).isFalse();
    }

    @Test
    void theGuardAnswersAClusterRefusalWithTheApisOwnErrorResponse() throws Exception {
        Authorization a = Authorization.of(ON, l -> SecurityProtocol.SASL_PLAINTEXT);
        a.onImage(MetadataImage.empty("c"), MetadataImage.empty("c"));
        ApiHandler never = (c, r) -> { throw new AssertionError("must not be reached"); };
        var heartbeat = a.guard(ApiKeys.BROKER_HEARTBEAT, never, true)
                .handle(context("alice", "10.0.0.1", ApiKeys.BROKER_HEARTBEAT), new BrokerHeartbeatRequestData()).toCompletableFuture().get();
        assertThat(Errors.forCode(((BrokerHeartbeatResponseData) heartbeat).errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        var describe = a.guard(ApiKeys.DESCRIBE_ACLS, never, false)
                .handle(context("alice", "10.0.0.1", ApiKeys.DESCRIBE_ACLS), new DescribeAclsRequestData()
                        .setResourceTypeFilter((byte) 1).setPatternTypeFilter((byte) 1).setOperation((byte) 1).setPermissionType((byte) 1))
                .toCompletableFuture().get();
        assertThat(Errors.forCode(((DescribeAclsResponseData) describe).errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
    }

    @Test
    void unknownAuthorizerClassesAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.runnel.broker.config.BrokerConfig.from(java.util.Map.of(
                "authorizer.class.name", "kafka.security.authorizer.AclAuthorizer"))).hasMessageContaining("not supported");
        assertThat(io.runnel.broker.config.BrokerConfig.from(java.util.Map.of("authorizer.class.name", AuthorizerConfig.STANDARD_AUTHORIZER,
                "super.users", "User:admin; User:ANONYMOUS")).authorizer()).isEqualTo(new AuthorizerConfig(true, List.of("User:admin", "User:ANONYMOUS"), false));
    }
}
