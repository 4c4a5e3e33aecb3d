package io.runnel.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCredentialCallback;

/**
 * Gives {@link ScramServer} (kafka-clients' ScramSaslServer's behaviour) the stored credential of the user a client names,
 * from {@link ScramCredentials} (the cluster metadata).
 *
 * <p>An unknown user gets a decoy credential instead of none (RFC 5802 §5.1): its salt is derived
 * from the user name with a secret of this process, so it is stable across attempts, and its keys
 * are random, so no proof matches. The exchange then fails at the same step, with the same error,
 * as a wrong password: Kafka itself fails an unknown user one round trip earlier, which tells an
 * attacker which users exist. (The decoy's salt changes when the broker restarts; a real one does
 * not: an attacker who watches across restarts can still tell.) Delegation tokens are not
 * supported: their callback gets no credential, which fails the exchange. Immutable; safe on any thread.
 */
final class ScramCallbackHandler implements CallbackHandler {
    private static final byte[] DECOY_SECRET = new SecureRandom().generateSeed(32);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ScramCredentials credentials;
    private final ScramMechanism mechanism;

    ScramCallbackHandler(ScramCredentials credentials, ScramMechanism mechanism) {
        this.credentials = credentials;
        this.mechanism = mechanism;
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        String user = null;
        for (Callback callback : callbacks) {
            if (callback instanceof NameCallback name) {
                user = name.getDefaultName();
            } else if (callback instanceof DelegationTokenCredentialCallback) {
                // no token support: leaving the credential unset fails the exchange
            } else if (callback instanceof ScramCredentialCallback scram) {
                String u = user;
                scram.scramCredential(u == null ? null : credentials.lookup(u, mechanism).orElseGet(() -> decoy(u)));
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    private ScramCredential decoy(String user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(DECOY_SECRET, "HmacSHA256"));
            byte[] salt = Arrays.copyOf(mac.doFinal((mechanism.mechanismName() + '\0' + user).getBytes(StandardCharsets.UTF_8)), 32);
            byte[] storedKey = new byte[mechanism.hashAlgorithm().equals("SHA-512") ? 64 : 32];
            byte[] serverKey = new byte[storedKey.length];
            RANDOM.nextBytes(storedKey);
            RANDOM.nextBytes(serverKey);
            return new ScramCredential(salt, storedKey, serverKey, mechanism.minIterations());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
