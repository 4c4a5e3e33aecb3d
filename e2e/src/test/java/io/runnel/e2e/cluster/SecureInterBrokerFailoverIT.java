package io.runnel.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import io.runnel.e2e.support.RunnelCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Three Runnel processes whose node-to-node traffic is all SASL_SSL (PLAIN): the metadata quorum
 * and broker registration on the CONTROLLER listener, replication and transaction markers on an
 * INTERNAL listener; the test's clients use a PLAINTEXT client listener. A broker leading a
 * partition is killed with SIGKILL while an idempotent acks=all producer writes: every
 * acknowledged record is read back from the survivors at its acknowledged partition and offset,
 * and the killed broker, restarted, catches up over SASL_SSL until every ISR is full again.
 * Runnel only ({@link RunnelCluster}).
 */
class SecureInterBrokerFailoverIT {
    private static final String TOPIC = "secure-orders";
    private static final String PASSWORD = "e2e-secret";
    private static final Duration GUARD = Duration.ofMinutes(2);

    private record Acked(int partition, long offset, String value) {}

    @Test
    void saslSslBetweenNodesSurvivesKillOfALeaderWithNoAcknowledgedRecordLost() throws Exception {
        Path tls = E2eSettings.newDir("secure-inter-broker-tls");
        Path keystore = tls.resolve("node.p12");
        Path truststore = tls.resolve("truststore.p12");
        nodeCertificate(keystore, truststore, tls.resolve("node.crt"));
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"node\" password=\"node-secret\" "
                + "user_node=\"node-secret\";";
        try (RunnelCluster cluster = RunnelCluster.builder("secure-inter-broker")
                .interBrokerListener("INTERNAL")
                .config("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL,CONTROLLER:SASL_SSL")
                .config("ssl.keystore.location", keystore.toString())
                .config("ssl.keystore.password", PASSWORD)
                .config("ssl.keystore.type", "PKCS12")
                .config("ssl.truststore.location", truststore.toString())
                .config("ssl.truststore.password", PASSWORD)
                .config("ssl.truststore.type", "PKCS12")
                .config("sasl.enabled.mechanisms", "PLAIN")
                .config("plain.sasl.jaas.config", jaas)
                .config("sasl.mechanism.inter.broker.protocol", "PLAIN")
                .config("sasl.mechanism.controller.protocol", "PLAIN")
                .config("broker.session.timeout.ms", "3000")
                .config("broker.heartbeat.interval.ms", "500")
                .config("replica.lag.time.max.ms", "5000")
                .start();
             Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3).configs(Map.of("min.insync.replicas", "2"))))
                    .all().get(GUARD.toSeconds(), TimeUnit.SECONDS);
            await("every replica in sync over SASL_SSL", () -> fullIsrs(admin));

            ConcurrentLinkedQueue<Acked> acked = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Exception> failed = new ConcurrentLinkedQueue<>();
            int killed;
            try (KafkaProducer<String, String> producer = producer(cluster.bootstrap())) {
                int sent = 0;
                sent = sendUntil(producer, sent, acked, failed, 300);
                killed = describe(admin).partitions().get(0).leader().id();
                cluster.kill(killed);
                sendUntil(producer, sent, acked, failed, 600); // the two survivors are enough for min.insync.replicas=2
                producer.flush();
            }
            assertThat(failed).as("sends the producer gave up on").isEmpty();

            List<Integer> survivors = cluster.othersThan(killed);
            Set<Acked> read = readAll(cluster.bootstrap(survivors));
            List<Acked> lost = acked.stream().filter(a -> !read.contains(a)).toList();
            assertThat(lost).as("acknowledged records missing from the survivors after SIGKILL of node " + killed).isEmpty();

            cluster.restart(killed);
            await("node " + killed + " back in every ISR, caught up over SASL_SSL", () -> fullIsrs(admin));
            assertThat(Files.readString(cluster.logFile(killed))).doesNotContain("cannot authenticate");
        }
    }

    /** Sends one record at a time until {@code target} are acknowledged (a hang guard, not a speed check). */
    private static int sendUntil(KafkaProducer<String, String> producer, int sent, ConcurrentLinkedQueue<Acked> acked,
                                 ConcurrentLinkedQueue<Exception> failed, int target) throws InterruptedException {
        long deadline = System.nanoTime() + GUARD.toNanos();
        while (acked.size() < target) {
            if (System.nanoTime() > deadline) fail("only " + acked.size() + " of " + target + " records acknowledged; failures " + failed);
            String value = "order-" + sent;
            producer.send(new ProducerRecord<>(TOPIC, sent % 3, Integer.toString(sent), value), (metadata, e) -> {
                if (e != null) failed.add(e);
                else acked.add(new Acked(metadata.partition(), metadata.offset(), value));
            });
            sent++;
            if (sent - acked.size() - failed.size() > 50) Pause.sleep(20); // keep a bounded number in flight
        }
        return sent;
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "600000");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "8000");
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "3000");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static Set<Acked> readAll(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Set<Acked> read = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1), new TopicPartition(TOPIC, 2));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, GUARD);
            long deadline = System.nanoTime() + GUARD.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp)) && System.nanoTime() < deadline)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) read.add(new Acked(r.partition(), r.offset(), r.value()));
        }
        return read;
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of(TOPIC)).allTopicNames().get(GUARD.toSeconds(), TimeUnit.SECONDS).get(TOPIC);
    }

    private static boolean fullIsrs(Admin admin) {
        try {
            List<TopicPartitionInfo> partitions = describe(admin).partitions();
            return partitions.stream().allMatch(p -> p.isr().size() == 3);
        } catch (Exception e) {
            return false;
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + GUARD.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Pause.sleep(200);
        }
    }

    /** One self-signed node certificate for 127.0.0.1 and localhost (server and client use), and a trust store holding it. */
    private static void nodeCertificate(Path keystore, Path truststore, Path certificate) throws Exception {
        keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=runnel-node,O=Runnel e2e",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-ext", "EKU=serverAuth,clientAuth", "-validity", "3",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "node", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "node", "-file", certificate.toString(), "-keystore", truststore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) fail("keytool " + args[0] + " failed: " + output);
    }
}
