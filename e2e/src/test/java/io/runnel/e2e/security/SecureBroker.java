package io.runnel.e2e.security;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.E2eSettings.BrokerKind;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import io.runnel.e2e.support.RawKafkaConnection;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * A broker (Runnel, or Apache Kafka with {@code -Drunnel.e2e.broker=kafka}) with Kafka's secured
 * listeners, configured with Kafka's own setting names, and the client settings that reach them:
 *
 * <ul>
 *   <li>{@value #SASL_SSL}: SASL_SSL with SCRAM-SHA-512 and PLAIN, server certificate from
 *       {@link TestCa}; the SCRAM user {@value #USER} is created through the Admin API
 *       (AlterUserScramCredentials) before any test runs, and is also the listener's PLAIN user
 *       (same password). PLAIN is there for librdkafka 2.0.2 (Debian bookworm's kcat and
 *       confluent-kafka), whose SCRAM Kafka 4.x refuses (Runnel accepts it by default): see
 *       {@link SecureClientsIT}.</li>
 *   <li>{@value #MTLS}: SSL with {@code ssl.client.auth=required} and
 *       {@code ssl.principal.mapping.rules} {@value #MAPPING_RULES}, so the client certificate
 *       {@code CN=Billing-App,OU=Clients,O=Runnel Test} is {@code User:billing-app}.</li>
 *   <li>PLAINTEXT, as every e2e broker has: readiness, topic creation and the Admin call that sets
 *       the SCRAM credential use it (a real deployment would put it on a private network).</li>
 * </ul>
 *
 * <p>On Runnel the broker's security and connection classes log at DEBUG, so that the principal
 * each connection authenticated as shows in the broker log. Not thread-safe to build; once started,
 * any thread may read its settings.
 */
public final class SecureBroker implements AutoCloseable {
    public static final String SASL_SSL = "SASL_SSL";
    public static final String MTLS = "MTLS";
    public static final String USER = "alice";
    public static final String PASSWORD = "alice-secret";
    public static final String MAPPING_RULES = "RULE:^CN=([^,]+),.*$/$1/L,DEFAULT";
    /** The client certificate's subject and the principal the mapping rules make of it. */
    public static final String CLIENT_SUBJECT = "/O=Runnel Test/OU=Clients/CN=Billing-App";
    public static final String CLIENT_PRINCIPAL = "User:billing-app";

    private final BrokerProcess broker;
    private final TestCa ca;
    private final TestCa.Party client;

    private SecureBroker(BrokerProcess broker, TestCa ca, TestCa.Party client) {
        this.broker = broker;
        this.ca = ca;
        this.client = client;
    }

    /**
     * Makes a CA and certificates, starts the broker and creates the SCRAM user.
     *
     * @param extra more broker settings (Kafka's names), e.g. {@code connections.max.unauthenticated.ms}
     */
    public static SecureBroker start(String name, Map<String, String> extra) {
        BrokerProcess.Builder builder = BrokerProcess.builder(name).listener(SASL_SSL, "SASL_SSL").listener(MTLS, "SSL")
                .jvmArgs("-Xmx512m", "-Dquarkus.log.category.\"io.runnel.broker.security\".level=DEBUG",
                        "-Dquarkus.log.category.\"io.runnel.broker.network.KafkaConnection\".level=DEBUG");
        // The CA gets its own run directory: the broker's is made when it starts, and its settings must name the files first.
        TestCa ca = TestCa.create(E2eSettings.newDir(name + "-ca"), "Runnel Test CA");
        TestCa.Party brokerCert = ca.broker("broker");
        TestCa.Party client = ca.client("billing-app", CLIENT_SUBJECT);
        brokerSettings(ca, brokerCert).forEach(builder::config);
        extra.forEach(builder::config);
        SecureBroker secure = new SecureBroker(builder.start(), ca, client);
        secure.createScramUser(USER, PASSWORD);
        return secure;
    }

    /** The listener settings, identical for Runnel and Kafka except where noted. */
    private static Map<String, String> brokerSettings(TestCa ca, TestCa.Party brokerCert) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("ssl.keystore.location", brokerCert.keystore().toString());
        settings.put("ssl.keystore.type", "PKCS12");
        settings.put("ssl.keystore.password", TestCa.STORE_PASSWORD);
        settings.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        settings.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + USER + "=\"" + PASSWORD + "\";");
        settings.put("listener.name.mtls.ssl.truststore.location", ca.truststore().toString());
        settings.put("listener.name.mtls.ssl.truststore.type", "PKCS12");
        settings.put("listener.name.mtls.ssl.truststore.password", TestCa.STORE_PASSWORD);
        settings.put("listener.name.mtls.ssl.client.auth", "required");
        settings.put("listener.name.mtls.ssl.principal.mapping.rules", MAPPING_RULES);
        // Kafka wants a JAAS entry per SASL mechanism even when the credentials live in metadata; Runnel needs none.
        if (E2eSettings.brokerKind() == BrokerKind.KAFKA) {
            settings.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
        return settings;
    }

    /** Sets {@code user}'s SCRAM-SHA-512 credential with the Admin API, then waits until the broker describes it. */
    public void createScramUser(String user, String password) {
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password))).all()
                    .get(KafkaClients.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            // Kafka applies the change through its metadata log a moment after answering: a hang guard, not a speed check.
            Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
            while (true) {
                try {
                    admin.describeUserScramCredentials(List.of(user)).description(user).get(KafkaClients.PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    return;
                } catch (ExecutionException notYet) {
                    if (Instant.now().isAfter(deadline)) throw new AssertionError("the SCRAM credential of " + user + " never showed", notYet);
                    Thread.sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("setting the SCRAM credential of " + user + " on " + broker + " failed", e);
        }
    }

    public BrokerProcess broker() {
        return broker;
    }

    public TestCa ca() {
        return ca;
    }

    /** The mTLS client certificate ({@link #CLIENT_SUBJECT}). */
    public TestCa.Party client() {
        return client;
    }

    public String saslSslBootstrap() {
        return broker.bootstrap(SASL_SSL);
    }

    public String mtlsBootstrap() {
        return broker.bootstrap(MTLS);
    }

    /** A Java client's settings for the SASL_SSL listener as {@code user}, with SCRAM-SHA-512. */
    public Properties javaSaslSsl(String user, String password) {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, saslSslBootstrap());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        props.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512");
        props.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        putTruststore(props);
        return props;
    }

    /** A Java client's settings for the mTLS listener, presenting {@code certificate} (null: none). */
    public Properties javaMtls(TestCa.Party certificate) {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, mtlsBootstrap());
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        putTruststore(props);
        if (certificate != null) {
            props.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, certificate.keystore().toString());
            props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
            props.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, TestCa.STORE_PASSWORD);
        }
        return props;
    }

    private void putTruststore(Properties props) {
        props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca.truststore().toString());
        props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        props.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, TestCa.STORE_PASSWORD);
    }

    /**
     * What the client scripts under e2e/clients read (PEM paths and SASL credentials): with
     * {@code user} set they use SASL_SSL with {@code mechanism}, otherwise SSL with the given certificate.
     */
    public Map<String, String> scriptEnv(String mechanism, String user, String password, TestCa.Party certificate) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RUNNEL_E2E_CA_PEM", ca.caCert().toString());
        if (user != null) {
            env.put("RUNNEL_E2E_SASL_MECHANISM", mechanism);
            env.put("RUNNEL_E2E_SASL_USER", user);
            env.put("RUNNEL_E2E_SASL_PASSWORD", password);
        }
        if (certificate != null) {
            env.put("RUNNEL_E2E_CERT_PEM", certificate.certPem().toString());
            env.put("RUNNEL_E2E_KEY_PEM", certificate.keyPem().toString());
        }
        return env;
    }

    /** librdkafka's settings (kcat's {@code -X}) for SASL_SSL as {@code user} with {@code mechanism}. */
    public Map<String, String> librdkafkaSaslSsl(String mechanism, String user, String password) {
        return Map.of("security.protocol", "SASL_SSL", "sasl.mechanisms", mechanism, "sasl.username", user,
                "sasl.password", password, "ssl.ca.location", ca.caCert().toString());
    }

    /** librdkafka's settings for the mTLS listener with the client certificate. */
    public Map<String, String> librdkafkaMtls() {
        return Map.of("security.protocol", "SSL", "ssl.ca.location", ca.caCert().toString(),
                "ssl.certificate.location", client.certPem().toString(), "ssl.key.location", client.keyPem().toString());
    }

    /** A JDK TLS context that trusts the test CA and, when {@code certificate} is set, presents it: for raw sockets. */
    public SSLContext sslContext(TestCa.Party certificate) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(ca.truststore()));
        KeyManagerFactory keys = null;
        if (certificate != null) {
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(load(certificate.keystore()), TestCa.STORE_PASSWORD.toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    /** A raw Kafka connection over TLS to {@code bootstrap}, handshake done, presenting {@code certificate} if set. */
    public RawKafkaConnection rawTls(String bootstrap, TestCa.Party certificate) throws Exception {
        int colon = bootstrap.lastIndexOf(':');
        SSLSocket socket = (SSLSocket) sslContext(certificate).getSocketFactory()
                .createSocket(bootstrap.substring(0, colon), Integer.parseInt(bootstrap.substring(colon + 1)));
        socket.startHandshake();
        return RawKafkaConnection.over(socket);
    }

    private static KeyStore load(Path path) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, TestCa.STORE_PASSWORD.toCharArray());
        }
        return store;
    }

    /** Waits (hang guard {@code patience}) until the broker log written after {@code mark} contains {@code text}; returns that log. */
    public String awaitLog(long mark, String text, Duration patience) {
        Instant deadline = Instant.now().plus(patience);
        String log = broker.logSince(mark);
        while (!log.contains(text) && Instant.now().isBefore(deadline)) {
            Pause.sleep(100);
            log = broker.logSince(mark);
        }
        return log;
    }

    /** How many lines written after {@code mark} contain {@code text}, once at least {@code count} do or the hang guard {@code patience} ran out. */
    public long awaitLogLines(long mark, String text, long count, Duration patience) {
        Instant deadline = Instant.now().plus(patience);
        long lines = broker.logSince(mark).lines().filter(l -> l.contains(text)).count();
        while (lines < count && Instant.now().isBefore(deadline)) {
            Pause.sleep(100);
            lines = broker.logSince(mark).lines().filter(l -> l.contains(text)).count();
        }
        return lines;
    }

    @Override
    public void close() {
        broker.close();
    }
}
