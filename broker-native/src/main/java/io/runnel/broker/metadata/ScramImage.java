package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The SCRAM credentials of the cluster metadata (KIP-554): per user and mechanism, what a SCRAM
 * server needs to check a client's proof — the salt, the stored key and server key derived from
 * the salted password, and the iteration count. Neither the password nor the salted password is
 * ever kept. Written by UserScramCredentialRecord and removed by RemoveUserScramCredentialRecord,
 * as in KRaft.
 *
 * <p>Invariants: every user listed has at least one credential (a user whose last credential is
 * removed disappears); a removal names a credential that exists (the controller checks before it
 * writes one, so a replay that finds none is a corrupt log and stops loudly).
 *
 * <p>Immutable and replaced with its {@link MetadataImage}, so any thread may read it without
 * locks. The byte arrays inside a {@link ScramCredential} are shared, not copied: readers must not
 * modify them ({@code io.runnel.broker.security.MetadataScramCredentials} hands out copies).
 */
public final class ScramImage {
    public static final ScramImage EMPTY = new ScramImage(new TreeMap<>());

    /** User name → mechanism → credential; sorted by user so snapshots and "describe all" are in a stable order. */
    private final SortedMap<String, Map<ScramMechanism, ScramCredential>> byUser;

    private ScramImage(SortedMap<String, Map<ScramMechanism, ScramCredential>> byUser) {
        this.byUser = Collections.unmodifiableSortedMap(byUser);
    }

    /** The credential of {@code user} for {@code mechanism}, if there is one. */
    public Optional<ScramCredential> credential(String user, ScramMechanism mechanism) {
        return Optional.ofNullable(credentials(user).get(mechanism));
    }

    /** Every credential of {@code user} by mechanism, in {@link ScramMechanism} order; empty for an unknown user. */
    public Map<ScramMechanism, ScramCredential> credentials(String user) {
        return byUser.getOrDefault(user, Map.of());
    }

    /** Every user with at least one credential, sorted. */
    public java.util.Set<String> users() {
        return byUser.keySet();
    }

    public boolean isEmpty() {
        return byUser.isEmpty();
    }

    /** The records that recreate this image on an empty one: one UserScramCredentialRecord per user and mechanism. */
    List<ApiMessageAndVersion> records() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        byUser.forEach((user, credentials) -> credentials.forEach((mechanism, c) -> records.add(credentialRecord(user, mechanism, c))));
        return records;
    }

    /**
     * The mechanism a record or request names by its type byte (KIP-554's numbering, as
     * {@link org.apache.kafka.clients.admin.ScramMechanism#fromType} reads it), or null if unknown.
     */
    public static ScramMechanism mechanism(byte type) {
        org.apache.kafka.clients.admin.ScramMechanism known = org.apache.kafka.clients.admin.ScramMechanism.fromType(type);
        return known == org.apache.kafka.clients.admin.ScramMechanism.UNKNOWN ? null : ScramMechanism.forMechanismName(known.mechanismName());
    }

    /** The type byte of {@code mechanism} on the wire and in records. */
    public static byte type(ScramMechanism mechanism) {
        return org.apache.kafka.clients.admin.ScramMechanism.fromMechanismName(mechanism.mechanismName()).type();
    }

    static ApiMessageAndVersion credentialRecord(String user, ScramMechanism mechanism, ScramCredential credential) {
        return new ApiMessageAndVersion(new UserScramCredentialRecord().setName(user).setMechanism(type(mechanism))
                .setSalt(credential.salt()).setStoredKey(credential.storedKey()).setServerKey(credential.serverKey())
                .setIterations(credential.iterations()), (short) 0);
    }

    static ApiMessageAndVersion removalRecord(String user, ScramMechanism mechanism) {
        return new ApiMessageAndVersion(new RemoveUserScramCredentialRecord().setName(user).setMechanism(type(mechanism)), (short) 0);
    }

    /**
     * The SCRAM changes of one metadata batch over a base image; the base is copied only once a
     * SCRAM record arrives, so batches without any keep the same instance. Metadata thread only.
     */
    static final class Changes {
        private final ScramImage base;
        private TreeMap<String, Map<ScramMechanism, ScramCredential>> byUser;

        Changes(ScramImage base) {
            this.base = base;
        }

        void replay(UserScramCredentialRecord r) {
            ScramMechanism mechanism = knownMechanism(r.mechanism(), r.name());
            Map<ScramMechanism, ScramCredential> credentials = new EnumMap<>(ScramMechanism.class);
            credentials.putAll(working().getOrDefault(r.name(), Map.of()));
            credentials.put(mechanism, new ScramCredential(r.salt(), r.storedKey(), r.serverKey(), r.iterations()));
            working().put(r.name(), Collections.unmodifiableMap(credentials));
        }

        void replay(RemoveUserScramCredentialRecord r) {
            ScramMechanism mechanism = knownMechanism(r.mechanism(), r.name());
            Map<ScramMechanism, ScramCredential> current = working().getOrDefault(r.name(), Map.of());
            if (!current.containsKey(mechanism))
                throw new IllegalStateException("RemoveUserScramCredentialRecord for a credential that does not exist: " + r.name() + " " + mechanism);
            Map<ScramMechanism, ScramCredential> credentials = new EnumMap<>(current);
            credentials.remove(mechanism);
            if (credentials.isEmpty()) working().remove(r.name());
            else working().put(r.name(), Collections.unmodifiableMap(credentials));
        }

        private static ScramMechanism knownMechanism(byte type, String user) {
            ScramMechanism mechanism = mechanism(type);
            if (mechanism == null) throw new IllegalStateException("SCRAM credential record of " + user + " with unknown mechanism type " + type);
            return mechanism;
        }

        private TreeMap<String, Map<ScramMechanism, ScramCredential>> working() {
            if (byUser == null) byUser = new TreeMap<>(base.byUser);
            return byUser;
        }

        ScramImage build() {
            return byUser == null ? base : new ScramImage(byUser);
        }
    }
}
