package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ACLs on three real brokers with the authorizer on (the brokers' PLAINTEXT principal,
 * User:ANONYMOUS, is the super user, as an operator must set it): CreateAcls sent to a broker
 * that is not the active controller is forwarded in an Envelope, committed once, and every
 * broker lists the same ACLs from its own image; DeleteAcls likewise.
 */
class AclsOnAClusterTest {
    @TempDir
    Path dataRoot;

    static final AclBinding ALICE_READS = new AclBinding(new ResourcePattern(ResourceType.TOPIC, "orders", PatternType.LITERAL),
            new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));

    @Test
    void aclsCreatedThroughAFollowerReachEveryBrokerAndAreDeletedThroughAnother() throws Exception {
        Map<String, String> authorizer = Map.of("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users", "User:ANONYMOUS");
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, authorizer);
             Admin admin = admin(cluster.bootstrapServers())) {
            int active = admin.describeCluster().controller().get().id();
            List<Integer> followers = cluster.runningIds().stream().filter(id -> id != active).toList();
            try (Admin viaFollower = admin(cluster.bootstrapServers(followers.get(0)))) {
                viaFollower.createAcls(List.of(ALICE_READS)).all().get();
            }
            awaitTrue("every broker lists the ACL", () -> cluster.runningIds().stream().allMatch(id -> described(cluster, id).equals(List.of(ALICE_READS))));
            try (Admin viaOther = admin(cluster.bootstrapServers(followers.get(1)))) {
                assertThat(viaOther.deleteAcls(List.of(AclBindingFilter.ANY)).all().get()).containsExactly(ALICE_READS);
            }
            awaitTrue("every broker lists none", () -> cluster.runningIds().stream().allMatch(id -> described(cluster, id).isEmpty()));
        }
    }

    /**
     * The controller checks a forwarded write as the client who sent it, not as the forwarding
     * broker: were it checked as the broker (User:ANONYMOUS, a super user here), alice's first
     * CreateAcls and DeleteTopics through a follower would pass.
     */
    @Test
    void aForwardedWriteIsAuthorizedAsTheClientThatSentIt() throws Exception {
        Map<String, String> config = Map.of("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users", "User:ANONYMOUS;User:admin", "sasl.enabled.mechanisms", "PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                        + "user_admin=\"admin-secret\" user_alice=\"alice-secret\";");
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, config, true);
             Admin admin = admin(cluster.bootstrapServers())) {
            int active = admin.describeCluster().controller().get().id();
            int follower = cluster.runningIds().stream().filter(id -> id != active).findFirst().orElseThrow();
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("orders", 1, (short) 3))).all().get();
            try (Admin alice = sasl(cluster.saslBootstrapServers(follower), "alice")) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.createAcls(List.of(ALICE_READS)).all().get())
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.ClusterAuthorizationException.class);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> alice.deleteTopics(List.of("orders")).all().get())
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
                admin.createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                        new AccessControlEntry("User:alice", "*", AclOperation.ALTER, AclPermissionType.ALLOW)))).all().get();
                // The grant reaches the active controller with its commit; alice's next forwarded write passes there.
                alice.createAcls(List.of(ALICE_READS)).all().get();
            }
            awaitTrue("every broker lists alice's ACL", () -> cluster.runningIds().stream()
                    .allMatch(id -> described(cluster, id).contains(ALICE_READS)));
        }
    }

    private static Admin sasl(String bootstrap, String user) {
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("security.protocol", "SASL_PLAINTEXT");
        props.put("sasl.mechanism", "PLAIN");
        props.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + user
                + "\" password=\"" + user + "-secret\";");
        props.put("default.api.timeout.ms", "20000");
        props.put("request.timeout.ms", "10000");
        return Admin.create(props);
    }

    private static List<AclBinding> described(RunningCluster cluster, int id) {
        try (Admin one = admin(cluster.bootstrapServers(id))) {
            return List.copyOf(one.describeAcls(AclBindingFilter.ANY).values().get());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
