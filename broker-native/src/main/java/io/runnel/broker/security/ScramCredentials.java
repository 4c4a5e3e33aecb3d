package io.runnel.broker.security;

import java.util.Optional;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

/**
 * Where SCRAM authentication finds a user's stored credential (salt, salted-password-derived
 * keys, iterations): the cluster metadata, as AlterUserScramCredentials set it. Implementations
 * are safe to call from any thread (an event loop authenticating a connection).
 */
@FunctionalInterface
public interface ScramCredentials {
    /** The credential of {@code user} for {@code mechanism}, or empty if there is none. */
    Optional<ScramCredential> lookup(String user, ScramMechanism mechanism);
}
