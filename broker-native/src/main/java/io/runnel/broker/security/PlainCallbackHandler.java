package io.runnel.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;

import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;

/**
 * Checks a PLAIN user name and password against the listener's JAAS users
 * ({@code user_<name>="<password>"}), as Kafka's PlainServerCallbackHandler does, for
 * kafka-clients' {@code PlainSaslServer}. The comparison takes the same time whether or not the
 * user exists and wherever the passwords differ. Immutable; safe on any thread.
 */
final class PlainCallbackHandler implements CallbackHandler {
    /** Compared against when the user does not exist, so that an unknown user costs the same as a wrong password. */
    private static final byte[] NO_PASSWORD = new byte[32];

    private final Map<String, String> users;

    PlainCallbackHandler(Map<String, String> users) {
        this.users = users;
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        String user = null;
        for (Callback callback : callbacks) {
            if (callback instanceof NameCallback name) {
                user = name.getDefaultName();
            } else if (callback instanceof PlainAuthenticateCallback plain) {
                String expected = user == null ? null : users.get(user);
                byte[] given = new String(plain.password()).getBytes(StandardCharsets.UTF_8);
                boolean equal = MessageDigest.isEqual(expected == null ? NO_PASSWORD : expected.getBytes(StandardCharsets.UTF_8), given);
                plain.authenticated(expected != null && equal);
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }
}
