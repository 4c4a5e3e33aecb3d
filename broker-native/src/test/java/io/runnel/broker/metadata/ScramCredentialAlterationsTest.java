package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.runnel.broker.metadata.ScramCredentialAlterations.Decision;
import io.runnel.broker.metadata.ScramCredentialAlterations.Deletion;
import io.runnel.broker.metadata.ScramCredentialAlterations.Upsertion;
import io.runnel.broker.metadata.ScramCredentialAlterations.UserResult;

/**
 * How one AlterUserScramCredentials request is decided, without a broker: Kafka's per-user error
 * codes at their edges, duplicates across upsertions and deletions, and keys derived as RFC 5802
 * says (checked against a derivation written here from javax.crypto, not Kafka's formatter).
 */
class ScramCredentialAlterationsTest {
    static final byte SHA_256 = 1;
    static final byte SHA_512 = 2;
    static final byte[] SALT = "pepper".getBytes(StandardCharsets.UTF_8);
    static final byte[] SALTED = "not-really-salted-but-any-bytes-do".getBytes(StandardCharsets.UTF_8);

    static Upsertion upsert(String user, byte mechanism, int iterations) {
        return new Upsertion(user, mechanism, iterations, SALT, SALTED);
    }

    static Decision decide(ScramImage current, List<Deletion> deletions, List<Upsertion> upsertions) {
        return ScramCredentialAlterations.decide(current, deletions, upsertions);
    }

    static List<Errors> errors(Decision d) {
        return d.results().stream().map(UserResult::error).toList();
    }

    /** The image after committing {@code d}'s records. */
    static ScramImage apply(ScramImage base, Decision d) {
        MetadataImage image = MetadataImage.empty("c");
        image = new MetadataImage(0, "c", image.topicsByName(), image.topicsById(), image.brokers(), 0, image.brokerConfigs(), base,
                ClientQuotaImage.EMPTY, io.runnel.broker.metadata.AclImage.EMPTY);
        return image.apply(d.records(), 1).scram();
    }

    @ParameterizedTest(name = "{0} iterations of mechanism {1}: {2}")
    @CsvSource({"4095, 1, UNACCEPTABLE_CREDENTIAL", "4096, 1, NONE", "16384, 1, NONE", "16385, 1, UNACCEPTABLE_CREDENTIAL",
            "4095, 2, UNACCEPTABLE_CREDENTIAL", "4096, 2, NONE", "16384, 2, NONE", "16385, 2, UNACCEPTABLE_CREDENTIAL",
            "-1, 2, UNACCEPTABLE_CREDENTIAL", "0, 1, UNACCEPTABLE_CREDENTIAL"})
    void iterationsMustLieBetweenTheMechanismsMinimumAndKafkasMaximum(int iterations, byte mechanism, Errors expected) {
        Decision d = decide(ScramImage.EMPTY, List.of(), List.of(upsert("alice", mechanism, iterations)));
        assertThat(errors(d)).containsExactly(expected);
        assertThat(d.records()).hasSize(expected == Errors.NONE ? 1 : 0);
    }

    @Test
    void emptyUserUnknownMechanismAndEmptySecretsAreRefusedPerUserWhileOthersApply() {
        Decision d = decide(ScramImage.EMPTY, List.of(new Deletion("", SHA_256), new Deletion("gone", (byte) 0)), List.of(
                upsert("ok", SHA_256, 4096),
                new Upsertion("", SHA_512, 4096, SALT, SALTED),
                upsert("mech0", (byte) 0, 4096),
                upsert("mech3", (byte) 3, 4096),
                new Upsertion("nosalt", SHA_256, 4096, new byte[0], SALTED),
                new Upsertion("nosecret", SHA_256, 4096, SALT, new byte[0])));
        assertThat(d.results()).extracting(UserResult::user, UserResult::error).containsExactly(
                tuple("", Errors.UNACCEPTABLE_CREDENTIAL),
                tuple("gone", Errors.UNSUPPORTED_SASL_MECHANISM),
                tuple("ok", Errors.NONE),
                tuple("mech0", Errors.UNSUPPORTED_SASL_MECHANISM),
                tuple("mech3", Errors.UNSUPPORTED_SASL_MECHANISM),
                tuple("nosalt", Errors.UNACCEPTABLE_CREDENTIAL),
                tuple("nosecret", Errors.UNACCEPTABLE_CREDENTIAL));
        assertThat(d.records()).singleElement().satisfies(r -> assertThat(((UserScramCredentialRecord) r.message()).name()).isEqualTo("ok"));
    }

    @Test
    void aUserNamedTwiceIsDuplicateEvenForTwoMechanismsAndNoneOfItsAlterationsApply() {
        ScramImage withCarol = apply(ScramImage.EMPTY, decide(ScramImage.EMPTY, List.of(), List.of(upsert("carol", SHA_256, 4096))));
        Decision d = decide(withCarol,
                List.of(new Deletion("carol", SHA_256), new Deletion("dave", SHA_256), new Deletion("dave", SHA_512)),
                List.of(upsert("alice", SHA_256, 4096), upsert("alice", SHA_512, 4096), upsert("alice", SHA_512, 8192),
                        upsert("carol", SHA_512, 4096), upsert("erin", SHA_512, 4096)));
        assertThat(d.results()).extracting(UserResult::user, UserResult::error).containsExactly(
                tuple("carol", Errors.DUPLICATE_RESOURCE),
                // dave's first deletion failed (nothing to delete): that error stands, not DUPLICATE_RESOURCE, as in Kafka
                tuple("dave", Errors.RESOURCE_NOT_FOUND),
                tuple("alice", Errors.DUPLICATE_RESOURCE),
                tuple("erin", Errors.NONE));
        assertThat(d.records()).singleElement().satisfies(r -> assertThat(((UserScramCredentialRecord) r.message()).name()).isEqualTo("erin"));
    }

    @Test
    void deletingACredentialThatDoesNotExistIsResourceNotFoundEvenIfTheUserHasAnother() {
        ScramImage alice256 = apply(ScramImage.EMPTY, decide(ScramImage.EMPTY, List.of(), List.of(upsert("alice", SHA_256, 4096))));
        assertThat(errors(decide(alice256, List.of(new Deletion("alice", SHA_512)), List.of()))).containsExactly(Errors.RESOURCE_NOT_FOUND);
        assertThat(errors(decide(alice256, List.of(new Deletion("bob", SHA_256)), List.of()))).containsExactly(Errors.RESOURCE_NOT_FOUND);
        Decision delete = decide(alice256, List.of(new Deletion("alice", SHA_256)), List.of());
        assertThat(errors(delete)).containsExactly(Errors.NONE);
        assertThat(delete.records()).singleElement().satisfies(r -> assertThat(r.message()).isInstanceOf(RemoveUserScramCredentialRecord.class));
        ScramImage after = apply(alice256, delete);
        assertThat(after.users()).as("a user without credentials is gone").isEmpty();
    }

    @Test
    void storedAndServerKeysAreDerivedFromTheSaltedPasswordAsRfc5802SaysAndTheSaltedPasswordIsNotKept() throws Exception {
        for (var c : List.of(new Object[]{SHA_256, ScramMechanism.SCRAM_SHA_256, "HmacSHA256", "SHA-256"},
                new Object[]{SHA_512, ScramMechanism.SCRAM_SHA_512, "HmacSHA512", "SHA-512"})) {
            Decision d = decide(ScramImage.EMPTY, List.of(), List.of(upsert("alice", (byte) c[0], 5000)));
            ScramCredential stored = apply(ScramImage.EMPTY, d).credential("alice", (ScramMechanism) c[1]).orElseThrow();
            byte[] clientKey = hmac((String) c[2], SALTED, "Client Key");
            assertThat(stored.storedKey()).isEqualTo(MessageDigest.getInstance((String) c[3]).digest(clientKey));
            assertThat(stored.serverKey()).isEqualTo(hmac((String) c[2], SALTED, "Server Key"));
            assertThat(stored.salt()).isEqualTo(SALT);
            assertThat(stored.iterations()).isEqualTo(5000);
            assertThat(d.records().get(0).message().toString()).doesNotContain(java.util.Arrays.toString(SALTED));
        }
    }

    @Test
    void anUpsertionReplacesTheCredentialOfItsMechanismAndKeepsTheOther() {
        ScramImage both = apply(ScramImage.EMPTY, decide(ScramImage.EMPTY, List.of(), List.of(upsert("alice", SHA_256, 4096), upsert("bob", SHA_512, 4096))));
        both = apply(both, decide(both, List.of(), List.of(upsert("alice", SHA_512, 6000))));
        ScramImage replaced = apply(both, decide(both, List.of(), List.of(upsert("alice", SHA_256, 9000))));
        assertThat(replaced.credentials("alice")).containsOnlyKeys(ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512);
        assertThat(replaced.credential("alice", ScramMechanism.SCRAM_SHA_256).orElseThrow().iterations()).isEqualTo(9000);
        assertThat(replaced.credential("alice", ScramMechanism.SCRAM_SHA_512).orElseThrow().iterations()).isEqualTo(6000);
        assertThat(both.credential("alice", ScramMechanism.SCRAM_SHA_256).orElseThrow().iterations()).as("the older image is unchanged").isEqualTo(4096);
        assertThat(replaced.users()).containsExactly("alice", "bob");
    }

    private static byte[] hmac(String algorithm, byte[] key, String message) throws Exception {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    }
}
