package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * The two halves of SCRAM together, as a user meets them: a credential set with the Admin API
 * (AlterUserScramCredentials into the cluster metadata) is what a SASL listener then logs the
 * user in with; a wrong password, or a user whose credential was deleted, is refused.
 */
class ScramLoginTest {
    @TempDir
    static Path dataDir;
    static RunningBroker broker;

    @BeforeAll
    static void start() {
        broker = new RunningBroker(dataDir, Map.of(
                "listeners", "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "SCRAM-SHA-512"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static String saslBootstrap() {
        return "127.0.0.1:" + broker.broker().boundPorts().get(1);
    }

    static KafkaProducer<String, String> producer(String user, String password) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, saslBootstrap());
        p.put("security.protocol", "SASL_PLAINTEXT");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    @Test
    void aCredentialSetWithTheAdminApiLogsTheUserInAndOnlyWithItsPassword() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("scram-login", 1, (short) 1))).all().get();
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("alice",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "alice-secret"))).all().get();
            try (var alice = producer("alice", "alice-secret")) {
                assertThat(alice.send(new ProducerRecord<>("scram-login", "hello")).get().offset()).isZero();
            }
            try (var impostor = producer("alice", "wrong")) {
                assertThatThrownBy(() -> impostor.send(new ProducerRecord<>("scram-login", "x")).get())
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(SaslAuthenticationException.class);
            }
            admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialDeletion("alice",
                    ScramMechanism.SCRAM_SHA_512))).all().get();
            try (var deleted = producer("alice", "alice-secret")) {
                assertThatThrownBy(() -> deleted.send(new ProducerRecord<>("scram-login", "x")).get())
                        .as("a deleted credential logs no one in").hasCauseInstanceOf(SaslAuthenticationException.class);
            }
        }
    }
}
