package io.runnel.e2e.tools;

import static io.runnel.e2e.support.ExternalCommand.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RunnelCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * Kafka's own {@code kafka-reassign-partitions} and {@code kafka-leader-election} against a
 * three-process Runnel cluster, exactly as an operator runs them: a throttled move of partitions
 * off broker 1 is started with {@code --execute --throttle}, followed with {@code --verify} until
 * complete (which also clears the throttles), and the records are all still there on the new
 * replicas; a preferred election then runs cluster-wide. Runnel only ({@link RunnelCluster}).
 */
class ReassignPartitionsToolIT {
    private static final String REASSIGN = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String LEADER_ELECTION = "org.apache.kafka.tools.LeaderElectionCommand";
    private static final Duration HANG_GUARD = Duration.ofMinutes(2);

    @Test
    void kafkaReassignPartitionsMovesPartitionsOffBroker1WithAThrottleAndVerifiesTheMove() throws Exception {
        try (RunnelCluster cluster = RunnelCluster.builder("reassign-tool").nodes(3).start();
             Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            admin.createTopics(List.of(new NewTopic("tool-moved", Map.of(0, List.of(1), 1, List.of(1, 2))))).all().get();
            int records = 2_000;
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(cluster.bootstrap())) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (int i = 0; i < records; i++) acks.add(producer.send(new ProducerRecord<>("tool-moved", i % 2, null, ("r" + i).getBytes())));
                KafkaClients.awaitAcks(acks, "records before the move");
            }
            Path plan = cluster.dir().resolve("reassignment.json");
            Files.writeString(plan, """
                    {"version":1,"partitions":[
                      {"topic":"tool-moved","partition":0,"replicas":[3]},
                      {"topic":"tool-moved","partition":1,"replicas":[2,3]}]}""");

            String started = ok(tool(cluster, REASSIGN, "--bootstrap-server", cluster.bootstrap(), "--reassignment-json-file", plan.toString(),
                    "--execute", "--throttle", "50000000"));
            assertThat(started).contains("Successfully started partition reassignment");

            Instant deadline = Instant.now().plus(HANG_GUARD);
            String verified;
            do {
                verified = ok(tool(cluster, REASSIGN, "--bootstrap-server", cluster.bootstrap(), "--reassignment-json-file", plan.toString(), "--verify"));
                assertThat(Instant.now()).as("reassignment still not complete: " + verified).isBefore(deadline);
            } while (!verified.contains("Reassignment of partition tool-moved-0 is completed")
                    || !verified.contains("Reassignment of partition tool-moved-1 is completed"));
            assertThat(verified).contains("Clearing broker-level throttles").contains("Clearing topic-level throttles");

            Map<String, TopicDescription> topics = admin.describeTopics(List.of("tool-moved")).allTopicNames().get();
            assertThat(topics.get("tool-moved").partitions().get(0).replicas()).extracting(Node::id).containsExactly(3);
            assertThat(topics.get("tool-moved").partitions().get(1).replicas()).extracting(Node::id).containsExactly(2, 3);
            var topicConfig = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "tool-moved"))).all().get().values()
                    .iterator().next();
            assertThat(topicConfig.get("leader.replication.throttled.replicas").value()).as("throttle cleared").isEmpty();
            var read = KafkaClients.readAll(cluster.bootstrap(), "tool-moved");
            assertThat(read.values().stream().mapToInt(List::size).sum()).isEqualTo(records);

            String election = ok(tool(cluster, LEADER_ELECTION, "--bootstrap-server", cluster.bootstrap(), "--election-type", "PREFERRED",
                    "--all-topic-partitions"));
            assertThat(election).containsAnyOf("Successfully completed leader election", "Valid replica already elected");
        }
    }

    private static ExternalCommand.Result tool(RunnelCluster cluster, String mainClass, String... args) {
        return ExternalCommand.kafkaTool(mainClass, args).dir(cluster.dir()).timeout(Duration.ofMinutes(3)).run();
    }

}
