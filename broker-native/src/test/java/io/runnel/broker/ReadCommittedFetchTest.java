package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * The read side of transactions with the unmodified Java consumer: transactional batches written
 * with raw Produce requests and ended with raw WriteTxnMarkers (as a coordinator would), so this
 * proves the log, the last stable offset and read_committed fetches on their own, without the
 * transaction coordinator (hence {@code transaction.partition.verification.enable=false}, as Kafka
 * would need for the same requests).
 */
class ReadCommittedFetchTest {
    static final String TOPIC = "read-committed";
    static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    @TempDir
    static Path dataDir;
    static RunningBroker broker;
    static RawKafkaClient raw;

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dataDir, Map.of("transaction.partition.verification.enable", "false"));
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
        }
        String[] hostPort = broker.bootstrapServers().split(":");
        raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]));
    }

    @AfterAll
    static void stop() throws Exception {
        raw.close();
        broker.close();
    }

    static void produce(long producerId, int firstSeq, boolean transactional, String... values) throws Exception {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
        MemoryRecords batch = transactional ? MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, (short) 0, firstSeq, records)
                : MemoryRecords.withRecords(Compression.NONE, records);
        // A transactional batch needs a transactional id in its request (TRANSACTIONAL_ID_AUTHORIZATION_FAILED otherwise, as in Kafka).
        var request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000).setTransactionalId(transactional ? "raw-" + producerId : null);
        var topic = new ProduceRequestData.TopicProduceData().setName(TOPIC);
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        request.topicData().add(topic);
        var response = (ProduceResponseData) raw.send(ApiKeys.PRODUCE, (short) 11, request);
        assertThat(response.responses().iterator().next().partitionResponses().get(0).errorCode()).isZero();
    }

    static void endTxn(long producerId, boolean commit) throws Exception {
        var marker = new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId).setProducerEpoch((short) 0)
                .setTransactionResult(commit).setCoordinatorEpoch(0);
        marker.topics().add(new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(TOPIC).setPartitionIndexes(List.of(0)));
        var response = (WriteTxnMarkersResponseData) raw.send(ApiKeys.WRITE_TXN_MARKERS, ApiKeys.WRITE_TXN_MARKERS.latestVersion(),
                new WriteTxnMarkersRequestData().setMarkers(List.of(marker)));
        assertThat(response.markers().get(0).topics().get(0).partitions().get(0).errorCode()).isZero();
    }

    static KafkaConsumer<String, String> consumer(String isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        consumer.assign(List.of(TP));
        consumer.seekToBeginning(List.of(TP));
        return consumer;
    }

    static List<String> readUpTo(KafkaConsumer<String, String> consumer, long endOffset) {
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (consumer.position(TP) < endOffset && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
        }
        return values;
    }

    @Test
    void readCommittedConsumersSeeCommittedTransactionsOnlyAndStopAtTheOpenOne() throws Exception {
        long committer = 1_000L;
        long aborter = 2_000L;
        long open = 3_000L;
        produce(committer, 0, true, "c1", "c2");
        produce(aborter, 0, true, "a1");
        produce(-1, -1, false, "plain1");
        produce(committer, 2, true, "c3");
        produce(aborter, 1, true, "a2");
        endTxn(aborter, false);
        endTxn(committer, true);
        produce(-1, -1, false, "plain2");
        produce(open, 0, true, "o1");          // stays open: read_committed stops before it
        produce(-1, -1, false, "plain3");

        try (var committed = consumer("read_committed"); var uncommitted = consumer("read_uncommitted")) {
            long stable = committed.endOffsets(List.of(TP)).get(TP);
            long high = uncommitted.endOffsets(List.of(TP)).get(TP);
            assertThat(stable).as("the last stable offset is the open transaction's first offset").isEqualTo(9); // 2 markers sit at 6 and 7
            assertThat(high).isEqualTo(11);
            assertThat(readUpTo(committed, stable)).containsExactly("c1", "c2", "plain1", "c3", "plain2");
            assertThat(readUpTo(uncommitted, high)).containsExactly("c1", "c2", "a1", "plain1", "c3", "a2", "plain2", "o1", "plain3");

            endTxn(open, false);
            long after = committed.endOffsets(List.of(TP)).get(TP);
            assertThat(after).as("the abort marker makes everything stable").isEqualTo(12);
            assertThat(readUpTo(committed, after)).containsExactly("plain3");
        }
    }
}
