package io.runnel.broker.security;

import java.util.concurrent.TimeUnit;

import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

import org.apache.kafka.common.errors.IllegalSaslStateException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.jboss.logging.Logger;

import io.runnel.broker.metrics.BrokerMetrics;

/**
 * The SASL state of one connection on a SASL listener, consulted for every request before normal
 * dispatch, as Kafka's SaslServerAuthenticator and KafkaChannel do it:
 *
 * <ol>
 *   <li>HANDSHAKE: ApiVersions is served, SaslHandshake picks an enabled mechanism
 *       (else UNSUPPORTED_SASL_MECHANISM with the enabled list, then close); anything else closes
 *       the connection without a response.</li>
 *   <li>AUTHENTICATE: each SaslAuthenticate token goes to the mechanism's {@link SaslServer}
 *       (after a v0 handshake the tokens come as raw size-prefixed frames instead); any other API is
 *       answered ILLEGAL_SASL_STATE and the connection closed. A failed exchange is answered
 *       SASL_AUTHENTICATION_FAILED with one generic message (never saying whether the user exists),
 *       logged once and counted, and the connection closed after that response.</li>
 *   <li>AUTHENTICATED: requests are served as the principal. With {@code connections.max.reauth.ms}
 *       &gt; 0 the session ends that long after authentication: a SaslHandshake for the same
 *       mechanism re-authenticates (KIP-368; the principal must not change), and any other request
 *       after the end closes the connection.</li>
 * </ol>
 *
 * <p>Invariant: no request other than ApiVersions, SaslHandshake and SaslAuthenticate is served
 * before the first authentication succeeded. Threading: the connection's event loop only. PLAIN
 * and SCRAM evaluations are cheap (SCRAM's PBKDF2 ran when the credential was created; the
 * server only computes HMACs and hashes), so they run on the event loop rather than hopping to
 * another thread.
 */
public final class SaslAuthenticator {
    private static final Logger LOG = Logger.getLogger(SaslAuthenticator.class);

    /** What the connection does with a request. */
    public sealed interface Outcome {}

    /** Serve it normally, as {@code principal}. */
    public record Serve(KafkaPrincipal principal) implements Outcome {}

    /** Send {@code body} (the request's own response type) instead of serving it, and close afterwards if asked. */
    public record Answer(ApiMessage body, boolean thenClose) implements Outcome {}

    /** Close the connection now without a response. */
    public record Close(String reason) implements Outcome {}

    private enum State { HANDSHAKE, AUTHENTICATE, AUTHENTICATED, FAILED }

    private final String listenerName;
    private final String clientAddress;
    private final SaslServers servers;
    private final BrokerMetrics metrics;
    private State state = State.HANDSHAKE;
    private String mechanism;
    private SaslServer server;
    private short handshakeVersion;
    /** Set by the first successful authentication; re-authentication keeps it. */
    private KafkaPrincipal principal;
    private boolean reauthenticating;
    private long sessionExpiryNanos = Long.MAX_VALUE;
    private boolean librdkafkaNonceLogged;

    public SaslAuthenticator(String listenerName, String clientAddress, SaslServers servers, BrokerMetrics metrics) {
        this.listenerName = listenerName;
        this.clientAddress = clientAddress;
        this.servers = servers;
        this.metrics = metrics;
    }

    /** True once the first authentication succeeded (also while re-authenticating). */
    public boolean authenticated() {
        return principal != null;
    }

    /** The largest frame accepted now: {@code sasl.server.max.receive.size} until authenticated, else {@code otherwiseBytes}. */
    public int maxReceiveBytes(int otherwiseBytes) {
        return authenticated() ? otherwiseBytes : servers.settings().maxReceiveBytes();
    }

    /** After a SaslHandshake v0, the next frame is a bare SASL token instead of a Kafka request. */
    public boolean expectsRawToken() {
        return state == State.AUTHENTICATE && handshakeVersion == 0;
    }

    public Outcome onRequest(RequestHeader header, ApiMessage body, long nowNanos) {
        ApiKeys api = header.apiKey();
        return switch (state) {
            case HANDSHAKE -> {
                if (api == ApiKeys.API_VERSIONS) yield new Serve(KafkaPrincipal.ANONYMOUS);
                if (api == ApiKeys.SASL_HANDSHAKE) yield handshake((SaslHandshakeRequestData) body, header.apiVersion());
                yield new Close("listener " + listenerName + " received " + api.name + " from " + clientAddress
                        + " before authentication (only ApiVersions, SaslHandshake and SaslAuthenticate are accepted)");
            }
            case AUTHENTICATE -> {
                if (api == ApiKeys.SASL_AUTHENTICATE)
                    yield authenticate(((SaslAuthenticateRequestData) body).authBytes(), header.apiVersion(), nowNanos);
                LOG.infof("Closing connection from %s on listener %s: %s during SASL authentication", clientAddress, listenerName, api.name);
                yield new Answer(illegalState(header, body, "Unexpected Kafka request of type " + api + " during SASL authentication."), true);
            }
            case AUTHENTICATED -> {
                if (api == ApiKeys.SASL_HANDSHAKE && servers.settings().connectionsMaxReauthMs() > 0) {
                    reauthenticating = true;
                    yield handshake((SaslHandshakeRequestData) body, header.apiVersion());
                }
                if (nowNanos - sessionExpiryNanos > 0)
                    yield new Close("the authentication session of " + principal + " from " + clientAddress + " on listener " + listenerName
                            + " expired (connections.max.reauth.ms) and " + api.name + " is not a re-authentication");
                yield new Serve(principal);
            }
            case FAILED -> new Close("request after a failed authentication");
        };
    }

    /** One bare token after a v0 handshake: returns the bytes to send back as a size-prefixed frame, or null to close. */
    public Answer onRawToken(byte[] token, long nowNanos) {
        Outcome outcome = authenticate(token, (short) 0, nowNanos);
        return (Answer) outcome;
    }

    private Outcome handshake(SaslHandshakeRequestData request, short version) {
        String requested = request.mechanism();
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(servers.settings().enabledMechanisms());
        boolean mechanismChanged = reauthenticating && !requested.equals(mechanism);
        if (!servers.settings().enabledMechanisms().contains(requested) || mechanismChanged) {
            // The counter's mechanism tag never takes the client's string: that would let clients create series.
            metrics.authentication(listenerName, "unsupported", false);
            LOG.infof("Failed authentication on listener %s from %s: SASL mechanism %s is %s", listenerName, clientAddress,
                    requested, mechanismChanged ? "not the session's " + mechanism : "not enabled " + servers.settings().enabledMechanisms());
            state = State.FAILED;
            return new Answer(response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()), true);
        }
        mechanism = requested;
        server = servers.create(requested);
        handshakeVersion = version;
        state = State.AUTHENTICATE;
        return new Answer(response.setErrorCode(Errors.NONE.code()), false);
    }

    private Outcome authenticate(byte[] token, short version, long nowNanos) {
        byte[] challenge;
        try {
            challenge = server.evaluateResponse(token);
        } catch (SaslException | RuntimeException e) {
            // SaslAuthenticationException (a RuntimeException) and SaslException alike: one answer, whatever the cause.
            return fail(e.getMessage());
        }
        if (!server.isComplete()) return new Answer(new SaslAuthenticateResponseData().setAuthBytes(orEmpty(challenge)), false);
        KafkaPrincipal authenticated = new KafkaPrincipal(KafkaPrincipal.USER_TYPE, server.getAuthorizationID());
        boolean librdkafkaNonce = server instanceof ScramServer scram && scram.librdkafkaNonceAccepted();
        dispose();
        if (reauthenticating && !authenticated.equals(principal)) return fail("re-authentication as " + authenticated + " on a connection of " + principal);
        principal = authenticated;
        reauthenticating = false;
        state = State.AUTHENTICATED;
        long lifetimeMs = servers.settings().connectionsMaxReauthMs();
        sessionExpiryNanos = lifetimeMs > 0 ? nowNanos + TimeUnit.MILLISECONDS.toNanos(lifetimeMs) : Long.MAX_VALUE;
        metrics.authentication(listenerName, mechanism, true);
        if (librdkafkaNonce) librdkafkaNonceAccepted();
        LOG.debugf("Authenticated %s from %s on listener %s with %s", principal, clientAddress, listenerName, mechanism);
        SaslAuthenticateResponseData response = new SaslAuthenticateResponseData().setAuthBytes(orEmpty(challenge));
        if (version >= 1) response.setSessionLifetimeMs(lifetimeMs);
        return new Answer(response, false);
    }

    /** Counted every time, logged once per connection (re-authentication repeats the same client's same nonce). */
    private void librdkafkaNonceAccepted() {
        metrics.scramLibrdkafkaNonce(listenerName, mechanism);
        if (librdkafkaNonceLogged) return;
        librdkafkaNonceLogged = true;
        LOG.infof("Accepted %s from %s on listener %s with %s using librdkafka's pre-2.6.1 SCRAM nonce (the client nonce sent twice),"
                + " which Kafka 4.x refuses: upgrade this client to librdkafka 2.6.1 or later before setting sasl.scram.accept.librdkafka.nonce=false",
                principal, clientAddress, listenerName, mechanism);
    }

    private Answer fail(String cause) {
        boolean reauth = reauthenticating;
        dispose();
        state = State.FAILED;
        metrics.authentication(listenerName, mechanism, false);
        // The cause is the SaslServer's own text: it names neither password nor proof, but may quote what the client sent.
        LOG.infof("Failed %s on listener %s from %s with SASL mechanism %s: %s", reauth ? "re-authentication" : "authentication",
                listenerName, clientAddress, mechanism, printable(cause));
        // Kafka's text for invalid credentials, used for every failure so that it never tells whether the user exists.
        String message = "Authentication failed during " + (reauth ? "re-authentication" : "authentication")
                + " due to invalid credentials with SASL mechanism " + mechanism;
        return new Answer(new SaslAuthenticateResponseData().setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code())
                .setErrorMessage(message).setAuthBytes(new byte[0]), true);
    }

    private void dispose() {
        if (server == null) return;
        try {
            server.dispose();
        } catch (SaslException e) {
            LOG.debugf("Disposing the %s server: %s", mechanism, e.toString());
        }
        server = null;
    }

    /** The request's own error response with ILLEGAL_SASL_STATE, as Kafka builds it. */
    private static ApiMessage illegalState(RequestHeader header, ApiMessage body, String message) {
        short version = header.apiVersion();
        AbstractRequest request = AbstractRequest.parseRequest(header.apiKey(), version, MessageUtil.toByteBufferAccessor(body, version)).request;
        return request.getErrorResponse(0, new IllegalSaslStateException(message)).data();
    }

    /** At most 200 printable ASCII characters: a garbage token quoted in an exception must not forge log lines. */
    static String printable(String text) {
        if (text == null) return "";
        StringBuilder out = new StringBuilder(Math.min(text.length(), 200));
        for (int i = 0; i < text.length() && out.length() < 200; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return text.length() > 200 ? out + "..." : out.toString();
    }

    private static byte[] orEmpty(byte[] bytes) {
        return bytes == null ? new byte[0] : bytes;
    }
}
