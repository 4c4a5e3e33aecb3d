package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * SCRAM credentials on three real brokers: an AlterUserScramCredentials sent to a broker that is
 * not the active controller is forwarded there, committed once, and reaches every broker's image
 * with the same keys — so any broker can authenticate the user and describe it.
 */
class ScramCredentialsOnAClusterTest {
    @TempDir
    Path dataRoot;

    static final org.apache.kafka.common.security.scram.internals.ScramMechanism SHA_512 =
            org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512;

    @Test
    void anUpsertSentToANonControllerIsForwardedAndReachesEveryBrokersImage() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of());
             Admin admin = admin(cluster.bootstrapServers())) {
            int active = admin.describeCluster().controller().get().id();
            int follower = cluster.runningIds().stream().filter(id -> id != active).findFirst().orElseThrow();

            String[] hostPort = cluster.bootstrapServers(follower).split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                var request = new AlterUserScramCredentialsRequestData();
                request.upsertions().add(new AlterUserScramCredentialsRequestData.ScramCredentialUpsertion().setName("carol")
                        .setMechanism(ScramMechanism.SCRAM_SHA_512.type()).setIterations(8192)
                        .setSalt(new byte[]{1, 2, 3}).setSaltedPassword(new byte[]{4, 5, 6, 7}));
                var response = (AlterUserScramCredentialsResponseData) raw.send(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, (short) 0, request);
                assertThat(response.results()).extracting(r -> r.user() + ":" + Errors.forCode(r.errorCode())).containsExactly("carol:NONE");
            }
            awaitTrue("every broker's image has carol", () -> cluster.runningIds().stream()
                    .allMatch(id -> cluster.node(id).scramCredentials().lookup("carol", SHA_512).isPresent()));
            ScramCredential onController = cluster.node(active).scramCredentials().lookup("carol", SHA_512).orElseThrow();
            for (int id : cluster.runningIds()) {
                ScramCredential c = cluster.node(id).scramCredentials().lookup("carol", SHA_512).orElseThrow();
                assertThat(c.iterations()).isEqualTo(8192);
                assertThat(c.salt()).containsExactly(1, 2, 3);
                assertThat(Arrays.equals(c.storedKey(), onController.storedKey()) && Arrays.equals(c.serverKey(), onController.serverKey()))
                        .as("broker %d has the controller's keys", id).isTrue();
                // Each broker describes from its own image.
                String[] hp = cluster.bootstrapServers(id).split(":");
                try (RawKafkaClient raw = new RawKafkaClient(hp[0], Integer.parseInt(hp[1]))) {
                    var described = (DescribeUserScramCredentialsResponseData) raw.send(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, (short) 0,
                            new DescribeUserScramCredentialsRequestData().setUsers(null));
                    assertThat(described.results()).singleElement().satisfies(r -> {
                        assertThat(r.user()).isEqualTo("carol");
                        assertThat(r.credentialInfos()).singleElement().satisfies(i -> assertThat(i.iterations()).isEqualTo(8192));
                    });
                }
            }

            // And the Admin path kafka-configs uses, bootstrapped at the follower alone.
            try (Admin viaFollower = admin(cluster.bootstrapServers(follower))) {
                viaFollower.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("dave",
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), "dave-secret"))).all().get();
            }
            awaitTrue("every broker's image has dave", () -> cluster.runningIds().stream().allMatch(id -> cluster.node(id).scramCredentials()
                    .lookup("dave", org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_256).isPresent()));
        }
    }
}
