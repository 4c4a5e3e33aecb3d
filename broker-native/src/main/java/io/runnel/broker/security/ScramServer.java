package io.runnel.broker.security;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.IllegalSaslStateException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.authenticator.SaslInternalConfigs;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.ScramLoginModule;
import org.apache.kafka.common.security.scram.internals.ScramExtensions;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ClientFinalMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ClientFirstMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ServerFinalMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ServerFirstMessage;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCredentialCallback;
import org.jboss.logging.Logger;

/**
 * The server side of one SCRAM exchange (RFC 5802): kafka-clients' 4.4 {@code ScramSaslServer} step for
 * step — the same checks in the same order (extensions, credential, authorization id, iteration count,
 * nonce, proof compared in constant time), the same exception types and texts — on kafka-clients' own
 * {@code ScramMessages} parsing and {@link ScramFormatter} crypto, with one deliberate difference.
 *
 * <p>The difference: with {@code acceptLibrdkafkaNonce}, the client-final nonce may also be exactly
 * {@code clientNonce + serverFirstNonce}, which is what librdkafka before 2.6.1 sends (its server-first
 * nonce already starts with the client nonce, and it prepends the client nonce once more; librdkafka
 * PR #4895). Kafka 3.8.1–3.9 accepted that (its check was {@code endsWith}); Kafka 4.x requires equality
 * and refuses those clients. Accepting only this one extra form keeps every property the check protects:
 * the server's random part is still there in full, and the proof is verified over the auth message that
 * holds the server-first nonce and the final nonce as sent, so a replayed proof fails as before. Any
 * other nonce — only the client nonce, another server part, the server nonce behind anything but the
 * client nonce — is refused with Kafka's error in both modes. Without the setting this is Kafka 4.4 exactly.
 *
 * <p>Invariant: {@link #isComplete()} only after a proof matched the stored key. Not thread-safe: one
 * exchange, on its connection's event loop.
 */
final class ScramServer implements SaslServer {
    private static final Logger LOG = Logger.getLogger(ScramServer.class);
    private static final Set<String> SUPPORTED_EXTENSIONS = Set.of(ScramLoginModule.TOKEN_AUTH_CONFIG);

    /** Kafka's states, in Kafka's order (its IllegalSaslStateException text names them). */
    private enum State { RECEIVE_CLIENT_FIRST_MESSAGE, RECEIVE_CLIENT_FINAL_MESSAGE, COMPLETE, FAILED }

    private final ScramMechanism mechanism;
    private final ScramFormatter formatter;
    private final CallbackHandler callbackHandler;
    private final boolean acceptLibrdkafkaNonce;
    private State state = State.RECEIVE_CLIENT_FIRST_MESSAGE;
    private ClientFirstMessage clientFirstMessage;
    private ServerFirstMessage serverFirstMessage;
    private ScramExtensions scramExtensions;
    private ScramCredential scramCredential;
    private String authorizationId;
    private Long tokenExpiryTimestamp;
    private boolean librdkafkaNonceAccepted;

    ScramServer(ScramMechanism mechanism, CallbackHandler callbackHandler, boolean acceptLibrdkafkaNonce) throws NoSuchAlgorithmException {
        this.mechanism = mechanism;
        this.formatter = new ScramFormatter(mechanism);
        this.callbackHandler = callbackHandler;
        this.acceptLibrdkafkaNonce = acceptLibrdkafkaNonce;
    }

    @Override
    public byte[] evaluateResponse(byte[] response) throws SaslException, SaslAuthenticationException {
        try {
            return switch (state) {
                case RECEIVE_CLIENT_FIRST_MESSAGE -> clientFirst(response);
                case RECEIVE_CLIENT_FINAL_MESSAGE -> clientFinal(response);
                default -> throw new IllegalSaslStateException("Unexpected challenge in Sasl server state " + state);
            };
        } catch (SaslException | AuthenticationException e) {
            clearCredentials();
            state = State.FAILED;
            throw e;
        }
    }

    private byte[] clientFirst(byte[] response) throws SaslException {
        clientFirstMessage = new ClientFirstMessage(response);
        scramExtensions = clientFirstMessage.extensions();
        if (!SUPPORTED_EXTENSIONS.containsAll(scramExtensions.map().keySet()))
            LOG.debugf("Unsupported extensions will be ignored, supported %s, provided %s", SUPPORTED_EXTENSIONS, scramExtensions.map().keySet());
        try {
            String serverNonce = formatter.secureRandomString();
            String username = ScramFormatter.username(clientFirstMessage.saslName());
            NameCallback nameCallback = new NameCallback("username", username);
            ScramCredentialCallback credentialCallback;
            if (scramExtensions.tokenAuthenticated()) {
                DelegationTokenCredentialCallback tokenCallback = new DelegationTokenCredentialCallback();
                credentialCallback = tokenCallback;
                callbackHandler.handle(new Callback[] {nameCallback, tokenCallback});
                if (tokenCallback.tokenOwner() == null) throw new SaslException("Token Authentication failed: Invalid tokenId : " + username);
                authorizationId = tokenCallback.tokenOwner();
                tokenExpiryTimestamp = tokenCallback.tokenExpiryTimestamp();
            } else {
                credentialCallback = new ScramCredentialCallback();
                callbackHandler.handle(new Callback[] {nameCallback, credentialCallback});
                authorizationId = username;
                tokenExpiryTimestamp = null;
            }
            scramCredential = credentialCallback.scramCredential();
            if (scramCredential == null) throw new SaslException("Authentication failed: Invalid user credentials");
            String requestedAuthorizationId = clientFirstMessage.authorizationId();
            if (!requestedAuthorizationId.isEmpty() && !requestedAuthorizationId.equals(username))
                throw new SaslAuthenticationException("Authentication failed: Client requested an authorization id that is different from username");
            if (scramCredential.iterations() < mechanism.minIterations())
                throw new SaslException("Iterations " + scramCredential.iterations() + " is less than the minimum " + mechanism.minIterations() + " for " + mechanism);
            serverFirstMessage = new ServerFirstMessage(clientFirstMessage.nonce(), serverNonce, scramCredential.salt(), scramCredential.iterations());
            state = State.RECEIVE_CLIENT_FINAL_MESSAGE;
            return serverFirstMessage.toBytes();
        } catch (SaslException | AuthenticationException e) {
            throw e;
        } catch (Exception e) {
            // Kafka wraps whatever else the callback handler throws (it catches Throwable; an Error is not ours to wrap).
            throw new SaslException("Authentication failed: Credentials could not be obtained", e);
        }
    }

    private byte[] clientFinal(byte[] response) throws SaslException {
        try {
            ClientFinalMessage clientFinalMessage = new ClientFinalMessage(response);
            boolean librdkafkaNonce = !clientFinalMessage.nonce().equals(serverFirstMessage.nonce());
            if (librdkafkaNonce && !(acceptLibrdkafkaNonce && clientFinalMessage.nonce().equals(clientFirstMessage.nonce() + serverFirstMessage.nonce())))
                throw new SaslException("Invalid client nonce in the final client message.");
            verifyClientProof(clientFinalMessage);
            byte[] serverSignature = formatter.serverSignature(scramCredential.serverKey(), clientFirstMessage, serverFirstMessage, clientFinalMessage);
            ServerFinalMessage serverFinalMessage = new ServerFinalMessage(null, serverSignature);
            clearCredentials();
            state = State.COMPLETE;
            librdkafkaNonceAccepted = librdkafkaNonce;
            return serverFinalMessage.toBytes();
        } catch (InvalidKeyException e) {
            throw new SaslException("Authentication failed: Invalid client final message", e);
        }
    }

    /** Kafka's check: the stored key recovered from the proof must equal the credential's, compared in constant time. */
    private void verifyClientProof(ClientFinalMessage clientFinalMessage) throws SaslException {
        try {
            byte[] expectedStoredKey = scramCredential.storedKey();
            byte[] clientSignature = formatter.clientSignature(expectedStoredKey, clientFirstMessage, serverFirstMessage, clientFinalMessage);
            byte[] computedStoredKey = formatter.storedKey(clientSignature, clientFinalMessage.proof());
            if (!MessageDigest.isEqual(computedStoredKey, expectedStoredKey)) throw new SaslException("Invalid client credentials");
        } catch (InvalidKeyException e) {
            throw new SaslException("Sasl client verification failed", e);
        }
    }

    /** True once complete if the client's final nonce was librdkafka's pre-2.6.1 form (so the operator can be told who must upgrade). */
    boolean librdkafkaNonceAccepted() {
        return librdkafkaNonceAccepted;
    }

    @Override
    public String getAuthorizationID() {
        if (!isComplete()) throw new IllegalStateException("Authentication exchange has not completed");
        return authorizationId;
    }

    @Override
    public String getMechanismName() {
        return mechanism.mechanismName();
    }

    @Override
    public Object getNegotiatedProperty(String propName) {
        if (!isComplete()) throw new IllegalStateException("Authentication exchange has not completed");
        if (SaslInternalConfigs.CREDENTIAL_LIFETIME_MS_SASL_NEGOTIATED_PROPERTY_KEY.equals(propName)) return tokenExpiryTimestamp;
        if (SUPPORTED_EXTENSIONS.contains(propName)) return scramExtensions.map().get(propName);
        return null;
    }

    @Override
    public boolean isComplete() {
        return state == State.COMPLETE;
    }

    @Override
    public byte[] unwrap(byte[] incoming, int offset, int len) {
        if (!isComplete()) throw new IllegalStateException("Authentication exchange has not completed");
        throw new IllegalStateException("SCRAM supports neither integrity nor privacy");
    }

    @Override
    public byte[] wrap(byte[] outgoing, int offset, int len) {
        if (!isComplete()) throw new IllegalStateException("Authentication exchange has not completed");
        throw new IllegalStateException("SCRAM supports neither integrity nor privacy");
    }

    @Override
    public void dispose() {
    }

    private void clearCredentials() {
        scramCredential = null;
        clientFirstMessage = null;
        serverFirstMessage = null;
    }
}
