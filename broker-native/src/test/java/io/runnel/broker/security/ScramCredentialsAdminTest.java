package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.errors.DuplicateResourceException;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.UnacceptableCredentialException;
import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * SCRAM credentials managed the way {@code kafka-configs --entity-type users} manages them — the
 * real Java Admin's alterUserScramCredentials / describeUserScramCredentials against a real broker:
 * upserts for both mechanisms, describe shows mechanisms and iterations only, the stored keys are
 * those a client computes from the same password and salt, deletions, Kafka's error codes, and a
 * restart that keeps everything. Requests the Admin refuses to send are sent raw.
 */
class ScramCredentialsAdminTest {
    @TempDir
    Path dataDir;

    static Admin admin(RunningBroker broker) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    static UserScramCredentialUpsertion upsert(String user, ScramMechanism mechanism, int iterations, String password) {
        return new UserScramCredentialUpsertion(user, new ScramCredentialInfo(mechanism, iterations), password);
    }

    static void alter(Admin admin, UserScramCredentialAlteration... alterations) throws Exception {
        admin.alterUserScramCredentials(List.of(alterations)).all().get();
    }

    static Throwable alterFailure(Admin admin, UserScramCredentialAlteration alteration) {
        return catchThrowable(() -> admin.alterUserScramCredentials(List.of(alteration)).all().get()).getCause();
    }

    static Map<String, List<ScramCredentialInfo>> describeAll(Admin admin) throws Exception {
        Map<String, UserScramCredentialsDescription> all = admin.describeUserScramCredentials().all().get();
        Map<String, List<ScramCredentialInfo>> infos = new java.util.TreeMap<>();
        all.forEach((user, d) -> infos.put(user, d.credentialInfos()));
        return infos;
    }

    /**
     * Whether {@code stored} is the credential of {@code password}, computed as a SCRAM client
     * would from the stored salt and iterations (RFC 5802: storedKey = H(HMAC(Hi(password), "Client Key"))).
     */
    static boolean verifies(ScramCredential stored, org.apache.kafka.common.security.scram.internals.ScramMechanism mechanism, String password)
            throws Exception {
        ScramFormatter client = new ScramFormatter(mechanism);
        byte[] salted = client.saltedPassword(password, stored.salt(), stored.iterations());
        return java.util.Arrays.equals(client.storedKey(client.clientKey(salted)), stored.storedKey())
                && java.util.Arrays.equals(client.serverKey(salted), stored.serverKey());
    }

    @Test
    void upsertsForBothMechanismsAreDescribedByMechanismAndIterationsAndVerifyAgainstTheClientsOwnComputation() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); Admin admin = admin(broker)) {
            byte[] salt = "fixed-salt-for-alice".getBytes(StandardCharsets.UTF_8);
            // What kafka-configs sends for 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' (with a salt we choose).
            alter(admin, new UserScramCredentialUpsertion("alice", new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192),
                            "alice-secret".getBytes(StandardCharsets.UTF_8), salt),
                    upsert("bob", ScramMechanism.SCRAM_SHA_512, 4096, "bob-secret"));
            alter(admin, upsert("alice", ScramMechanism.SCRAM_SHA_512, 16384, "alice-secret"));

            assertThat(describeAll(admin)).isEqualTo(Map.of(
                    "alice", List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 16384)),
                    "bob", List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096))));
            assertThat(admin.describeUserScramCredentials(List.of("bob")).description("bob").get().credentialInfos())
                    .containsExactly(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096));

            ScramCredentials credentials = broker.broker().scramCredentials();
            var sha256 = org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_256;
            var sha512 = org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512;
            ScramCredential alice256 = credentials.lookup("alice", sha256).orElseThrow();
            assertThat(alice256.salt()).isEqualTo(salt);
            assertThat(alice256.iterations()).isEqualTo(8192);
            assertThat(verifies(alice256, sha256, "alice-secret")).isTrue();
            assertThat(verifies(alice256, sha256, "alice-secreT")).as("a wrong password does not verify").isFalse();
            assertThat(verifies(credentials.lookup("alice", sha512).orElseThrow(), sha512, "alice-secret")).isTrue();
            assertThat(verifies(credentials.lookup("bob", sha512).orElseThrow(), sha512, "bob-secret")).isTrue();
            assertThat(credentials.lookup("bob", sha256)).isEmpty();

            // A new password replaces the old one.
            alter(admin, upsert("bob", ScramMechanism.SCRAM_SHA_512, 5000, "bob-new"));
            ScramCredential bob = credentials.lookup("bob", sha512).orElseThrow();
            assertThat(verifies(bob, sha512, "bob-new")).isTrue();
            assertThat(verifies(bob, sha512, "bob-secret")).isFalse();
        }
    }

    @Test
    void deletionsRemoveOneMechanismAndTheLastRemovesTheUser() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); Admin admin = admin(broker)) {
            alter(admin, upsert("alice", ScramMechanism.SCRAM_SHA_256, 4096, "a"));
            alter(admin, upsert("alice", ScramMechanism.SCRAM_SHA_512, 4096, "a"));
            alter(admin, new UserScramCredentialDeletion("alice", ScramMechanism.SCRAM_SHA_256));
            assertThat(describeAll(admin)).isEqualTo(Map.of("alice", List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096))));
            alter(admin, new UserScramCredentialDeletion("alice", ScramMechanism.SCRAM_SHA_512));
            assertThat(describeAll(admin)).isEmpty();
            assertThat(broker.broker().scramCredentials().lookup("alice",
                    org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512)).isEmpty();
        }
    }

    @Test
    void mistakesGetKafkasErrorCodesPerUser() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); Admin admin = admin(broker)) {
            assertThat(alterFailure(admin, upsert("alice", ScramMechanism.SCRAM_SHA_256, 4095, "a")))
                    .isInstanceOf(UnacceptableCredentialException.class).hasMessageContaining("Too few iterations");
            assertThat(alterFailure(admin, upsert("alice", ScramMechanism.SCRAM_SHA_512, 16385, "a")))
                    .isInstanceOf(UnacceptableCredentialException.class).hasMessageContaining("Too many iterations");
            assertThat(alterFailure(admin, new UserScramCredentialDeletion("nobody", ScramMechanism.SCRAM_SHA_256)))
                    .isInstanceOf(ResourceNotFoundException.class);
            // As Kafka's KRaft controller: one request may alter a user only once, even for two mechanisms.
            var both = admin.alterUserScramCredentials(List.of(upsert("carol", ScramMechanism.SCRAM_SHA_256, 4096, "c"),
                    upsert("carol", ScramMechanism.SCRAM_SHA_512, 4096, "c"), upsert("dave", ScramMechanism.SCRAM_SHA_256, 4096, "d")));
            assertThat(catchThrowable(() -> both.values().get("carol").get()).getCause()).isInstanceOf(DuplicateResourceException.class);
            both.values().get("dave").get();
            assertThat(describeAll(admin)).containsOnlyKeys("dave");
            assertThat(catchThrowable(() -> admin.describeUserScramCredentials(List.of("nobody")).description("nobody").get()).getCause())
                    .isInstanceOf(ResourceNotFoundException.class);

            // What the Admin refuses to send itself, sent raw: the broker must refuse it too.
            String[] hostPort = broker.bootstrapServers().split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                var request = new AlterUserScramCredentialsRequestData();
                request.upsertions().add(rawUpsertion("", (byte) 1, 4096, new byte[]{1}, new byte[]{2}));
                request.upsertions().add(rawUpsertion("mech9", (byte) 9, 4096, new byte[]{1}, new byte[]{2}));
                request.upsertions().add(rawUpsertion("nosalt", (byte) 2, 4096, new byte[0], new byte[]{2}));
                request.upsertions().add(rawUpsertion("nosecret", (byte) 2, 4096, new byte[]{1}, new byte[0]));
                request.deletions().add(new AlterUserScramCredentialsRequestData.ScramCredentialDeletion().setName("dave").setMechanism((byte) 1));
                request.upsertions().add(rawUpsertion("dave", (byte) 2, 4096, new byte[]{1}, new byte[]{2}));
                var response = (AlterUserScramCredentialsResponseData) raw.send(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, (short) 0, request);
                Map<String, Errors> errors = new java.util.TreeMap<>();
                response.results().forEach(r -> errors.put(r.user(), Errors.forCode(r.errorCode())));
                assertThat(errors).isEqualTo(Map.of("", Errors.UNACCEPTABLE_CREDENTIAL, "mech9", Errors.UNSUPPORTED_SASL_MECHANISM,
                        "nosalt", Errors.UNACCEPTABLE_CREDENTIAL, "nosecret", Errors.UNACCEPTABLE_CREDENTIAL, "dave", Errors.DUPLICATE_RESOURCE));

                var describe = new DescribeUserScramCredentialsRequestData().setUsers(List.of(
                        new DescribeUserScramCredentialsRequestData.UserName().setName("dave"),
                        new DescribeUserScramCredentialsRequestData.UserName().setName("erin"),
                        new DescribeUserScramCredentialsRequestData.UserName().setName("dave")));
                var described = (DescribeUserScramCredentialsResponseData) raw.send(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, (short) 0, describe);
                assertThat(described.errorCode()).isZero();
                assertThat(described.results()).extracting(r -> r.user() + ":" + Errors.forCode(r.errorCode()))
                        .containsExactly("dave:DUPLICATE_RESOURCE", "erin:RESOURCE_NOT_FOUND");
            }
            assertThat(describeAll(admin)).as("nothing changed by the refused requests").isEqualTo(
                    Map.of("dave", List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096))));
        }
    }

    static AlterUserScramCredentialsRequestData.ScramCredentialUpsertion rawUpsertion(String user, byte mechanism, int iterations, byte[] salt,
                                                                                    byte[] saltedPassword) {
        return new AlterUserScramCredentialsRequestData.ScramCredentialUpsertion().setName(user).setMechanism(mechanism)
                .setIterations(iterations).setSalt(salt).setSaltedPassword(saltedPassword);
    }

    @Test
    void credentialsSurviveABrokerRestart() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir)) {
            try (Admin admin = admin(broker)) {
                alter(admin, upsert("alice", ScramMechanism.SCRAM_SHA_512, 8192, "alice-secret"), upsert("bob", ScramMechanism.SCRAM_SHA_256, 4096, "b"));
                alter(admin, new UserScramCredentialDeletion("bob", ScramMechanism.SCRAM_SHA_256));
            }
            broker.restart();
            try (Admin admin = admin(broker)) {
                assertThat(describeAll(admin)).isEqualTo(Map.of("alice", List.of(new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192))));
            }
            var sha512 = org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512;
            assertThat(verifies(broker.broker().scramCredentials().lookup("alice", sha512).orElseThrow(), sha512, "alice-secret")).isTrue();
        }
    }
}
