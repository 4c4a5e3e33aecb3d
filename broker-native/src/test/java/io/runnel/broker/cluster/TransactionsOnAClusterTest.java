package io.runnel.broker.cluster;

import static io.runnel.broker.cluster.ClusterClients.admin;
import static io.runnel.broker.cluster.ClusterClients.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions across three brokers with the Java clients: the coordinator's markers reach
 * partitions led by other brokers (WriteTxnMarkers between brokers), and a transaction begun
 * before its coordinator's broker stops is committed through the coordinator that takes over
 * (which loads the transaction from the replicated {@code __transaction_state}).
 */
class TransactionsOnAClusterTest {
    @TempDir
    Path dataRoot;

    static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    @Test
    void markersReachRemoteLeadersAndACommitSurvivesItsCoordinatorStopping() throws Exception {
        try (RunningCluster cluster = new RunningCluster(dataRoot, 3, Map.of())) {
            try (Admin admin = admin(cluster.bootstrapServers())) {
                admin.createTopics(List.of(new NewTopic("payments", 6, (short) 3).configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            List<String> committed = new ArrayList<>();
            int aborted = 0;
            try (var producer = producer(cluster.bootstrapServers(), "payments-writer")) {
                producer.initTransactions();
                for (int t = 0; t < 9; t++) {
                    producer.beginTransaction();
                    for (int p = 0; p < 6; p++) producer.send(new ProducerRecord<>("payments", p, "k", "t" + t + "p" + p));
                    producer.flush();
                    if (t % 3 == 1) {
                        producer.abortTransaction();
                        aborted += 6;
                    } else {
                        producer.commitTransaction();
                        for (int p = 0; p < 6; p++) committed.add("t" + t + "p" + p);
                    }
                }

                int coordinator;
                try (Admin admin = admin(cluster.bootstrapServers())) {
                    coordinator = admin.describeTransactions(List.of("payments-writer")).description("payments-writer").get().coordinatorId();
                }
                producer.beginTransaction();
                for (int p = 0; p < 6; p++) producer.send(new ProducerRecord<>("payments", p, "k", "failover-p" + p));
                producer.flush();
                cluster.stop(coordinator);
                producer.commitTransaction(); // finds the new coordinator, which loaded the transaction as Ongoing
                for (int p = 0; p < 6; p++) committed.add("failover-p" + p);
            }
            String bootstrap = String.join(",", cluster.runningIds().stream().map(cluster::bootstrapServers).toList());
            assertThat(readAll(bootstrap, "payments", committed.size(), "read_committed")).containsExactlyInAnyOrderElementsOf(committed);
            assertThat(readAll(bootstrap, "payments", committed.size() + aborted, "read_uncommitted")).hasSize(committed.size() + aborted);
        }
    }
}
