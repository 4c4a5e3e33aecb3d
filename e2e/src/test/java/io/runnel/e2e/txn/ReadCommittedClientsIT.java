package io.runnel.e2e.txn;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ClientScripts;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.TransactionBrokers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * read_committed consumers of other client stacks against transactions a Java producer wrote:
 * confluent-kafka ({@code isolation.level=read_committed}, {@code
 * e2e/clients/python/read_committed_confluent_kafka.py}), kafkajs' group consumer ({@code
 * readUncommitted: false}, {@code e2e/clients/node/read_committed.js}) and kcat ({@code -X
 * isolation.level=read_committed}). Each must deliver exactly the committed records, in order per
 * partition: no aborted record, none missing. Each implements the aborted-transactions filtering
 * (the Fetch response's aborted list against the log's markers) on its own.
 *
 * <p>The topic (3 partitions) is written once: 30 transactions of 3 records per partition, every
 * third aborted after its records reached the log, then a committed transaction writing "end" to
 * each partition (the kafkajs reader stops when it has seen all three).
 */
class ReadCommittedClientsIT {
    private static final int PARTITIONS = 3;
    private static BrokerProcess broker;
    private static String topic;
    /** partition -> "key=value" of each committed record, in send order. */
    private static final Map<Integer, List<String>> committed = new TreeMap<>();
    private static final Map<Integer, List<String>> all = new TreeMap<>();

    @BeforeAll
    static void writeCommittedAndAbortedTransactions() {
        broker = TransactionBrokers.start("read-committed-clients");
        topic = broker.topic("read-committed");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++) {
            committed.put(p, new ArrayList<>());
            all.put(p, new ArrayList<>());
        }
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "read-committed-writer", Map.of())) {
            producer.initTransactions();
            int n = 0;
            for (int txn = 0; txn < 30; txn++) {
                boolean abort = txn % 3 == 1;
                producer.beginTransaction();
                for (int r = 0; r < 3 * PARTITIONS; r++, n++) {
                    int partition = r % PARTITIONS;
                    String key = "k-" + n;
                    String value = (abort ? "aborted-" : "committed-") + txn + "-" + n;
                    producer.send(new ProducerRecord<>(topic, partition, bytes(key), bytes(value)));
                    all.get(partition).add(key + "=" + value);
                    if (!abort) committed.get(partition).add(key + "=" + value);
                }
                if (abort) {
                    producer.flush();
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
            producer.beginTransaction();
            for (int p = 0; p < PARTITIONS; p++) {
                producer.send(new ProducerRecord<>(topic, p, bytes("end-" + p), bytes("end")));
                all.get(p).add("end-" + p + "=end");
                committed.get(p).add("end-" + p + "=end");
            }
            producer.commitTransaction();
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void theLogReallyHoldsAbortedRecordsThatAReadUncommittedJavaConsumerSees() {
        Map<Integer, List<String>> read = new TreeMap<>();
        KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED).forEach((p, records) ->
                read.put(p, records.stream().map(r -> text(r.key()) + "=" + text(r.value())).toList()));
        assertThat(read).as("read_uncommitted: every record, aborted ones included (else the other tests prove nothing)")
                .isEqualTo(all);
    }

    @Test
    void confluentKafkaReadCommittedSeesExactlyTheCommittedRecordsInOrder() {
        ExternalCommand.Result result = ClientScripts.python(broker, "read_committed_confluent_kafka.py", broker.bootstrap(), topic);
        ClientScripts.assertOk(result);
        assertThat(parse(result.stdout())).as(result.describe()).isEqualTo(committed);
    }

    @Test
    void kafkajsReadCommittedSeesExactlyTheCommittedRecordsInOrder() {
        ExternalCommand.Result result = ClientScripts.node(broker, "read_committed.js", broker.bootstrap(), topic,
                "kafkajs-read-committed", Integer.toString(PARTITIONS));
        ClientScripts.assertOk(result);
        assertThat(parse(result.stdout())).as(result.describe()).isEqualTo(committed);
    }

    @Test
    void kcatReadCommittedSeesExactlyTheCommittedRecordsInOrder() {
        ExternalCommand.Result result = ExternalCommand.of("kcat", "-b", broker.bootstrap(), "-C", "-t", topic,
                        "-o", "beginning", "-e", "-X", "isolation.level=read_committed", "-f", "%p\t%o\t%k\t%s\n")
                .name("kcat-read-committed").dir(broker.dir()).run();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        assertThat(result.stderr()).as(result.describe()).doesNotContainIgnoringCase("error");
        assertThat(parse(result.stdout())).as(result.describe()).isEqualTo(committed);
    }

    /** "partition TAB offset TAB key TAB value" lines -> partition -> "key=value" in the order printed. */
    private static Map<Integer, List<String>> parse(String output) {
        Map<Integer, List<String>> read = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) read.put(p, new ArrayList<>());
        output.lines().filter(l -> !l.isBlank() && !l.startsWith("OK ")).forEach(line -> {
            String[] fields = line.split("\t", 4);
            assertThat(fields).as("output line %s", line).hasSize(4);
            read.get(Integer.parseInt(fields[0])).add(fields[2] + "=" + fields[3]);
        });
        return read;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
