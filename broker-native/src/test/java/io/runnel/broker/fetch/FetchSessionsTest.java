package io.runnel.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Incremental fetch sessions (KIP-227) on a running broker: hand-built fetches see a session made,
 * continued with only what changed, trimmed and refused by Kafka's rules; the Java consumer reads
 * through a session; the cache's slots and its meters are the broker's. The rules in isolation are
 * {@link FetchSessionCacheTest}'s; the e2e {@code FetchSessionsIT} compares the answers with Kafka 4.4.
 */
class FetchSessionsTest {
    private static final short VERSION = ApiKeys.FETCH.latestVersion();

    @TempDir
    Path dataDir;

    private static Uuid createTopic(RawKafkaClient client, String name, int partitions) throws Exception {
        CreateTopicsRequestData request = new CreateTopicsRequestData().setTimeoutMs(10_000);
        request.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(partitions).setReplicationFactor((short) 1));
        var created = (CreateTopicsResponseData) client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), request);
        assertThat(Errors.forCode(created.topics().find(name).errorCode())).isEqualTo(Errors.NONE);
        return created.topics().find(name).topicId();
    }

    private static RawKafkaClient raw(RunningBroker broker) throws Exception {
        String[] hostPort = broker.bootstrapServers().split(":");
        return new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]));
    }

    private static KafkaProducer<String, String> producer(RunningBroker broker) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    /** A fetch of {@code session}/{@code epoch} naming {@code offsets} (partition → fetch offset), forgetting {@code forgotten}. */
    private static FetchResponseData fetch(RawKafkaClient client, Uuid topicId, int session, int epoch, Map<Integer, Long> offsets,
                                           List<Integer> forgotten) throws Exception {
        FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setTopicId(topicId);
        offsets.forEach((p, offset) -> topic.partitions().add(new FetchRequestData.FetchPartition().setPartition(p).setFetchOffset(offset)
                .setPartitionMaxBytes(1 << 20).setCurrentLeaderEpoch(-1).setLastFetchedEpoch(-1).setLogStartOffset(-1)));
        FetchRequestData request = new FetchRequestData().setReplicaId(-1).setMaxWaitMs(10).setMinBytes(0).setMaxBytes(1 << 20)
                .setSessionId(session).setSessionEpoch(epoch);
        if (!topic.partitions().isEmpty()) request.topics().add(topic);
        if (!forgotten.isEmpty()) request.forgottenTopicsData().add(new FetchRequestData.ForgottenTopic().setTopicId(topicId).setPartitions(forgotten));
        return (FetchResponseData) client.send(ApiKeys.FETCH, VERSION, request);
    }

    /** Partition → records in it, of every partition the response answers. */
    private static Map<Integer, Integer> answered(FetchResponseData response) {
        Map<Integer, Integer> answered = new TreeMap<>();
        for (var topic : response.responses())
            for (var p : topic.partitions()) {
                int records = 0;
                for (var batch : ((MemoryRecords) p.records()).batches()) records += batch.countOrNull();
                answered.put(p.partitionIndex(), records);
            }
        return answered;
    }

    private double meter(RunningBroker broker, String name) {
        var gauge = broker.registry().find(name).gauge();
        return gauge != null ? gauge.value() : broker.registry().find(name).functionCounter().count();
    }

    @Test
    void aSessionAnswersOnlyThePartitionsThatChangedAndForgetsWhatItIsTold() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir); RawKafkaClient client = raw(broker);
             KafkaProducer<String, String> producer = producer(broker)) {
            Uuid topicId = createTopic(client, "orders", 3);
            producer.send(new ProducerRecord<>("orders", 0, "k", "before")).get();

            FetchResponseData full = fetch(client, topicId, 0, 0, Map.of(0, 0L, 1, 0L, 2, 0L), List.of());
            assertThat(full.sessionId()).isPositive();
            assertThat(answered(full)).isEqualTo(Map.of(0, 1, 1, 0, 2, 0));
            assertThat(meter(broker, "runnel.fetch.sessions")).isEqualTo(1);
            assertThat(meter(broker, "runnel.fetch.session.partitions")).isEqualTo(3);
            int id = full.sessionId();

            // Partition 0 moves past its record; nothing else changed, so nothing is answered.
            FetchResponseData quiet = fetch(client, topicId, id, 1, Map.of(0, 1L), List.of());
            assertThat(quiet.errorCode()).isZero();
            assertThat(quiet.sessionId()).isEqualTo(id);
            assertThat(answered(quiet)).isEmpty();

            producer.send(new ProducerRecord<>("orders", 1, "k", "new")).get();
            FetchResponseData changed = fetch(client, topicId, id, 2, Map.of(), List.of());
            assertThat(answered(changed)).as("only partition 1, with its record").isEqualTo(Map.of(1, 1));
            assertThat(changed.responses().get(0).partitions().get(0).highWatermark()).isEqualTo(1);

            FetchResponseData forgetting = fetch(client, topicId, id, 3, Map.of(1, 1L), List.of(2));
            assertThat(answered(forgetting)).isEmpty();
            assertThat(meter(broker, "runnel.fetch.session.partitions")).isEqualTo(2);
            producer.send(new ProducerRecord<>("orders", 2, "k", "unseen")).get();
            assertThat(answered(fetch(client, topicId, id, 4, Map.of(), List.of()))).as("partition 2 left the session").isEmpty();

            FetchResponseData replayed = fetch(client, topicId, id, 4, Map.of(), List.of());
            assertThat(Errors.forCode(replayed.errorCode())).isEqualTo(Errors.INVALID_FETCH_SESSION_EPOCH);
            assertThat(replayed.sessionId()).isZero();
            assertThat(replayed.responses()).isEmpty();

            FetchResponseData closing = fetch(client, topicId, id, -1, Map.of(0, 1L), List.of());
            assertThat(closing.sessionId()).isZero();
            assertThat(meter(broker, "runnel.fetch.sessions")).isZero();
            assertThat(Errors.forCode(fetch(client, topicId, id, 5, Map.of(), List.of()).errorCode())).isEqualTo(Errors.FETCH_SESSION_ID_NOT_FOUND);
        }
    }

    @Test
    void aFullCacheAnswersNewClientsInFullWithoutASession() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("max.incremental.fetch.session.cache.slots", "1"));
             RawKafkaClient first = raw(broker); RawKafkaClient second = raw(broker)) {
            Uuid topicId = createTopic(first, "orders", 2);
            assertThat(fetch(first, topicId, 0, 0, Map.of(0, 0L, 1, 0L), List.of()).sessionId()).isPositive();
            FetchResponseData refused = fetch(second, topicId, 0, 0, Map.of(0, 0L, 1, 0L), List.of());
            assertThat(refused.errorCode()).isZero();
            assertThat(refused.sessionId()).as("no slot for a second young session").isZero();
            assertThat(answered(refused)).containsOnlyKeys(0, 1);
            assertThat(meter(broker, "runnel.fetch.sessions")).isEqualTo(1);
            assertThat(meter(broker, "runnel.fetch.session.evictions")).isZero();
        }
    }

    @Test
    void theJavaConsumerReadsEveryRecordOnceThroughASessionWhileRecordsKeepArriving() throws Exception {
        int partitions = 8;
        try (RunningBroker broker = new RunningBroker(dataDir); RawKafkaClient client = raw(broker);
             KafkaProducer<String, String> producer = producer(broker)) {
            createTopic(client, "events", partitions);
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "50");
            List<TopicPartition> all = new ArrayList<>();
            for (int i = 0; i < partitions; i++) all.add(new TopicPartition("events", i));
            Map<TopicPartition, List<String>> sent = new HashMap<>();
            Map<TopicPartition, List<String>> read = new HashMap<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(all);
                consumer.seekToBeginning(all);
                for (int round = 0; round < 6; round++) {
                    // Each round fills only some partitions, so that incremental fetches see partitions with and without news.
                    for (int i = 0; i < 200; i++) {
                        TopicPartition tp = all.get((round + i % 3) % partitions);
                        String value = "r" + round + "-" + i;
                        producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), null, value));
                        sent.computeIfAbsent(tp, k -> new ArrayList<>()).add(value);
                    }
                    producer.flush();
                    for (int polls = 0; polls < 3; polls++)
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100)))
                            read.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r.value());
                }
                assertThat(meter(broker, "runnel.fetch.sessions")).as("the consumer holds a session").isEqualTo(1);
                assertThat(meter(broker, "runnel.fetch.session.partitions")).isEqualTo(partitions);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos(); // hang guard
                while (!read.equals(sent) && System.nanoTime() < deadline)
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200)))
                        read.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r.value());
            }
            assertThat(read).as("every record once, in order per partition").isEqualTo(sent);
            assertThat(broker.registry().find("runnel.request.errors").tag("api", "Fetch").counters()).as("no fetch was refused").isEmpty();
        }
    }
}
