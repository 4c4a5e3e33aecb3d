package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Kafka's connection limits on real listeners, with raw sockets: the connection over
 * {@code max.connections.per.ip} (or its override for an address) or over a listener's
 * {@code max.connections} is closed at once while the admitted ones keep being served, and a
 * closed connection frees its place; Runnel's {@code max.unauthenticated.connections} caps
 * connections still authenticating on a SASL listener without touching authenticated clients;
 * and a failed authentication's answer waits {@code connection.failed.authentication.delay.ms}.
 */
class ConnectionLimitsTest {
    static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";";

    @TempDir
    Path dataDir;

    static RawKafkaClient connect(int port) throws IOException {
        return new RawKafkaClient("127.0.0.1", port);
    }

    /** True if the connection is served (ApiVersions answered). Never call on a refused one: it would wait for the socket timeout. */
    static boolean served(RawKafkaClient raw) throws IOException {
        ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.send(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
        return versions.errorCode() == 0;
    }

    static double refused(RunningBroker broker, String listener, String reason) {
        var counter = broker.registry().find("runnel.connections.refused").tag("listener", listener).tag("reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Opens connections until one is refused or {@code max} are open; the open ones stay in {@code open}. */
    static void fill(int port, int count, List<RawKafkaClient> open) throws IOException {
        for (int i = 0; i < count; i++) {
            RawKafkaClient raw = connect(port);
            open.add(raw);
            assertThat(served(raw)).as("connection %d", i + 1).isTrue();
        }
    }

    static void closeAll(List<RawKafkaClient> open) throws IOException {
        for (RawKafkaClient raw : open) raw.close();
    }

    @Test
    void theConnectionOverThePerAddressLimitIsClosedAndTheOthersKeepWorking() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("max.connections.per.ip", "3"))) {
            int port = broker.broker().boundPorts().get(0);
            List<RawKafkaClient> open = new ArrayList<>();
            try {
                fill(port, 3, open);
                try (RawKafkaClient fourth = connect(port)) {
                    assertThat(fourth.isClosedByBroker()).isTrue();
                }
                for (RawKafkaClient raw : open) assertThat(served(raw)).isTrue();
                assertThat(refused(broker, "PLAINTEXT", "per_ip")).isEqualTo(1);

                // A closed connection frees its place (once the broker has seen the close).
                open.remove(0).close();
                boolean admitted = false;
                for (long deadline = System.nanoTime() + 10_000_000_000L; !admitted && System.nanoTime() < deadline; ) {
                    RawKafkaClient again = connect(port);
                    try {
                        admitted = served(again);
                        open.add(again);
                    } catch (IOException closed) {
                        again.close();
                        Thread.sleep(50);
                    }
                }
                assertThat(admitted).isTrue();
            } finally {
                closeAll(open);
            }
        }
    }

    @Test
    void anAddressWithAnOverrideGetsItsOwnLimit() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("max.connections.per.ip", "1",
                "max.connections.per.ip.overrides", "localhost:5,127.0.0.1:2"))) {
            int port = broker.broker().boundPorts().get(0);
            List<RawKafkaClient> open = new ArrayList<>();
            try {
                fill(port, 2, open);
                try (RawKafkaClient third = connect(port)) {
                    assertThat(third.isClosedByBroker()).isTrue();
                }
                for (RawKafkaClient raw : open) assertThat(served(raw)).isTrue();
            } finally {
                closeAll(open);
            }
        }
    }

    @Test
    void aListenersMaxConnectionsRefusesOnlyOnThatListener() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("listeners", "PLAINTEXT://127.0.0.1:0,LIMITED://127.0.0.1:0",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,LIMITED:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "listener.name.limited.max.connections", "2"))) {
            int plain = broker.broker().boundPorts().get(0);
            int limited = broker.broker().boundPorts().get(1);
            List<RawKafkaClient> open = new ArrayList<>();
            try {
                fill(limited, 2, open);
                try (RawKafkaClient third = connect(limited)) {
                    assertThat(third.isClosedByBroker()).isTrue();
                }
                fill(plain, 3, open);
                assertThat(refused(broker, "LIMITED", "listener")).isEqualTo(1);
            } finally {
                closeAll(open);
            }
        }
    }

    @Test
    void unauthenticatedConnectionsAreCappedWhileAuthenticatedClientsKeepWorking() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put("listeners", "SASL_PLAINTEXT://127.0.0.1:0");
        config.put("sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_JAAS);
        config.put("max.unauthenticated.connections", "2");
        try (RunningBroker broker = new RunningBroker(dataDir, config)) {
            int port = broker.broker().boundPorts().get(0);
            List<RawKafkaClient> idle = new ArrayList<>();
            fill(port, 2, idle); // ApiVersions only: still unauthenticated
            try (RawKafkaClient third = connect(port)) {
                assertThat(third.isClosedByBroker()).isTrue();
            }
            closeAll(idle);
            idle.clear();

            Properties alice = new Properties();
            alice.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            alice.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
            alice.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
            alice.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"alice\" password=\"alice-secret\";");
            try (Admin admin = Admin.create(alice)) {
                admin.describeCluster().nodes().get();
                // Alice's connections authenticated, so they no longer count: two idle ones fit again, a third does not.
                fill(port, 2, idle);
                try (RawKafkaClient third = connect(port)) {
                    assertThat(third.isClosedByBroker()).isTrue();
                }
                admin.describeCluster().nodes().get();
            } finally {
                closeAll(idle);
            }
            assertThat(refused(broker, "SASL_PLAINTEXT", "unauthenticated")).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void newConnectionsFromAnAddressOverItsConnectionCreationRateAreRefused() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("quota.window.num", "3", "quota.window.size.seconds", "1"));
             Admin admin = ClientQuotasAdminTest.admin(broker.bootstrapServers())) {
            admin.alterClientQuotas(List.of(ClientQuotasAdminTest.set(ClientQuotasAdminTest.entity("ip", "127.0.0.1"),
                    "connection_creation_rate", 2.0))).all().get();
            int port = broker.broker().boundPorts().get(0);
            int admitted = 0;
            int refusedCount = 0;
            // 2 per second measured over at least 2 s of windows: a burst of 20 cannot all be admitted.
            for (int i = 0; i < 20; i++) {
                try (RawKafkaClient raw = connect(port)) {
                    if (served(raw)) admitted++;
                } catch (IOException closedByBroker) {
                    refusedCount++;
                }
            }
            assertThat(admitted).isPositive();
            assertThat(refusedCount).isPositive();
            assertThat(refused(broker, "PLAINTEXT", "creation_rate")).isEqualTo(refusedCount);
        }
    }

    @Test
    void aFailedAuthenticationIsAnsweredOnlyAfterTheDelay() throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put("listeners", "SASL_PLAINTEXT://127.0.0.1:0");
        config.put("sasl.enabled.mechanisms", "PLAIN");
        config.put("listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_JAAS);
        config.put("connection.failed.authentication.delay.ms", "1000");
        try (RunningBroker broker = new RunningBroker(dataDir, config);
             RawKafkaClient raw = connect(broker.broker().boundPorts().get(0))) {
            raw.send(ApiKeys.SASL_HANDSHAKE, (short) 1, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            long start = System.nanoTime();
            SaslAuthenticateResponseData failed = (SaslAuthenticateResponseData) raw.send(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                    new SaslAuthenticateRequestData().setAuthBytes("\0alice\0wrong".getBytes(StandardCharsets.UTF_8)));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(failed.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
            // A lower bound the broker guarantees; a slow machine only makes it longer.
            assertThat(waitedMs).isGreaterThanOrEqualTo(1000);
            assertThat(raw.isClosedByBroker()).isTrue();
        }
    }
}
