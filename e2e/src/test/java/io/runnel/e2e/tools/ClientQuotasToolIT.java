package io.runnel.e2e.tools;

import static io.runnel.e2e.support.ExternalCommand.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Client quotas managed with Kafka's own {@code kafka-configs} (kafka.admin.ConfigCommand, run as
 * a separate {@code java} process): quotas for a user, a client-id, a user and client-id, the
 * default user and an IP are set, described (a user's describe also lists its SCRAM credentials,
 * as in Kafka 4) and deleted; bad keys and values get Kafka's refusals. Passes against Apache
 * Kafka 4.4 too ({@code -Drunnel.e2e.broker=kafka}).
 */
class ClientQuotasToolIT {
    private static final String CONFIGS = "kafka.admin.ConfigCommand";
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("quota-tools").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void kafkaConfigsSetsDescribesAndDeletesUserClientAndCombinedQuotas() throws Exception {
        String user = "quota-" + broker.topic("user");
        String client = "quota-" + broker.topic("client");
        ok(configs("--entity-type", "users", "--entity-name", user, "--alter", "--add-config", "producer_byte_rate=1024,consumer_byte_rate=2048"));
        ok(configs("--entity-type", "clients", "--entity-name", client, "--alter", "--add-config", "request_percentage=50"));
        ok(configs("--entity-type", "users", "--entity-name", user, "--entity-type", "clients", "--entity-name", client,
                "--alter", "--add-config", "producer_byte_rate=512"));

        String userQuotas = awaitOutput(() -> ok(configs("--entity-type", "users", "--entity-name", user, "--describe")), "producer_byte_rate");
        assertThat(userQuotas).contains("Quota configs for user-principal '" + user + "' are")
                .contains("producer_byte_rate=1024.0").contains("consumer_byte_rate=2048.0");
        assertThat(ok(configs("--entity-type", "clients", "--entity-name", client, "--describe")))
                .contains("Quota configs for client-id '" + client + "' are request_percentage=50.0");
        assertThat(ok(configs("--entity-type", "users", "--entity-name", user, "--entity-type", "clients", "--entity-name", client, "--describe")))
                .contains("producer_byte_rate=512.0");

        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            Map<ClientQuotaEntity, Map<String, Double>> described = admin.describeClientQuotas(ClientQuotaFilter.containsOnly(
                    List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, user)))).entities().get();
            assertThat(described).containsExactly(Map.entry(new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user)),
                    Map.of("producer_byte_rate", 1024.0, "consumer_byte_rate", 2048.0)));
        }

        ok(configs("--entity-type", "users", "--entity-name", user, "--alter", "--delete-config", "producer_byte_rate"));
        String after = awaitOutput(() -> ok(configs("--entity-type", "users", "--entity-name", user, "--describe")), "consumer_byte_rate=2048.0");
        assertThat(after).doesNotContain("producer_byte_rate");
    }

    @Test
    void describingAllUsersListsQuotasTheDefaultUserAndScramCredentials() throws Exception {
        String user = "quota-" + broker.topic("scram");
        ok(configs("--entity-type", "users", "--entity-name", user, "--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=s3cret]"));
        ok(configs("--entity-type", "users", "--entity-name", user, "--alter", "--add-config", "producer_byte_rate=4096"));
        ok(configs("--entity-type", "users", "--entity-default", "--alter", "--add-config", "consumer_byte_rate=100000"));
        try {
            String all = awaitOutput(() -> ok(configs("--entity-type", "users", "--describe")), "the default user-principal");
            assertThat(all).contains("Quota configs for user-principal '" + user + "' are producer_byte_rate=4096.0")
                    .contains("Quota configs for the default user-principal are consumer_byte_rate=100000.0")
                    .contains("SCRAM credential configs for user-principal '" + user + "' are SCRAM-SHA-512=iterations=8192");
        } finally {
            ok(configs("--entity-type", "users", "--entity-default", "--alter", "--delete-config", "consumer_byte_rate"));
        }
    }

    @Test
    void anIpQuotaIsSetAndDescribed() throws Exception {
        ok(configs("--entity-type", "ips", "--entity-name", "10.20.30.40", "--alter", "--add-config", "connection_creation_rate=10"));
        assertThat(awaitOutput(() -> ok(configs("--entity-type", "ips", "--entity-name", "10.20.30.40", "--describe")), "connection_creation_rate"))
                .contains("Quota configs for ip '10.20.30.40' are connection_creation_rate=10.0");
        ok(configs("--entity-type", "ips", "--entity-name", "10.20.30.40", "--alter", "--delete-config", "connection_creation_rate"));
    }

    @Test
    void badQuotaKeysAndValuesAreRefused() {
        String user = "quota-" + broker.topic("bad");
        ExternalCommand.Result wrongKey = configs("--entity-type", "users", "--entity-name", user, "--alter", "--add-config",
                "connection_creation_rate=10");
        assertThat(wrongKey.succeeded()).as(wrongKey.describe()).isFalse();
        ExternalCommand.Result fractional = configs("--entity-type", "users", "--entity-name", user, "--alter", "--add-config",
                "producer_byte_rate=10.5");
        assertThat(fractional.succeeded()).as(fractional.describe()).isFalse();
        assertThat(ok(configs("--entity-type", "users", "--entity-name", user, "--describe"))).doesNotContain("Quota configs");
    }

    /** Describe may trail the alteration for a moment (Kafka's brokers apply the metadata log asynchronously). */
    private static String awaitOutput(Supplier<String> describe, String expected) throws InterruptedException {
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        String out = describe.get();
        while (!out.contains(expected) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            out = describe.get();
        }
        return out;
    }

    private static ExternalCommand.Result configs(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--bootstrap-server", broker.bootstrap()));
        all.addAll(List.of(args));
        return ExternalCommand.kafkaTool(CONFIGS, all.toArray(String[]::new)).dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
    }

}
