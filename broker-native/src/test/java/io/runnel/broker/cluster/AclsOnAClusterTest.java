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

    private static List<AclBinding> described(RunningCluster cluster, int id) {
        try (Admin one = admin(cluster.bootstrapServers(id))) {
            return List.copyOf(one.describeAcls(AclBindingFilter.ANY).values().get());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
