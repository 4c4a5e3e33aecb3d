package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterClientQuotasOptions;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.message.AlterClientQuotasResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.cluster.RunningCluster;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Client quotas managed the way {@code kafka-configs --entity-type users|clients|ips} manages
 * them — the real Java Admin's alterClientQuotas / describeClientQuotas against real brokers:
 * every entity shape, every filter shape (exact, default, any; strict or not), removal,
 * validate_only, Kafka's INVALID_REQUEST cases, a restart, and forwarding in a three-node cluster.
 */
class ClientQuotasAdminTest {
    @TempDir
    Path dataDir;

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** An entity from alternating type, name pairs; a null name is the type's default. */
    static ClientQuotaEntity entity(String... typeAndName) {
        Map<String, String> entries = new HashMap<>();
        for (int i = 0; i < typeAndName.length; i += 2) entries.put(typeAndName[i], typeAndName[i + 1]);
        return new ClientQuotaEntity(entries);
    }

    static ClientQuotaAlteration set(ClientQuotaEntity entity, String key, Double value) {
        return new ClientQuotaAlteration(entity, List.of(new ClientQuotaAlteration.Op(key, value)));
    }

    /** What describe returns, as "entity → key → value", sorted for comparison. */
    static Map<String, Map<String, Double>> describe(Admin admin, ClientQuotaFilter filter) throws Exception {
        Map<String, Map<String, Double>> out = new TreeMap<>();
        admin.describeClientQuotas(filter).entities().get().forEach((e, q) -> out.put(name(e), new TreeMap<>(q)));
        return out;
    }

    static String name(ClientQuotaEntity e) {
        return new TreeMap<>(e.entries()).entrySet().stream().map(x -> x.getKey() + "=" + (x.getValue() == null ? "<default>" : x.getValue()))
                .reduce((a, b) -> a + "," + b).orElse("");
    }

    static Throwable alterFailure(Admin admin, ClientQuotaAlteration alteration) {
        return catchThrowable(() -> admin.alterClientQuotas(List.of(alteration)).all().get()).getCause();
    }

    @Test
    void quotasOfEveryEntityShapeAreDescribedWithKafkasFilterSemantics() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); Admin admin = admin(broker.bootstrapServers())) {
            admin.alterClientQuotas(List.of(
                    set(entity("user", "alice"), "producer_byte_rate", 1024.0),
                    set(entity("user", null), "consumer_byte_rate", 2048.0),
                    set(entity("user", "alice", "client-id", "app"), "request_percentage", 12.5),
                    set(entity("client-id", "app"), "producer_byte_rate", 4096.0),
                    set(entity("client-id", null), "controller_mutation_rate", 10.0),
                    set(entity("ip", "127.0.0.1"), "connection_creation_rate", 5.0))).all().get();

            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity("user", "alice")))))
                    .isEqualTo(Map.of("user=alice", Map.of("producer_byte_rate", 1024.0)));
            // Not strict: entities with other types besides a matching user are included.
            assertThat(describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntity("user", "alice")))).keySet())
                    .containsExactly("client-id=app,user=alice", "user=alice");
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofDefaultEntity("user")))))
                    .isEqualTo(Map.of("user=<default>", Map.of("consumer_byte_rate", 2048.0)));
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntityType("user")))).keySet())
                    .containsExactly("user=<default>", "user=alice");
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntityType("client-id")))).keySet())
                    .containsExactly("client-id=<default>", "client-id=app");
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity("user", "alice"),
                    ClientQuotaFilterComponent.ofEntity("client-id", "app")))))
                    .isEqualTo(Map.of("client-id=app,user=alice", Map.of("request_percentage", 12.5)));
            assertThat(describe(admin, ClientQuotaFilter.contains(List.of(ClientQuotaFilterComponent.ofEntityType("ip")))))
                    .isEqualTo(Map.of("ip=127.0.0.1", Map.of("connection_creation_rate", 5.0)));
            assertThat(describe(admin, ClientQuotaFilter.all())).hasSize(6);
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity("user", "bob"))))).isEmpty();

            // Removing the last key removes the entity; removing a key that is not there is fine and writes nothing.
            admin.alterClientQuotas(List.of(set(entity("user", "alice"), "producer_byte_rate", null),
                    set(entity("user", "carol"), "consumer_byte_rate", null))).all().get();
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntityType("user")))).keySet())
                    .containsExactly("user=<default>");

            // validate_only answers but writes nothing.
            admin.alterClientQuotas(List.of(set(entity("user", "dave"), "producer_byte_rate", 100.0)),
                    new AlterClientQuotasOptions().validateOnly(true)).all().get();
            assertThat(describe(admin, ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity("user", "dave"))))).isEmpty();
        }
    }

    @Test
    void invalidAlterationsAreRefusedWithKafkasInvalidRequest() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); Admin admin = admin(broker.bootstrapServers())) {
            assertThat(alterFailure(admin, set(entity("user", "alice"), "connection_creation_rate", 5.0)))
                    .isInstanceOf(InvalidRequestException.class).hasMessage("Invalid configuration key connection_creation_rate");
            assertThat(alterFailure(admin, set(entity("ip", "127.0.0.1"), "producer_byte_rate", 5.0)))
                    .isInstanceOf(InvalidRequestException.class).hasMessage("Invalid configuration key producer_byte_rate");
            assertThat(alterFailure(admin, set(entity("user", "alice"), "producer_byte_rate", 10.5)))
                    .isInstanceOf(InvalidRequestException.class).hasMessage("producer_byte_rate cannot be a fractional value.");
            assertThat(alterFailure(admin, set(entity("user", "alice"), "producer_byte_rate", -1.0)))
                    .isInstanceOf(InvalidRequestException.class).hasMessage("Quota producer_byte_rate must be greater than 0");
            assertThat(alterFailure(admin, set(entity("user", "alice", "ip", "127.0.0.1"), "producer_byte_rate", 5.0)))
                    .isInstanceOf(InvalidRequestException.class);
            assertThat(alterFailure(admin, set(entity("user", ""), "producer_byte_rate", 5.0)))
                    .isInstanceOf(InvalidRequestException.class).hasMessage("Empty user not supported");
            assertThat(alterFailure(admin, new ClientQuotaAlteration(entity("user", "alice"), List.of(
                    new ClientQuotaAlteration.Op("producer_byte_rate", 5.0), new ClientQuotaAlteration.Op("producer_byte_rate", 6.0)))))
                    .isInstanceOf(InvalidRequestException.class);
            // An entity type the Admin would send as is, but Kafka does not know.
            String[] hostPort = broker.bootstrapServers().split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                var request = new AlterClientQuotasRequestData();
                request.entries().add(new AlterClientQuotasRequestData.EntryData()
                        .setEntity(List.of(new AlterClientQuotasRequestData.EntityData().setEntityType("group").setEntityName("g")))
                        .setOps(List.of(new AlterClientQuotasRequestData.OpData().setKey("producer_byte_rate").setValue(1))));
                var response = (AlterClientQuotasResponseData) raw.send(ApiKeys.ALTER_CLIENT_QUOTAS, (short) 1, request);
                assertThat(response.entries()).singleElement().satisfies(e -> {
                    assertThat(Errors.forCode(e.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
                    assertThat(e.errorMessage()).isEqualTo("Unhandled client quota entity type: group");
                });
            }
            // Nothing of the refused alterations was written.
            assertThat(describe(admin, ClientQuotaFilter.all())).isEmpty();
        }
    }

    @Test
    void quotasSurviveARestart() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir)) {
            try (Admin admin = admin(broker.bootstrapServers())) {
                admin.alterClientQuotas(List.of(set(entity("user", "alice"), "producer_byte_rate", 1024.0),
                        set(entity("client-id", null), "consumer_byte_rate", 512.0))).all().get();
            }
            broker.restart();
            try (Admin admin = admin(broker.bootstrapServers())) {
                assertThat(describe(admin, ClientQuotaFilter.all())).isEqualTo(Map.of(
                        "user=alice", Map.of("producer_byte_rate", 1024.0),
                        "client-id=<default>", Map.of("consumer_byte_rate", 512.0)));
            }
        }
    }

    @Test
    void anAlterationSentToANonControllerIsForwardedAndEveryBrokerDescribesIt() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataDir, 3, Map.of());
             Admin any = admin(cluster.bootstrapServers())) {
            int active = any.describeCluster().controller().get().id();
            int follower = cluster.runningIds().stream().filter(id -> id != active).findFirst().orElseThrow();
            try (Admin viaFollower = admin(cluster.bootstrapServers(follower))) {
                viaFollower.alterClientQuotas(List.of(set(entity("user", "alice"), "producer_byte_rate", 1024.0))).all().get();
            }
            for (int id : cluster.runningIds()) {
                try (Admin one = admin(cluster.bootstrapServers(id))) {
                    // Each broker answers from its own image, which may trail the controller's for a moment.
                    Map<String, Map<String, Double>> described = Map.of();
                    for (long deadline = System.nanoTime() + 15_000_000_000L; System.nanoTime() < deadline; Thread.sleep(50)) {
                        described = describe(one, ClientQuotaFilter.all());
                        if (!described.isEmpty()) break;
                    }
                    assertThat(described).as("broker %d", id).isEqualTo(Map.of("user=alice", Map.of("producer_byte_rate", 1024.0)));
                }
            }
        }
    }
}
