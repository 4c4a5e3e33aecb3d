package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.awaitTrue;
import static io.runnel.broker.cluster.ClusterClients.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.Counter;
import io.runnel.broker.security.NodeCertificates;

/**
 * Three nodes whose every listener is protected, so that quorum, registration, replication and
 * transaction markers all go over TLS and SASL (or mTLS) with kafka-clients' own channels: topics
 * replicate with acks=all, leadership moves when a broker stops, transactions commit across
 * brokers; and a broker whose inter-broker credentials are refused stays out of every ISR, with a
 * log line that says why.
 */
class SecureInterBrokerClusterTest {
    static final String PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule required ";
    static final String SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule required ";

    @TempDir
    Path dataRoot;

    /**
     * Every listener SASL_SSL: PLAIN on the controller listener (SCRAM cannot work there before
     * the metadata exists), SCRAM-SHA-512 between brokers once the admin created the brokers' user,
     * PLAIN for the test's own clients.
     */
    static Map<String, String> saslSslEverywhere(NodeCertificates certificates, String brokerPassword) {
        Map<String, String> m = new HashMap<>(certificates.brokerSettings());
        m.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL");
        m.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        m.put("listener.name.controller.plain.sasl.jaas.config", PLAIN + "username=\"controller\" password=\"controller-secret\" "
                + "user_controller=\"controller-secret\";");
        m.put("sasl.mechanism.controller.protocol", "PLAIN");
        m.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
        m.put("listener.name.sasl_ssl.plain.sasl.jaas.config", PLAIN + "user_admin=\"admin-secret\";");
        m.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", SCRAM + "username=\"broker\" password=\"" + brokerPassword + "\";");
        m.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        return m;
    }

    /**
     * SASL_PLAINTEXT everywhere: PLAIN for the controllers, SCRAM-SHA-512 only on the client and
     * inter-broker listener, the brokers' user and {@code users} bootstrapped.
     */
    static Map<String, String> scramOnlyWithBootstrappedCredentials(String users) {
        return new HashMap<>(Map.of(
                "listener.security.protocol.map", "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
                "listener.name.controller.sasl.enabled.mechanisms", "PLAIN",
                "listener.name.controller.plain.sasl.jaas.config", PLAIN + "username=\"controller\" password=\"controller-secret\" "
                        + "user_controller=\"controller-secret\";",
                "sasl.mechanism.controller.protocol", "PLAIN",
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "SCRAM-SHA-512",
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config", SCRAM + "username=\"broker\" password=\"broker-secret\";",
                "sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512",
                "scram.bootstrap.credentials", "SCRAM-SHA-512=[name=broker,password=broker-secret];" + users));
    }

    static Map<String, Object> adminClient(NodeCertificates certificates) {
        Map<String, Object> m = new HashMap<>(certificates.clientSettings(false));
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "PLAIN");
        m.put("sasl.jaas.config", PLAIN + "username=\"admin\" password=\"admin-secret\";");
        return m;
    }

    static KafkaProducer<String, String> producer(String bootstrap, Map<String, Object> security, String transactionalId) {
        Map<String, Object> p = new HashMap<>(security);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        if (transactionalId != null) p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    static double authentications(RunningCluster cluster, String outcome, String listener, String mechanism) {
        return cluster.runningIds().stream().mapToDouble(id -> {
            Counter c = cluster.registry(id).find("runnel.authentication." + outcome).tags("listener", listener, "mechanism", mechanism).counter();
            return c == null ? 0 : c.count();
        }).sum();
    }

    static Map<Integer, TopicPartitionInfo> partitions(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
        Map<Integer, TopicPartitionInfo> byId = new HashMap<>();
        for (TopicPartitionInfo p : d.partitions()) byId.put(p.partition(), p);
        return byId;
    }

    @Test
    void saslSslBetweenAllNodesReplicatesFailsOverAndCommitsTransactions() throws Exception {
        NodeCertificates certificates = NodeCertificates.create(Files.createDirectories(dataRoot.resolve("tls")), "CN=node,O=Runnel Test");
        Map<String, Object> client = adminClient(certificates);
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, "SASL_SSL", saslSslEverywhere(certificates, "broker-secret"), Map.of());
             Admin admin = admin(cluster.bootstrapServers(), client)) {
            // The quorum formed and every broker registered: the controller listener's PLAIN worked.
            assertThat(authentications(cluster, "successes", "CONTROLLER", "PLAIN")).isPositive();
            // The brokers' own SCRAM user, as an operator creates it before replication starts.
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("broker",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "broker-secret"))).all().get();
            awaitTrue("every broker knows the broker user", () -> cluster.runningIds().stream().allMatch(id -> cluster.node(id).scramCredentials()
                    .lookup("broker", org.apache.kafka.common.security.scram.internals.ScramMechanism.SCRAM_SHA_512).isPresent()));

            admin.createTopics(List.of(new NewTopic("orders", 3, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            List<String> committed = new ArrayList<>();
            try (var producer = producer(cluster.bootstrapServers(), client, null)) {
                for (int i = 0; i < 30; i++) {
                    producer.send(new ProducerRecord<>("orders", i % 3, "k", "before-" + i)).get();
                    committed.add("before-" + i);
                }
            }
            awaitTrue("every replica caught up over SCRAM (full ISRs)", () -> {
                try {
                    return partitions(admin, "orders").values().stream().allMatch(p -> p.isr().size() == 3);
                } catch (Exception e) {
                    return false;
                }
            });
            assertThat(authentications(cluster, "successes", "SASL_SSL", "SCRAM-SHA-512")).as("followers authenticated with SCRAM").isPositive();

            try (var producer = producer(cluster.bootstrapServers(), client, "orders-writer")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int p = 0; p < 3; p++) producer.send(new ProducerRecord<>("orders", p, "k", "txn1-p" + p));
                producer.commitTransaction(); // markers go to the other partitions' leaders over the inter-broker listener
                for (int p = 0; p < 3; p++) committed.add("txn1-p" + p);

                int stopped = partitions(admin, "orders").get(0).leader().id();
                cluster.stop(stopped);
                awaitTrue("partition 0 has a new leader", () -> {
                    try {
                        var leader = partitions(admin, "orders").get(0).leader();
                        return leader != null && leader.id() != stopped;
                    } catch (Exception e) {
                        return false;
                    }
                });
                producer.beginTransaction();
                for (int p = 0; p < 3; p++) producer.send(new ProducerRecord<>("orders", p, "k", "txn2-p" + p));
                producer.commitTransaction();
                for (int p = 0; p < 3; p++) committed.add("txn2-p" + p);
            }
            String running = String.join(",", cluster.runningIds().stream().map(cluster::bootstrapServers).toList());
            try (var producer = producer(running, client, null)) {
                for (int i = 0; i < 30; i++) {
                    producer.send(new ProducerRecord<>("orders", i % 3, "k", "after-" + i)).get(); // acks=all with two in-sync replicas
                    committed.add("after-" + i);
                }
            }
            assertThat(readAll(running, "orders", committed.size(), "read_committed", client)).containsExactlyInAnyOrderElementsOf(committed);
        }
    }

    @Test
    void scramBetweenBrokersWorksFromTheFirstStartWithBootstrappedCredentials() throws Exception {
        // SCRAM only: without bootstrapped credentials nobody, broker or admin, could ever log in here.
        Map<String, String> settings = scramOnlyWithBootstrappedCredentials("SCRAM-SHA-512=[name=admin,password=admin-secret]");
        Map<String, Object> client = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", SCRAM + "username=\"admin\" password=\"admin-secret\";");
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, "SASL_PLAINTEXT", settings, Map.of());
             Admin admin = admin(cluster.bootstrapServers(), client)) {
            admin.createTopics(List.of(new NewTopic("events", 3, (short) 3).configs(Map.of("min.insync.replicas", "3")))).all().get();
            List<String> written = new ArrayList<>();
            try (var producer = producer(cluster.bootstrapServers(), client, null)) {
                for (int i = 0; i < 9; i++) {
                    producer.send(new ProducerRecord<>("events", i % 3, "k", "e" + i)).get(); // acks=all with min.insync.replicas=3: every follower fetched
                    written.add("e" + i);
                }
            }
            assertThat(partitions(admin, "events").values()).allSatisfy(p -> assertThat(p.isr()).hasSize(3));
            assertThat(authentications(cluster, "successes", "SASL_PLAINTEXT", "SCRAM-SHA-512")).isPositive();
            assertThat(readAll(cluster.bootstrapServers(), "events", written.size(), "read_uncommitted", client)).containsExactlyInAnyOrderElementsOf(written);
        }
    }

    /**
     * With ACLs on, node-to-node APIs (registration, heartbeats, replica fetches, forwarded writes)
     * need CLUSTER_ACTION: the nodes' own SASL users as super users are enough, and a client is held
     * to its ACLs on every broker.
     */
    @Test
    void withAnAuthorizerTheNodesAsSuperUsersReplicateAndClientsAreHeldToTheirAcls() throws Exception {
        Map<String, String> settings = scramOnlyWithBootstrappedCredentials(
                "SCRAM-SHA-512=[name=admin,password=admin-secret];SCRAM-SHA-512=[name=alice,password=alice-secret]");
        settings.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        settings.put("super.users", "User:controller;User:broker;User:admin");
        Map<String, Object> adminClient = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", SCRAM + "username=\"admin\" password=\"admin-secret\";");
        Map<String, Object> alice = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", SCRAM + "username=\"alice\" password=\"alice-secret\";");
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, "SASL_PLAINTEXT", settings, Map.of());
             Admin admin = admin(cluster.bootstrapServers(), adminClient)) {
            admin.createTopics(List.of(new NewTopic("orders", 3, (short) 3).configs(Map.of("min.insync.replicas", "3")),
                    new NewTopic("payments", 1, (short) 3))).all().get(); // forwarded to the controller as User:admin
            admin.createAcls(List.of(new org.apache.kafka.common.acl.AclBinding(
                    new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC, "orders",
                            org.apache.kafka.common.resource.PatternType.LITERAL),
                    new org.apache.kafka.common.acl.AccessControlEntry("User:alice", "*", org.apache.kafka.common.acl.AclOperation.WRITE,
                            org.apache.kafka.common.acl.AclPermissionType.ALLOW)))).all().get();
            List<String> written = new ArrayList<>();
            try (var producer = producer(cluster.bootstrapServers(), alice, null)) {
                for (int i = 0; i < 9; i++) {
                    // acks=all with min.insync.replicas=3: every follower fetched, as User:broker, through the authorizer
                    producer.send(new ProducerRecord<>("orders", i % 3, "k", "o" + i)).get();
                    written.add("o" + i);
                }
                var refused = org.assertj.core.api.Assertions.catchThrowable(() -> producer.send(new ProducerRecord<>("payments", "k", "p")).get());
                assertThat(refused).hasCauseInstanceOf(org.apache.kafka.common.errors.TopicAuthorizationException.class);
            }
            assertThat(partitions(admin, "orders").values()).allSatisfy(p -> assertThat(p.isr()).hasSize(3));
            assertThat(readAll(cluster.bootstrapServers(), "orders", written.size(), "read_uncommitted", adminClient))
                    .containsExactlyInAnyOrderElementsOf(written);
        }
    }

    @Test
    void mtlsBetweenAllNodesReplicatesFailsOverAndCommitsTransactions() throws Exception {
        NodeCertificates certificates = NodeCertificates.create(Files.createDirectories(dataRoot.resolve("tls")), "CN=node,O=Runnel Test");
        Map<String, String> settings = new HashMap<>(certificates.brokerSettings());
        settings.put("listener.security.protocol.map", "INTERNAL:SSL,CONTROLLER:SSL");
        settings.put("ssl.client.auth", "required");
        Map<String, Object> client = new HashMap<>(certificates.clientSettings(true));
        client.put("security.protocol", "SSL");
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, "INTERNAL", settings, Map.of());
             Admin admin = admin(cluster.bootstrapServers(), client)) {
            admin.createTopics(List.of(new NewTopic("payments", 3, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            List<String> committed = new ArrayList<>();
            try (var producer = producer(cluster.bootstrapServers(), client, "payments-writer")) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int p = 0; p < 3; p++) producer.send(new ProducerRecord<>("payments", p, "k", "txn1-p" + p));
                producer.commitTransaction();
                for (int p = 0; p < 3; p++) committed.add("txn1-p" + p);
                awaitTrue("every replica caught up over mTLS (full ISRs)", () -> {
                    try {
                        return partitions(admin, "payments").values().stream().allMatch(p -> p.isr().size() == 3);
                    } catch (Exception e) {
                        return false;
                    }
                });

                int stopped = partitions(admin, "payments").get(1).leader().id();
                cluster.stop(stopped);
                awaitTrue("partition 1 has a new leader", () -> {
                    try {
                        var leader = partitions(admin, "payments").get(1).leader();
                        return leader != null && leader.id() != stopped;
                    } catch (Exception e) {
                        return false;
                    }
                });
                producer.beginTransaction();
                for (int p = 0; p < 3; p++) producer.send(new ProducerRecord<>("payments", p, "k", "txn2-p" + p));
                producer.commitTransaction();
                for (int p = 0; p < 3; p++) committed.add("txn2-p" + p);
            }
            String running = String.join(",", cluster.runningIds().stream().map(cluster::bootstrapServers).toList());
            assertThat(readAll(running, "payments", committed.size(), "read_committed", client)).containsExactlyInAnyOrderElementsOf(committed);
        }
    }

    @Test
    void aBrokerWithWrongInterBrokerCredentialsStaysOutOfEveryIsrAndLogsWhy() throws Exception {
        NodeCertificates certificates = NodeCertificates.create(Files.createDirectories(dataRoot.resolve("tls")), "CN=node,O=Runnel Test");
        Map<String, Object> client = adminClient(certificates);
        Map<String, String> settings = saslSslEverywhere(certificates, "broker-secret");
        settings.put("replica.lag.time.max.ms", "2000"); // so that the leaders drop the silent follower soon
        Map<String, String> wrong = Map.of("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                SCRAM + "username=\"broker\" password=\"not-the-password\";");
        List<String> fetcherErrors = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                String message = record.getMessage();
                if (record.getParameters() != null && message != null && message.contains("%")) message = String.format(message, record.getParameters());
                if (message != null && message.contains("cannot authenticate")) fetcherErrors.add(message);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger fetcherLogger = Logger.getLogger("io.runnel.broker.replication.ReplicaFetcher");
        fetcherLogger.addHandler(capture);
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, "SASL_SSL", settings, Map.of(3, wrong));
             Admin admin = admin(cluster.bootstrapServers(1) + "," + cluster.bootstrapServers(2), client)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion("broker",
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), "broker-secret"))).all().get();
            // Node 3 joined the quorum and registered (its controller credentials are right) ...
            assertThat(admin.describeCluster().nodes().get()).extracting(n -> n.id()).contains(3);
            // ... but led by nodes 1 and 2, it cannot fetch.
            admin.createTopics(List.of(new NewTopic("audit", Map.of(0, List.of(1, 2, 3), 1, List.of(2, 1, 3)))
                    .configs(Map.of("min.insync.replicas", "2")))).all().get();
            try (var producer = producer(cluster.bootstrapServers(1) + "," + cluster.bootstrapServers(2), client, null)) {
                producer.send(new ProducerRecord<>("audit", 0, "k", "v0")).get();
                producer.send(new ProducerRecord<>("audit", 1, "k", "v1")).get();
            }
            awaitTrue("node 3 is out of every ISR", () -> {
                try {
                    return partitions(admin, "audit").values().stream().allMatch(p -> p.isr().stream().noneMatch(n -> n.id() == 3));
                } catch (Exception e) {
                    return false;
                }
            });
            awaitTrue("node 3 logged why it cannot fetch", () -> !fetcherErrors.isEmpty());
            assertThat(fetcherErrors.get(0)).contains("cannot authenticate to leader broker").contains("inter-broker");
            assertThat(authentications(cluster, "failures", "SASL_SSL", "SCRAM-SHA-512")).as("the leaders refused node 3").isPositive();
        } finally {
            fetcherLogger.removeHandler(capture);
        }
    }
}
