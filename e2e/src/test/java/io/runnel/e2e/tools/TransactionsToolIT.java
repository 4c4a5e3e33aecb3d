package io.runnel.e2e.tools;

import static io.runnel.e2e.support.ExternalCommand.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.TransactionBrokers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's kafka-transactions tool ({@code org.apache.kafka.tools.TransactionsCommand}, the
 * kafka-tools jar, run as a separate process the way KafkaCliToolsIT runs tools): {@code list},
 * {@code describe} and {@code describe-producers} show an open transaction and its partition;
 * {@code find-hanging} reports none on a healthy broker even when told to consider every open
 * transaction ({@code --max-transaction-timeout 0}: each one is checked against its coordinator,
 * so a coordinator that forgot a partition it was told about would show it as hanging); and
 * {@code abort --start-offset} on an open transaction writes the abort marker that lets
 * read_committed consumers past it.
 *
 * <p>Why no really hanging transaction: one arises when a transactional batch lands in a
 * partition its coordinator does not know is in the transaction. Kafka 4.4 verifies every
 * transactional produce with the coordinator first (KIP-890), so an unmodified broker and client
 * cannot make one; the abort test plays the operator's part on a transaction that is merely
 * stuck (long timeout, silent producer).
 */
class TransactionsToolIT {
    private static final String TRANSACTIONS = "org.apache.kafka.tools.TransactionsCommand";
    private static final Duration PATIENCE = KafkaClients.PATIENCE;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = TransactionBrokers.start("txn-tools");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void listDescribeAndDescribeProducersShowAnOpenTransactionAndDescribeItsCommit() throws Exception {
        String topic = broker.topic("tool-open");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "tool-open", Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            RecordMetadata first = producer.send(new ProducerRecord<>(topic, 1, null, bytes("open-0"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 1, null, bytes("open-1"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            String list = ok(tool("list"));
            assertThat(list).as("list").containsPattern("(?m)^tool-open\\s+1\\s+\\d+\\s+Ongoing\\s*$");

            String describe = ok(tool("describe", "--transactional-id", "tool-open"));
            assertThat(describe).as("describe of the open transaction")
                    .containsPattern("(?m)^1\\s+tool-open\\s+\\d+\\s+\\d+\\s+Ongoing\\s+\\d+\\s+\\d+\\s+\\d+\\s+" + topic + "-1\\s*$");

            String producers = ok(tool("describe-producers", "--topic", topic, "--partition", "1"));
            assertThat(producers).as("describe-producers: the open transaction starts at the first record's offset")
                    .containsPattern("(?m)^\\d+\\s+\\d+\\s+-?\\d+\\s+\\d+\\s+\\d+\\s+" + first.offset() + "\\s*$");

            producer.commitTransaction();
        }
        String committed = ok(tool("describe", "--transactional-id", "tool-open"));
        assertThat(committed).as("describe after the commit").containsPattern("(?m)^1\\s+tool-open\\s+\\d+\\s+\\d+\\s+CompleteCommit\\s");
        assertThat(ok(tool("list"))).containsPattern("(?m)^tool-open\\s+1\\s+\\d+\\s+CompleteCommit\\s*$");
    }

    @Test
    void findHangingReportsNoneOnAHealthyBrokerWithAnOpenTransaction() throws Exception {
        String topic = broker.topic("tool-healthy");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "tool-healthy", Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, bytes("open"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            // The open transaction is a candidate (open longer than 0 minutes); its coordinator
            // knows it and its partition, so it is not hanging.
            // The tool prints its header row and one row per hanging transaction.
            String found = ok(tool("find-hanging", "--broker-id", "1", "--max-transaction-timeout", "0"));
            assertThat(rows(found)).as("find-hanging --broker-id 1: the header only\n" + found).hasSize(1);
            assertThat(rows(found).get(0)).startsWith("Topic").contains("StartOffset");
            String byTopic = ok(tool("find-hanging", "--topic", topic, "--partition", "0", "--max-transaction-timeout", "0"));
            assertThat(rows(byTopic)).as("find-hanging --topic --partition: the header only\n" + byTopic).hasSize(1);
            producer.commitTransaction();
        }
    }

    @Test
    void abortAtAStuckTransactionsStartOffsetLetsReadCommittedConsumersPastIt() throws Exception {
        String topic = broker.topic("tool-abort");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        TopicPartition p0 = new TopicPartition(topic, 0);
        // A long timeout: only the tool may end this transaction while the test runs.
        KafkaProducer<byte[], byte[]> stuck = KafkaClients.transactionalProducer(broker.bootstrap(), "tool-stuck",
                Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "600000"));
        try {
            stuck.initTransactions();
            stuck.beginTransaction();
            long start = stuck.send(new ProducerRecord<>(topic, 0, null, bytes("stuck-0"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS).offset();
            stuck.send(new ProducerRecord<>(topic, 0, null, bytes("stuck-1"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> plain = KafkaClients.producer(broker.bootstrap())) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                acks.add(plain.send(new ProducerRecord<>(topic, 0, null, bytes("after-0"))));
                acks.add(plain.send(new ProducerRecord<>(topic, 0, null, bytes("after-1"))));
                KafkaClients.awaitAcks(acks, "records after the stuck transaction");
            }
            assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED).get(p0))
                    .as("the stuck transaction holds read_committed at its first offset").isEqualTo(start);
            assertThat(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED).get(0)).isEmpty();

            String aborted = ok(tool("abort", "--topic", topic, "--partition", "0", "--start-offset", Long.toString(start)));
            assertThat(aborted).as("abort output").doesNotContainIgnoringCase("error");

            assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED))
                    .as("after the abort marker LSO = HW").isEqualTo(KafkaClients.endOffsets(broker.bootstrap(), topic));
            assertThat(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED).get(0).stream()
                    .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList())
                    .as("read_committed proceeds past the aborted records").containsExactly("after-0", "after-1");
            assertThat(ok(tool("describe-producers", "--topic", topic, "--partition", "0")))
                    .as("describe-producers: no producer has an open transaction left")
                    .doesNotContainPattern("(?m)^\\d+\\s+\\d+\\s+-?\\d+\\s+-?\\d+\\s+\\d+\\s+\\d+\\s*$");
        } finally {
            stuck.close(Duration.ZERO); // silent to the end: it neither commits nor aborts
        }
    }

    private static ExternalCommand.Result tool(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrap()));
        all.addAll(List.of(args));
        return ExternalCommand.kafkaTool(TRANSACTIONS, all.toArray(String[]::new)).dir(broker.dir())
                .timeout(Duration.ofMinutes(3)).run();
    }

    private static List<String> rows(String output) {
        return output.lines().filter(l -> !l.isBlank()).toList();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
