package io.runnel.broker.metadata;

import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * One AlterUserScramCredentials request (KIP-554) decided against the current credentials as
 * Kafka's controller decides it: an outcome per user, and the records of the accepted changes,
 * which the controller commits together as one batch (all of them or none).
 *
 * <p>The rules, per user, in Kafka's order (deletions are looked at before upsertions):
 * <ol>
 *   <li>A user named by a second alteration of the request — deletion or upsertion, even for
 *       another mechanism — is DUPLICATE_RESOURCE, and none of its alterations apply. (So one
 *       request cannot set SCRAM-SHA-256 and SCRAM-SHA-512 of the same user; Kafka's KRaft
 *       controller refuses that too.) A user whose first alteration already failed keeps that error.</li>
 *   <li>An empty user name is UNACCEPTABLE_CREDENTIAL; an unknown mechanism UNSUPPORTED_SASL_MECHANISM.</li>
 *   <li>A deletion of a credential that does not exist is RESOURCE_NOT_FOUND.</li>
 *   <li>An upsertion with fewer iterations than the mechanism's minimum (4096) or more than
 *       {@link #MAX_ITERATIONS}, or with an empty salt or salted password, is UNACCEPTABLE_CREDENTIAL.</li>
 * </ol>
 *
 * <p>The client sends the salted password (Hi(password, salt, i) of RFC 5802, computed by the
 * Admin client); only what a SCRAM server needs is derived from it and kept: storedKey =
 * H(HMAC(saltedPassword, "Client Key")), serverKey = HMAC(saltedPassword, "Server Key"). The salted
 * password itself never reaches the log, so the metadata cannot be used to log in as the user.
 *
 * <p>Pure: no state; any thread.
 */
public final class ScramCredentialAlterations {
    /** Kafka's upper bound on iterations: a credential costlier than this would make every login a CPU burden. */
    public static final int MAX_ITERATIONS = 16384;
    static final String DUPLICATE = "A user credential cannot be altered twice in the same request";

    private ScramCredentialAlterations() {
    }

    /** A change to one credential of one user. */
    public sealed interface Alteration permits Upsertion, Deletion {
        String user();

        /** The mechanism's type byte (KIP-554's numbering: 1 SCRAM-SHA-256, 2 SCRAM-SHA-512). */
        byte mechanism();
    }

    /** Set (or replace) {@code user}'s credential for a mechanism, as the Admin client sends it. */
    public record Upsertion(String user, byte mechanism, int iterations, byte[] salt, byte[] saltedPassword) implements Alteration {}

    /** Remove {@code user}'s credential for a mechanism. */
    public record Deletion(String user, byte mechanism) implements Alteration {}

    /** One user's outcome: NONE, or Kafka's error code and message. */
    public record UserResult(String user, Errors error, String message) {
        static UserResult ok(String user) {
            return new UserResult(user, Errors.NONE, null);
        }
    }

    /** The outcome of a request: one result per distinct user (in the order first named), and the records of the accepted users. */
    public record Decision(List<UserResult> results, List<ApiMessageAndVersion> records) {
        public Decision {
            results = List.copyOf(results);
            records = List.copyOf(records);
        }
    }

    /** Decides {@code deletions} and {@code upsertions} against {@code current}. */
    public static Decision decide(ScramImage current, List<Deletion> deletions, List<Upsertion> upsertions) {
        Set<String> users = new LinkedHashSet<>();
        Map<String, Alteration> accepted = new HashMap<>();
        Map<String, UserResult> refused = new HashMap<>();
        for (Deletion d : deletions) consider(d, () -> validate(current, d), users, accepted, refused);
        for (Upsertion u : upsertions) consider(u, () -> validate(u), users, accepted, refused);

        List<UserResult> results = new ArrayList<>();
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (String user : users) {
            Alteration alteration = accepted.get(user);
            if (alteration == null) {
                results.add(refused.get(user));
                continue;
            }
            ScramMechanism mechanism = ScramImage.mechanism(alteration.mechanism());
            switch (alteration) {
                case Deletion d -> {
                    records.add(ScramImage.removalRecord(user, mechanism));
                    results.add(UserResult.ok(user));
                }
                case Upsertion u -> {
                    try {
                        records.add(ScramImage.credentialRecord(user, mechanism, credential(mechanism, u)));
                        results.add(UserResult.ok(user));
                    } catch (GeneralSecurityException ex) {
                        // As Kafka: a key derivation that fails is this user's error, not the request's.
                        results.add(new UserResult(user, Errors.UNKNOWN_SERVER_ERROR, ex.getMessage()));
                    }
                }
            }
        }
        assert results.size() == users.size() : "one result per user";
        return new Decision(results, records);
    }

    /**
     * The stored credential for an upsertion: its salt and iterations, and the keys derived from
     * its salted password (RFC 5802 §3).
     */
    public static ScramCredential credential(ScramMechanism mechanism, Upsertion u) throws GeneralSecurityException {
        ScramFormatter formatter = new ScramFormatter(mechanism);
        byte[] storedKey = formatter.storedKey(formatter.clientKey(u.saltedPassword()));
        byte[] serverKey = formatter.serverKey(u.saltedPassword());
        return new ScramCredential(u.salt().clone(), storedKey, serverKey, u.iterations());
    }

    /**
     * Takes in one alteration: its user's first is validated; a second one of an accepted user
     * refuses that user (DUPLICATE_RESOURCE); any after a refusal changes nothing.
     */
    private static void consider(Alteration alteration, Supplier<UserResult> validation, Set<String> users,
                                 Map<String, Alteration> accepted, Map<String, UserResult> refused) {
        String user = alteration.user();
        users.add(user);
        if (refused.containsKey(user)) return;
        if (accepted.remove(user) != null) {
            refused.put(user, new UserResult(user, Errors.DUPLICATE_RESOURCE, DUPLICATE));
            return;
        }
        UserResult error = validation.get();
        if (error != null) refused.put(user, error);
        else accepted.put(user, alteration);
    }

    /** The error of a deletion, or null if it may be applied. */
    private static UserResult validate(ScramImage current, Deletion d) {
        UserResult error = validateUserAndMechanism(d.user(), d.mechanism());
        if (error != null) return error;
        if (current.credential(d.user(), ScramImage.mechanism(d.mechanism())).isEmpty())
            return new UserResult(d.user(), Errors.RESOURCE_NOT_FOUND, "Attempt to delete a user credential that does not exist");
        return null;
    }

    /** The error of an upsertion, or null if it may be applied. */
    private static UserResult validate(Upsertion u) {
        UserResult error = validateUserAndMechanism(u.user(), u.mechanism());
        if (error != null) return error;
        ScramMechanism mechanism = ScramImage.mechanism(u.mechanism());
        if (u.iterations() < mechanism.minIterations()) return new UserResult(u.user(), Errors.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
        if (u.iterations() > MAX_ITERATIONS) return new UserResult(u.user(), Errors.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
        if (u.salt() == null || u.salt().length == 0) return new UserResult(u.user(), Errors.UNACCEPTABLE_CREDENTIAL, "Salt must not be empty");
        if (u.saltedPassword() == null || u.saltedPassword().length == 0)
            return new UserResult(u.user(), Errors.UNACCEPTABLE_CREDENTIAL, "Salted password must not be empty");
        return null;
    }

    private static UserResult validateUserAndMechanism(String user, byte mechanism) {
        if (user.isEmpty()) return new UserResult(user, Errors.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        if (ScramImage.mechanism(mechanism) == null) return new UserResult(user, Errors.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        return null;
    }
}
