package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.micrometer.core.instrument.Counter;
import io.runnel.broker.RunningBroker;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * The unmodified Java kafka-clients against one broker with a listener of each security protocol:
 * TLS, mTLS with the principal from the certificate, SASL PLAIN and SCRAM in the clear and over TLS,
 * failed and refused authentication, bad SASL input, re-authentication and the cap on
 * unauthenticated connections.
 */
class AuthenticationTest {
    static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "user_alice=\"alice-secret\" user_admin=\"admin-secret\";";
    static final List<String> LISTENERS = List.of("PLAINTEXT", "SSL", "MTLS", "SASL_PLAINTEXT", "SASL_SSL", "SHORT");

    @TempDir
    static Path dir;
    static TestCertificates certificates;
    static RunningBroker broker;

    @BeforeAll
    static void start() throws IOException {
        certificates = TestCertificates.create(java.nio.file.Files.createDirectories(dir.resolve("certs")));
        Map<String, String> config = new HashMap<>();
        config.put("listeners", String.join(",", LISTENERS.stream().map(l -> l + "://127.0.0.1:0").toList()));
        config.put("listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SHORT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.putAll(certificates.listenerSettings("SSL", "none"));
        config.put("listener.name.ssl.connections.max.unauthenticated.ms", "3000");
        config.putAll(certificates.listenerSettings("MTLS", "required"));
        config.put("listener.name.mtls.ssl.principal.mapping.rules", "RULE:^CN=([a-z]+),.*$/$1/,DEFAULT");
        config.putAll(certificates.listenerSettings("SASL_SSL", "none"));
        config.put("listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_JAAS);
        config.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256");
        config.put("listener.name.short.sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.short.plain.sasl.jaas.config", PLAIN_JAAS);
        config.put("listener.name.short.connections.max.reauth.ms", "1500");
        config.put("listener.name.short.connections.max.unauthenticated.ms", "1000");
        config.put("log.dirs", dir.resolve("data").toString());
        InMemoryScramCredentials scram = new InMemoryScramCredentials()
                .add("bob", "bob-secret", ScramMechanism.SCRAM_SHA_512)
                .add("bob", "bob-secret", ScramMechanism.SCRAM_SHA_256);
        broker = new RunningBroker(dir.resolve("data"), config, scram);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static int port(String listener) {
        return broker.broker().boundPorts().get(LISTENERS.indexOf(listener));
    }

    /** Client settings for {@code listener} with its protocol, plus {@code extra}. */
    static Properties client(String listener, SecurityProtocol protocol, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port(listener));
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol.name);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putAll(extra);
        return p;
    }

    static Map<String, Object> sasl(String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return Map.of(SaslConfigs.SASL_MECHANISM, mechanism,
                SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + user + "\" password=\"" + password + "\";");
    }

    static Map<String, Object> merge(Map<String, Object> a, Map<String, Object> b) {
        Map<String, Object> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    /** Produces {@code count} records to a new topic and reads them back, both over {@code settings}. */
    static void roundTrip(Properties settings, String topic, int count) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(settings)) {
            for (int i = 0; i < count; i++) producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
        }
        // Fetches are served from the segment file: on TLS that is the copying path, not sendfile.
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(settings)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<String> values = new ArrayList<>();
            while (values.size() < count) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) values.add(r.value());
            }
            assertThat(values).containsExactlyElementsOf(java.util.stream.IntStream.range(0, count).mapToObj(i -> "v" + i).toList());
        }
    }

    static double authCount(String listener, String mechanism, boolean succeeded) {
        Counter c = broker.registry().find(succeeded ? "runnel.authentication.successes" : "runnel.authentication.failures")
                .tags("listener", listener, "mechanism", mechanism).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void producesAndConsumesOverTls() throws Exception {
        roundTrip(client("SSL", SecurityProtocol.SSL, certificates.clientSettings(false)), "over-tls", 50);
    }

    @Test
    void producesAndConsumesOverMutualTls() throws Exception {
        roundTrip(client("MTLS", SecurityProtocol.SSL, certificates.clientSettings(true)), "over-mtls", 20);
    }

    @Test
    void aClientWithoutACertificateIsRefusedWhereOneIsRequired() {
        Properties p = client("MTLS", SecurityProtocol.SSL, merge(certificates.clientSettings(false),
                Map.of(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000, CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 5_000)));
        try (Admin admin = Admin.create(p)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SslAuthenticationException.class);
        }
    }

    @Test
    void producesAndConsumesOverSaslPlaintextWithPlain() throws Exception {
        double before = authCount("SASL_PLAINTEXT", "PLAIN", true);
        roundTrip(client("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, sasl("PLAIN", "alice", "alice-secret")), "over-plain", 20);
        assertThat(authCount("SASL_PLAINTEXT", "PLAIN", true)).isGreaterThan(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SCRAM-SHA-512", "SCRAM-SHA-256"})
    void producesAndConsumesOverSaslSslWithScram(String mechanism) throws Exception {
        roundTrip(client("SASL_SSL", SecurityProtocol.SASL_SSL, merge(certificates.clientSettings(false), sasl(mechanism, "bob", "bob-secret"))),
                "over-" + mechanism.toLowerCase(), 20);
        assertThat(authCount("SASL_SSL", mechanism, true)).isPositive();
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGetTheSameAuthenticationFailure() {
        double before = authCount("SASL_SSL", "SCRAM-SHA-512", false);
        String wrongPassword = failedAuthentication(merge(certificates.clientSettings(false), sasl("SCRAM-SHA-512", "bob", "not-bobs")));
        String unknownUser = failedAuthentication(merge(certificates.clientSettings(false), sasl("SCRAM-SHA-512", "mallory", "anything")));
        assertThat(wrongPassword).isEqualTo(unknownUser)
                .isEqualTo("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");
        assertThat(authCount("SASL_SSL", "SCRAM-SHA-512", false)).isEqualTo(before + 2);
    }

    @Test
    void aWrongPlainPasswordIsRefused() {
        Properties p = client("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, sasl("PLAIN", "alice", "wrong"));
        try (Admin admin = Admin.create(p)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).cause().isInstanceOf(SaslAuthenticationException.class);
        }
        assertThat(authCount("SASL_PLAINTEXT", "PLAIN", false)).isPositive();
    }

    private static String failedAuthentication(Map<String, Object> settings) {
        try (Admin admin = Admin.create(client("SASL_SSL", SecurityProtocol.SASL_SSL, settings))) {
            Throwable cause = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> admin.listTopics().names().get()).getCause();
            assertThat(cause).isInstanceOf(SaslAuthenticationException.class);
            return cause.getMessage();
        }
    }

    @Test
    void aClientThatDoesNotAuthenticateCanOnlyAskForApiVersionsWhileAuthenticatedClientsKeepWorking() throws Exception {
        Properties alice = client("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, sasl("PLAIN", "alice", "alice-secret"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(alice);
             RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
            producer.send(new ProducerRecord<>("refused-plaintext", "before")).get();
            ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.send(ApiKeys.API_VERSIONS, (short) 3,
                    new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
            assertThat(versions.errorCode()).isZero();
            assertThat(versions.apiKeys().find(ApiKeys.SASL_HANDSHAKE.id)).isNotNull();
            raw.sendRaw(bytes(RawKafkaClient.encodeRequest(ApiKeys.METADATA, (short) 12, 2, new MetadataRequestData())));
            assertThat(raw.isClosedByBroker()).isTrue();
            producer.send(new ProducerRecord<>("refused-plaintext", "after")).get();
        }
        // A Java client speaking PLAINTEXT to the SASL listener gets nowhere.
        Properties plaintext = client("SASL_PLAINTEXT", SecurityProtocol.PLAINTEXT, Map.of(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 2_000));
        try (Admin admin = Admin.create(plaintext)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).isInstanceOf(ExecutionException.class);
        }
    }

    @Test
    void garbageAndOversizedSaslInputCloseOnlyThatConnection() throws Exception {
        Properties alice = client("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT, sasl("PLAIN", "alice", "alice-secret"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(alice)) {
            producer.send(new ProducerRecord<>("bad-input", "before")).get();
            byte[] garbage = new byte[200];
            new Random(7).nextBytes(garbage);

            try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
                raw.sendRaw(ByteBuffer.allocate(4 + garbage.length).putInt(garbage.length).put(garbage).array());
                assertThat(raw.isClosedByBroker()).as("a garbage frame").isTrue();
            }
            for (String mechanism : List.of("PLAIN", "SCRAM-SHA-256")) {
                try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
                    handshake(raw, mechanism, Errors.NONE);
                    SaslAuthenticateResponseData failed = (SaslAuthenticateResponseData) raw.send(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                            new SaslAuthenticateRequestData().setAuthBytes(garbage));
                    assertThat(failed.errorCode()).as(mechanism).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
                    assertThat(raw.isClosedByBroker()).as("garbage %s token", mechanism).isTrue();
                }
            }
            try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
                handshake(raw, "PLAIN", Errors.NONE);
                raw.sendRaw(ByteBuffer.allocate(8).putInt(524_289).putInt(0).array());
                assertThat(raw.isClosedByBroker()).as("an oversized token").isTrue();
            }
            try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
                handshake(raw, "GSSAPI", Errors.UNSUPPORTED_SASL_MECHANISM);
                assertThat(raw.isClosedByBroker()).as("an unsupported mechanism").isTrue();
            }
            producer.send(new ProducerRecord<>("bad-input", "after")).get();
        }
    }

    private static void handshake(RawKafkaClient raw, String mechanism, Errors expected) throws IOException {
        SaslHandshakeResponseData response = (SaslHandshakeResponseData) raw.send(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism(mechanism));
        assertThat(response.errorCode()).isEqualTo(expected.code());
        assertThat(response.mechanisms()).containsExactly("PLAIN", "SCRAM-SHA-256");
    }

    @Test
    void aVersionZeroHandshakeCarriesBareTokens() throws Exception {
        try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SASL_PLAINTEXT"))) {
            SaslHandshakeResponseData response = (SaslHandshakeResponseData) raw.send(ApiKeys.SASL_HANDSHAKE, (short) 0,
                    new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertThat(response.errorCode()).isZero();
            byte[] token = "\0alice\0alice-secret".getBytes(StandardCharsets.UTF_8);
            raw.sendRaw(ByteBuffer.allocate(4 + token.length).putInt(token.length).put(token).array());
            assertThat(raw.receiveRawFrame()).as("PLAIN's empty final token").isEmpty();
            // Authenticated: a request only an authenticated client may send is served.
            org.apache.kafka.common.message.MetadataResponseData metadata = (org.apache.kafka.common.message.MetadataResponseData) raw.send(
                    ApiKeys.METADATA, (short) 12, new MetadataRequestData());
            assertThat(metadata.brokers()).hasSize(1);
        }
    }

    @Test
    void saslRequestsOnAListenerWithoutSaslAreAnsweredIllegalSaslState() throws Exception {
        try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("PLAINTEXT"))) {
            SaslHandshakeResponseData response = (SaslHandshakeResponseData) raw.send(ApiKeys.SASL_HANDSHAKE, (short) 1,
                    new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertThat(response.errorCode()).isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        }
    }

    @Test
    @Timeout(120)
    void reauthenticationKeepsAProducerWorkingAcrossSessionLifetimes() throws Exception {
        double before = authCount("SHORT", "PLAIN", true);
        Properties alice = client("SHORT", SecurityProtocol.SASL_PLAINTEXT, sasl("PLAIN", "alice", "alice-secret"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(alice)) {
            producer.send(new ProducerRecord<>("reauth", "first")).get();
            double sessions = authCount("SHORT", "PLAIN", true) - before;
            // Keep sending until the client has re-authenticated three times (sessions last 1.5 s; the class timeout bounds this).
            int sent = 0;
            while (authCount("SHORT", "PLAIN", true) - before < sessions + 3) {
                producer.send(new ProducerRecord<>("reauth", "r" + sent++)).get();
                Thread.sleep(100);
            }
        }
        assertThat(authCount("SHORT", "PLAIN", false)).isZero();
    }

    @Test
    void aConnectionThatNeverAuthenticatesIsClosedAfterItsCap() throws Exception {
        try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SHORT"))) {
            assertThat(raw.isClosedByBroker()).isTrue();
        }
    }

    @Test
    void aTlsHandshakeThatNeverStartsIsCut() throws Exception {
        try (RawKafkaClient raw = new RawKafkaClient("127.0.0.1", port("SSL"))) {
            assertThat(raw.isClosedByBroker()).isTrue();
        }
    }

    @Test
    void theBrokerRegistersEachListenerWithItsSecurityProtocol() {
        BrokerImage self = broker.broker().controller().image().brokers().get(1);
        Map<String, Short> protocols = new HashMap<>();
        for (BrokerImage.Endpoint e : self.endpoints()) protocols.put(e.listenerName(), e.securityProtocol());
        assertThat(protocols).containsEntry("PLAINTEXT", SecurityProtocol.PLAINTEXT.id).containsEntry("SSL", SecurityProtocol.SSL.id)
                .containsEntry("MTLS", SecurityProtocol.SSL.id).containsEntry("SASL_PLAINTEXT", SecurityProtocol.SASL_PLAINTEXT.id)
                .containsEntry("SASL_SSL", SecurityProtocol.SASL_SSL.id).containsEntry("SHORT", SecurityProtocol.SASL_PLAINTEXT.id);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        return java.util.Arrays.copyOf(buffer.array(), buffer.limit());
    }
}
