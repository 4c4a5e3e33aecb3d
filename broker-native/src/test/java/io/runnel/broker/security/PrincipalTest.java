package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnel.broker.api.SaslIllegalStateHandler;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.network.KafkaServer;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RawKafkaClient;
import io.runnel.broker.protocol.SupportedApis;
import io.vertx.core.Vertx;

/**
 * The principal each listener puts on a request's context, seen by a handler: User:ANONYMOUS on
 * PLAINTEXT and on TLS without a client certificate, the mapped certificate DN on mTLS, the SASL
 * user on SASL listeners. Listeners served by a bare {@link KafkaServer} whose ApiVersions handler
 * records the principal.
 */
class PrincipalTest {
    static final List<String> LISTENERS = List.of("PLAINTEXT", "SSL", "MTLS", "SASL_PLAINTEXT");
    @TempDir
    static Path dir;
    static TestCertificates certificates;
    static Vertx vertx;
    static KafkaServer server;
    static final LinkedBlockingQueue<KafkaPrincipal> principals = new LinkedBlockingQueue<>();

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(Files.createDirectories(dir.resolve("certs")));
        Map<String, String> config = new HashMap<>();
        config.put("listeners", String.join(",", LISTENERS.stream().map(l -> l + "://127.0.0.1:0").toList()));
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.putAll(certificates.listenerSettings("SSL", "requested"));
        config.putAll(certificates.listenerSettings("MTLS", "required"));
        config.put("listener.name.mtls.ssl.principal.mapping.rules", "RULE:^CN=([a-z]+),OU=([A-Za-z]+),.*$/$2-$1/U,DEFAULT");
        config.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", AuthenticationTest.PLAIN_JAAS);
        config.put("log.dirs", dir.resolve("data").toString());
        config.put("num.network.threads", "1");
        BrokerConfig brokerConfig = BrokerConfig.from(config);
        SupportedApis[] self = new SupportedApis[1];
        ApiHandler versions = (context, request) -> {
            principals.add(context.principal());
            return CompletableFuture.completedFuture(new ApiVersionsResponseData().setApiKeys(self[0].versions()));
        };
        self[0] = new SupportedApis(Map.of(ApiKeys.API_VERSIONS, versions, ApiKeys.SASL_HANDSHAKE, new SaslIllegalStateHandler(),
                ApiKeys.SASL_AUTHENTICATE, new SaslIllegalStateHandler()));
        vertx = Vertx.vertx();
        server = new KafkaServer(vertx, brokerConfig, brokerConfig.clientListeners(), self[0], new BrokerMetrics(new SimpleMeterRegistry()));
        server.start().join();
    }

    @AfterAll
    static void stop() {
        server.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    static int port(String listener) {
        return server.boundPorts().get(LISTENERS.indexOf(listener));
    }

    static KafkaPrincipal principalOf(RawKafkaClient client) throws Exception {
        principals.clear();
        client.send(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
        return principals.poll(30, TimeUnit.SECONDS);
    }

    static Socket tls(String listener, boolean withCertificate) throws Exception {
        SSLSocket socket = (SSLSocket) certificates.clientContext(withCertificate).getSocketFactory().createSocket("127.0.0.1", port(listener));
        socket.startHandshake();
        return socket;
    }

    @Test
    void plaintextIsAnonymous() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient("127.0.0.1", port("PLAINTEXT"))) {
            assertThat(principalOf(client)).isEqualTo(KafkaPrincipal.ANONYMOUS);
        }
    }

    @Test
    void tlsWithoutAClientCertificateIsAnonymous() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(tls("SSL", false))) {
            assertThat(principalOf(client)).isEqualTo(KafkaPrincipal.ANONYMOUS);
        }
    }

    @Test
    void tlsWithoutMappingRulesIsTheWholeDistinguishedName() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(tls("SSL", true))) {
            assertThat(principalOf(client)).isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, TestCertificates.CLIENT_DN.replace(", ", ",")));
        }
    }

    @Test
    void mutualTlsMapsTheCertificateDistinguishedNameWithTheRules() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(tls("MTLS", true))) {
            assertThat(principalOf(client)).isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "CLIENTS-ALICE"));
        }
    }

    @Test
    void saslIsTheAuthenticatedUser() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
            assertThat(principalOf(client)).as("ApiVersions before authentication").isEqualTo(KafkaPrincipal.ANONYMOUS);
            client.send(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            SaslAuthenticateResponseData authenticated = (SaslAuthenticateResponseData) client.send(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                    new SaslAuthenticateRequestData().setAuthBytes("\0alice\0alice-secret".getBytes(StandardCharsets.UTF_8)));
            assertThat(authenticated.errorCode()).isZero();
            assertThat(authenticated.sessionLifetimeMs()).as("connections.max.reauth.ms=0: no re-authentication").isZero();
            assertThat(principalOf(client)).isEqualTo(new KafkaPrincipal(KafkaPrincipal.USER_TYPE, "alice"));
        }
    }
}
