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
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's own command-line tools, from the org.apache.kafka:kafka-tools jar, each run as a
 * separate {@code java} process on the classpath e2e/kafka-tools writes (what bin/kafka-*.sh do):
 * kafka-topics (TopicCommand), kafka-get-offsets (GetOffsetShell), kafka-producer-perf-test
 * (ProducerPerformance), kafka-console-consumer (ConsoleConsumer, with --partition/--offset:
 * no consumer group) and kafka-metadata-quorum (MetadataQuorumCommand).
 */
class KafkaCliToolsIT {
    private static final String TOPICS = "org.apache.kafka.tools.TopicCommand";
    private static final String GET_OFFSETS = "org.apache.kafka.tools.GetOffsetShell";
    private static final String PERF_TEST = "org.apache.kafka.tools.ProducerPerformance";
    private static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    private static final String METADATA_QUORUM = "org.apache.kafka.tools.MetadataQuorumCommand";
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("kafka-tools");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void kafkaTopicsCreatesListsDescribesAndDeletesATopic() {
        String topic = broker.topic("tools-topics");
        String created = ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--create", "--topic", topic,
                "--partitions", "3", "--replication-factor", "1"));
        assertThat(created).contains("Created topic " + topic);

        assertThat(ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--list")).lines()).contains(topic);

        String described = ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--describe", "--topic", topic));
        assertThat(described).contains("Topic: " + topic).contains("PartitionCount: 3").contains("ReplicationFactor: 1");
        for (int p = 0; p < 3; p++) {
            assertThat(described).containsPattern("Partition: " + p + "\\s+Leader: 1\\s+Replicas: 1\\s+Isr: 1");
        }

        ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--delete", "--topic", topic));
        // Deletion may finish after the call returns (it does in Kafka): poll, with a hang guard.
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        List<String> listed;
        do {
            listed = ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--list")).lines().toList();
        } while (listed.contains(topic) && Instant.now().isBefore(deadline));
        assertThat(listed).doesNotContain(topic);
    }

    @Test
    void kafkaGetOffsetsReportsEarliestAndLatestPerPartition() throws Exception {
        String topic = broker.topic("tools-offsets");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            for (int i = 0; i < 30; i++) producer.send(new ProducerRecord<>(topic, i < 10 ? 0 : 1, null, ("v" + i).getBytes()));
            producer.flush();
        }
        assertThat(offsets(topic, "-1")).isEqualTo(Map.of(0, 10L, 1, 20L));
        assertThat(offsets(topic, "-2")).isEqualTo(Map.of(0, 0L, 1, 0L));
        assertThat(offsets(topic, "latest")).isEqualTo(Map.of(0, 10L, 1, 20L));
    }

    @Test
    void producerPerfTestWritesWithAcksAllAndConsoleConsumerReadsEveryRecordBack() {
        String topic = broker.topic("tools-perf");
        int records = 5_000;
        ok(tool(TOPICS, "--bootstrap-server", broker.bootstrap(), "--create", "--topic", topic,
                "--partitions", "1", "--replication-factor", "1"));

        String perf = ok(tool(PERF_TEST, "--topic", topic, "--num-records", Integer.toString(records),
                "--record-size", "100", "--throughput", "-1",
                "--producer-props", "bootstrap.servers=" + broker.bootstrap(), "acks=all"));
        assertThat(perf).containsPattern("(?m)^" + records + " records sent");
        assertThat(offsets(topic, "-1")).isEqualTo(Map.of(0, (long) records));

        ExternalCommand.Result consumed = tool(CONSOLE_CONSUMER, "--bootstrap-server", broker.bootstrap(),
                "--topic", topic, "--partition", "0", "--offset", "earliest",
                "--max-messages", Integer.toString(records), "--timeout-ms", "120000");
        ok(consumed);
        List<String> values = consumed.stdout().lines().toList();
        assertThat(values).as(consumed.describe()).hasSize(records);
        // ProducerPerformance's payload: --record-size random uppercase letters.
        assertThat(values).allSatisfy(v -> assertThat(v).matches("[A-Z]{100}"));
        assertThat(consumed.stderr()).contains("Processed a total of " + records + " messages");
    }

    private static Map<Integer, Long> offsets(String topic, String time) {
        String out = ok(tool(GET_OFFSETS, "--bootstrap-server", broker.bootstrap(), "--topic", topic, "--time", time));
        Map<Integer, Long> offsets = new TreeMap<>();
        out.lines().filter(l -> l.startsWith(topic + ":")).forEach(l -> {
            String[] parts = l.split(":");
            offsets.put(Integer.parseInt(parts[1]), Long.parseLong(parts[2]));
        });
        return offsets;
    }

    @Test
    void kafkaMetadataQuorumDescribesALeadingVoterAndItsReplication() {
        String status = ok(tool(METADATA_QUORUM, "--bootstrap-server", broker.bootstrap(), "describe", "--status"));
        assertThat(status).containsPattern("ClusterId:\\s+\\S+").containsPattern("LeaderId:\\s+\\d+")
                .containsPattern("LeaderEpoch:\\s+[1-9]\\d*").containsPattern("HighWatermark:\\s+[1-9]\\d*")
                .containsPattern("CurrentVoters:\\s+\\[");
        String replication = ok(tool(METADATA_QUORUM, "--bootstrap-server", broker.bootstrap(), "describe", "--replication"));
        assertThat(replication).containsPattern("\\d+\\s+\\S+\\s+\\d+\\s+\\d+\\s+.*Leader");
    }

    private static ExternalCommand.Result tool(String mainClass, String... args) {
        return ExternalCommand.kafkaTool(mainClass, args).dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
    }

}
