package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramExtensionsCallback;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ClientFinalMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ClientFirstMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ServerFinalMessage;
import org.apache.kafka.common.security.scram.internals.ScramMessages.ServerFirstMessage;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnel.broker.config.ListenerSecurity;
import io.runnel.broker.metrics.BrokerMetrics;

/**
 * {@link ScramServer} against kafka-clients' own SCRAM client and server: a Java client logs in in both
 * modes; librdkafka's pre-2.6.1 final nonce (client nonce + server-first nonce, proof computed over it with
 * kafka-clients' ScramFormatter, as librdkafka computes it) logs in only with the setting on, and is refused
 * with Kafka's own error with it off; every other nonce form, a wrong password and an unknown user are refused
 * in both modes; and with the setting off, every exchange ends exactly as in Kafka's ScramSaslServer (same
 * exception type and text), checked by running the same client against both. Through a connection's
 * {@link SaslAuthenticator}, a librdkafka login is served as its user and counted at every (re-)authentication.
 */
class ScramServerTest {
    private static final String USER = "alice";
    private static final String PASSWORD = "alice-secret";
    private static final String NONCE_ERROR = "Invalid client nonce in the final client message.";
    private static final ScramCredentials CREDENTIALS = new InMemoryScramCredentials()
            .add(USER, PASSWORD, ScramMechanism.SCRAM_SHA_512).add(USER, PASSWORD, ScramMechanism.SCRAM_SHA_256);

    /** How a client-final nonce is built from the client nonce and the server-first nonce (client nonce + server random). */
    enum NonceForm {
        RFC_5802((client, server) -> server),
        LIBRDKAFKA_BEFORE_2_6_1((client, server) -> client + server),
        CLIENT_NONCE_ONLY((client, server) -> client),
        OTHER_SERVER_PART((client, server) -> client + "x".repeat(server.length() - client.length())),
        LIBRDKAFKA_WITH_OTHER_SERVER_PART((client, server) -> client + client + "x".repeat(server.length() - client.length())),
        SERVER_NONCE_BEHIND_ANOTHER_PREFIX((client, server) -> "x" + server),
        SERVER_NONCE_BEHIND_ANOTHER_CLIENT_NONCE((client, server) -> "y".repeat(client.length()) + server),
        SERVER_NONCE_BEHIND_TWO_CLIENT_NONCES((client, server) -> client + client + server),
        SERVER_NONCE_THEN_CLIENT_NONCE((client, server) -> server + client),
        SERVER_NONCE_TRUNCATED((client, server) -> server.substring(0, server.length() - 1));

        final BiFunction<String, String, String> nonce;

        NonceForm(BiFunction<String, String, String> nonce) {
            this.nonce = nonce;
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void kafkaClientsScramClientLogsInInBothModes(boolean acceptLibrdkafkaNonce) throws Exception {
        for (ScramMechanism mechanism : ScramMechanism.values()) {
            ScramServer server = server(mechanism, acceptLibrdkafkaNonce);
            assertThat(javaClient(server, mechanism, USER, PASSWORD)).isEqualTo("complete");
            assertThat(server.getAuthorizationID()).isEqualTo(USER);
            assertThat(server.librdkafkaNonceAccepted()).isFalse();
        }
    }

    @Test
    void librdkafkaNonceLogsInWhenAcceptedAndItsServerSignatureVerifies() throws Exception {
        for (ScramMechanism mechanism : ScramMechanism.values()) {
            ScramServer server = server(mechanism, true);
            assertThat(handBuiltClient(server, mechanism, USER, PASSWORD, NonceForm.LIBRDKAFKA_BEFORE_2_6_1)).isEqualTo("complete");
            assertThat(server.isComplete()).isTrue();
            assertThat(server.getAuthorizationID()).isEqualTo(USER);
            assertThat(server.librdkafkaNonceAccepted()).isTrue();
        }
    }

    @Test
    void librdkafkaNonceIsRefusedWithKafkasErrorWhenNotAccepted() throws Exception {
        ScramServer server = server(ScramMechanism.SCRAM_SHA_512, false);
        assertThat(handBuiltClient(server, ScramMechanism.SCRAM_SHA_512, USER, PASSWORD, NonceForm.LIBRDKAFKA_BEFORE_2_6_1))
                .isEqualTo("SaslException: " + NONCE_ERROR);
        assertThat(server.isComplete()).isFalse();
    }

    static Stream<Arguments> otherNonceFormsInBothModes() {
        return Stream.of(NonceForm.values())
                .filter(form -> form != NonceForm.RFC_5802 && form != NonceForm.LIBRDKAFKA_BEFORE_2_6_1)
                .flatMap(form -> Stream.of(Arguments.of(form, true), Arguments.of(form, false)));
    }

    @ParameterizedTest
    @MethodSource("otherNonceFormsInBothModes")
    void anyOtherNonceFormIsRefusedWithKafkasErrorEvenWithTheRightProof(NonceForm form, boolean acceptLibrdkafkaNonce) throws Exception {
        ScramServer server = server(ScramMechanism.SCRAM_SHA_512, acceptLibrdkafkaNonce);
        assertThat(handBuiltClient(server, ScramMechanism.SCRAM_SHA_512, USER, PASSWORD, form)).isEqualTo("SaslException: " + NONCE_ERROR);
        assertThat(server.isComplete()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = NonceForm.class, names = {"RFC_5802", "LIBRDKAFKA_BEFORE_2_6_1"})
    void wrongPasswordAndUnknownUserAreRefusedIdenticallyInBothModes(NonceForm form) throws Exception {
        for (boolean accept : new boolean[] {true, false}) {
            String expected = form == NonceForm.LIBRDKAFKA_BEFORE_2_6_1 && !accept ? NONCE_ERROR : "Invalid client credentials";
            assertThat(handBuiltClient(server(ScramMechanism.SCRAM_SHA_512, accept), ScramMechanism.SCRAM_SHA_512, USER, "wrong", form))
                    .isEqualTo("SaslException: " + expected);
            assertThat(handBuiltClient(server(ScramMechanism.SCRAM_SHA_512, accept), ScramMechanism.SCRAM_SHA_512, "mallory", PASSWORD, form))
                    .isEqualTo("SaslException: " + expected);
        }
        assertThat(javaClient(server(ScramMechanism.SCRAM_SHA_512, true), ScramMechanism.SCRAM_SHA_512, "mallory", PASSWORD))
                .isEqualTo(javaClient(server(ScramMechanism.SCRAM_SHA_512, true), ScramMechanism.SCRAM_SHA_512, USER, "wrong"))
                .isEqualTo("SaslException: Invalid client credentials");
    }

    /** A client's whole side of an exchange: returns "complete" or the exception the server threw, as type and text. */
    @FunctionalInterface
    interface Exchange {
        String run(SaslServer server) throws Exception;
    }

    static Stream<Arguments> exchanges() {
        ScramMechanism sha512 = ScramMechanism.SCRAM_SHA_512;
        Stream<Arguments> nonceForms = Stream.of(NonceForm.values()).map(form ->
                Arguments.of("nonce " + form, (Exchange) server -> handBuiltClient(server, sha512, USER, PASSWORD, form)));
        return Stream.concat(nonceForms, Stream.of(
                Arguments.of("java client", (Exchange) server -> javaClient(server, sha512, USER, PASSWORD)),
                Arguments.of("wrong password", (Exchange) server -> javaClient(server, sha512, USER, "wrong")),
                Arguments.of("unknown user", (Exchange) server -> javaClient(server, sha512, "mallory", PASSWORD)),
                Arguments.of("other authorization id", (Exchange) server -> raw(server, "n,a=bob,n=alice,r=abcdef")),
                Arguments.of("token extension", (Exchange) server -> raw(server, "n,,n=alice,r=abcdef,tokenauth=true")),
                Arguments.of("unknown extension", (Exchange) server -> raw(server, "n,,n=alice,r=abcdef,colour=blue")),
                Arguments.of("garbage client first", (Exchange) server -> raw(server, "hello")),
                Arguments.of("garbage client final", (Exchange) server -> raw(server, "n,,n=alice,r=abcdef", "c=biws,r=abcdef")),
                Arguments.of("message after failure", (Exchange) server -> raw(server, "hello", "again")),
                Arguments.of("message after completion", (Exchange) server -> {
                    javaClient(server, sha512, USER, PASSWORD);
                    return raw(server, "again");
                })));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exchanges")
    void withTheSettingOffEveryExchangeEndsAsInKafkasScramSaslServer(String scenario, Exchange exchange) throws Exception {
        CallbackHandler handler = new ScramCallbackHandler(CREDENTIALS, ScramMechanism.SCRAM_SHA_512);
        String kafka = exchange.run(new ScramSaslServer(ScramMechanism.SCRAM_SHA_512, Map.of(), handler));
        String runnel = exchange.run(new ScramServer(ScramMechanism.SCRAM_SHA_512, handler, false));
        assertThat(runnel).as(scenario).isEqualTo(kafka);
    }

    @Test
    void aCredentialBelowTheMechanismsMinimumIterationsIsRefusedAsByKafka() throws Exception {
        ScramCredential weak = new ScramFormatter(ScramMechanism.SCRAM_SHA_256).generateCredential(PASSWORD, 1000);
        CallbackHandler handler = new ScramCallbackHandler((user, mechanism) -> Optional.of(weak), ScramMechanism.SCRAM_SHA_256);
        String kafka = javaClient(new ScramSaslServer(ScramMechanism.SCRAM_SHA_256, Map.of(), handler), ScramMechanism.SCRAM_SHA_256, USER, PASSWORD);
        String runnel = javaClient(new ScramServer(ScramMechanism.SCRAM_SHA_256, handler, true), ScramMechanism.SCRAM_SHA_256, USER, PASSWORD);
        assertThat(runnel).isEqualTo(kafka).isEqualTo("SaslException: Iterations 1000 is less than the minimum 4096 for SCRAM_SHA_256");
    }

    @Test
    void aLibrdkafkaLoginThroughTheAuthenticatorIsServedAsItsUserAndCountedAtEachReauthentication() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ListenerSecurity.Sasl settings = new ListenerSecurity.Sasl(List.of("SCRAM-SHA-512"), Map.of(), 60_000, 524_288, true);
        SaslAuthenticator authenticator = new SaslAuthenticator("SASL_SSL", "10.0.0.7:53122", new SaslServers(settings, CREDENTIALS),
                new BrokerMetrics(registry));
        int[] correlationId = {0};
        Exchanger viaAuthenticator = token -> {
            SaslAuthenticator.Outcome outcome = authenticator.onRequest(new RequestHeader(ApiKeys.SASL_AUTHENTICATE, (short) 2, "rdkafka", ++correlationId[0]),
                    new SaslAuthenticateRequestData().setAuthBytes(token), 0);
            SaslAuthenticateResponseData response = (SaslAuthenticateResponseData) ((SaslAuthenticator.Answer) outcome).body();
            if (response.errorCode() != 0) throw new SaslException(response.errorMessage());
            return response.authBytes();
        };
        for (int login = 1; login <= 2; login++) {
            SaslAuthenticator.Outcome handshake = authenticator.onRequest(new RequestHeader(ApiKeys.SASL_HANDSHAKE, (short) 1, "rdkafka", ++correlationId[0]),
                    new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-512"), 0);
            assertThat(((SaslHandshakeResponseData) ((SaslAuthenticator.Answer) handshake).body()).errorCode()).isZero();
            assertThat(handBuiltClient(viaAuthenticator, ScramMechanism.SCRAM_SHA_512, USER, PASSWORD, NonceForm.LIBRDKAFKA_BEFORE_2_6_1)).isEqualTo("complete");
            assertThat(authenticator.onRequest(new RequestHeader(ApiKeys.METADATA, (short) 12, "rdkafka", ++correlationId[0]), new MetadataRequestData(), 0))
                    .isEqualTo(new SaslAuthenticator.Serve(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, USER)));
            assertThat(registry.get("runnel.authentication.scram.librdkafka.nonce").tags("listener", "SASL_SSL", "mechanism", "SCRAM-SHA-512")
                    .counter().count()).as("after login %d", login).isEqualTo(login);
        }
    }

    private static ScramServer server(ScramMechanism mechanism, boolean acceptLibrdkafkaNonce) throws Exception {
        return new ScramServer(mechanism, new ScramCallbackHandler(CREDENTIALS, mechanism), acceptLibrdkafkaNonce);
    }

    /** kafka-clients' ScramSaslClient, as the Java client runs it; it also verifies the server signature. */
    private static String javaClient(SaslServer server, ScramMechanism mechanism, String user, String password) throws Exception {
        ScramSaslClient client = new ScramSaslClient(mechanism, callbacks -> {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback name) name.setName(user);
                else if (callback instanceof PasswordCallback secret) secret.setPassword(password.toCharArray());
                else if (!(callback instanceof ScramExtensionsCallback)) throw new IllegalArgumentException(callback.toString());
            }
        });
        try {
            byte[] serverFirst = server.evaluateResponse(client.evaluateChallenge(new byte[0]));
            byte[] serverFinal = server.evaluateResponse(client.evaluateChallenge(serverFirst));
            client.evaluateChallenge(serverFinal);
            assertThat(client.isComplete()).isTrue();
            return server.isComplete() ? "complete" : "incomplete";
        } catch (Exception e) {
            return describe(e);
        }
    }

    /**
     * librdkafka's side, built from kafka-clients' ScramMessages and ScramFormatter: the client-final nonce is
     * {@code form}'s, and the proof is computed over the client-final message as sent (so only the nonce check
     * can refuse a right password). On success the server signature is checked as librdkafka checks it.
     */
    private static String handBuiltClient(SaslServer server, ScramMechanism mechanism, String user, String password, NonceForm form) throws Exception {
        String outcome = handBuiltClient(server::evaluateResponse, mechanism, user, password, form);
        return outcome.equals("complete") && !server.isComplete() ? "incomplete" : outcome;
    }

    /** One token to the server, its answer back. */
    @FunctionalInterface
    interface Exchanger {
        byte[] send(byte[] token) throws Exception;
    }

    private static String handBuiltClient(Exchanger server, ScramMechanism mechanism, String user, String password, NonceForm form) throws Exception {
        ScramFormatter formatter = new ScramFormatter(mechanism);
        ClientFirstMessage clientFirst = new ClientFirstMessage(ScramFormatter.saslName(user), formatter.secureRandomString(), Map.of());
        try {
            ServerFirstMessage serverFirst = new ServerFirstMessage(server.send(clientFirst.toBytes()));
            assertThat(serverFirst.nonce()).startsWith(clientFirst.nonce()).hasSizeGreaterThan(clientFirst.nonce().length());
            ClientFinalMessage clientFinal = new ClientFinalMessage(clientFirst.gs2Header().getBytes(StandardCharsets.UTF_8),
                    form.nonce.apply(clientFirst.nonce(), serverFirst.nonce()));
            byte[] saltedPassword = formatter.saltedPassword(password, serverFirst.salt(), serverFirst.iterations());
            clientFinal.proof(formatter.clientProof(saltedPassword, clientFirst, serverFirst, clientFinal));
            ServerFinalMessage serverFinal = new ServerFinalMessage(server.send(clientFinal.toBytes()));
            assertThat(serverFinal.error()).isNull();
            assertThat(serverFinal.serverSignature())
                    .isEqualTo(formatter.serverSignature(formatter.serverKey(saltedPassword), clientFirst, serverFirst, clientFinal));
            return "complete";
        } catch (Exception e) {
            return describe(e);
        }
    }

    /** Raw tokens, one after another, until the server throws. */
    private static String raw(SaslServer server, String... tokens) {
        try {
            for (String token : tokens) server.evaluateResponse(token.getBytes(StandardCharsets.UTF_8));
            return server.isComplete() ? "complete" : "incomplete";
        } catch (Exception e) {
            return describe(e);
        }
    }

    private static String describe(Exception e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause().getClass().getSimpleName() + ")");
    }
}
