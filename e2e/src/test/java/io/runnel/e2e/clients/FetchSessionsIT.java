package io.runnel.e2e.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.Requests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Incremental fetch sessions (KIP-227), driven with hand-built Fetch requests (kafka-clients'
 * {@link FetchRequestData}) at the newest version both this client and the broker speak (v13+,
 * topic ids), plus v12 (topic names) where the version matters, and then by the Java consumer.
 *
 * <p>A session is the broker's memory of the partitions a client fetches, their fetch offsets and
 * what it last answered about each. It lets a client send only what changed, and the broker answer
 * only what changed; a broker that forgets or misreports a partition makes a consumer stall or
 * skip records, so each rule is pinned here.
 *
 * <p>What Kafka 4.4.0 does (checked with -Drunnel.e2e.broker=kafka, where the common Fetch version
 * is 18), and so what Runnel must do. Partitions of a topic just created may be answered
 * NOT_LEADER_OR_FOLLOWER for a moment, and a session remembers that answer (the next incremental
 * fetch answers the partition again once the error clears), so each case waits for leadership first.
 * <ul>
 *   <li>(session 0, epoch 0) with partitions: error NONE, a new session id (not 0), every partition
 *       answered with its high watermark and its records from the fetch offset.
 *   <li>(id, epoch n) naming no partitions: the same session id back; only partitions that changed
 *       since the last answer: nothing produced, no partitions at all. A partition with records at its
 *       session fetch offset is answered with them, and answered again with the same records while
 *       the client leaves its fetch offset there. Once the request moves the fetch offset to the end,
 *       the partition is left out, and the session keeps the new offset for later requests. A
 *       partition whose only change is its log start offset (DeleteRecords) is answered, with no
 *       records and the new log start offset.
 *   <li>forgotten_topics_data takes a partition out of the session: records produced to it later are
 *       not answered; naming it again puts it back and it is answered in full. Forgetting every
 *       partition ends the session: that answer carries session id 0, and the id then gets
 *       FETCH_SESSION_ID_NOT_FOUND (70).
 *   <li>A wrong epoch (ahead, or a replay of the last one): INVALID_FETCH_SESSION_EPOCH (71), session
 *       id 0, no partitions, and the session is unharmed (the right epoch still works). An unknown
 *       session id with epoch &gt; 0: FETCH_SESSION_ID_NOT_FOUND (70), session id 0, no partitions.
 *   <li>(id, -1) closes the session and is answered as a sessionless full fetch (session id 0, every
 *       partition); (id, next epoch) afterwards gets 70. (id, 0) closes it and opens a new session
 *       with a different id and a full answer; the old id then gets 70.
 *   <li>A session opened with topic ids (v13+) and then used at v12 (topic names), or the other way
 *       round: FETCH_SESSION_TOPIC_ID_ERROR (106), session id 0, no partitions; the session stays
 *       usable at its own version.
 *   <li>(0, -1): a sessionless full fetch, session id 0, every partition answered.
 *   <li>The Java consumer, reading an 8-partition topic while records arrive round after round, reads
 *       every record exactly once, in offset order per partition. kafka-clients makes its fetches
 *       incremental whenever the broker grants a session; a broker that grants none (session id 0)
 *       gets full fetches and passes this case too, so it guards a session implementation against
 *       losing or repeating records, and the raw cases above prove that sessions exist.
 * </ul>
 */
class FetchSessionsIT {
    private static final short TOPIC_NAMES_FETCH_V = 12; // the last Fetch version that names topics
    /** Short, so an answer with nothing to return comes back quickly; the broker may wait this long. */
    private static final int MAX_WAIT_MS = 10;
    private static final int PARTITION_MAX_BYTES = 1 << 20;
    /** An id no session has here: brokers pick ids at random, and only a handful of sessions exist. */
    private static final int UNKNOWN_SESSION_ID = 0x2545F491;
    private static BrokerProcess broker;
    /** The newest Fetch version both kafka-clients and the broker speak (at least 13: topic ids). */
    private static short fetchV;

    private RawKafkaConnection connection;

    private record Topic(String name, Uuid id, int partitions) {}

    @BeforeAll
    static void startBroker() throws IOException {
        broker = BrokerProcess.start("fetch-sessions");
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            ApiVersionsResponse versions = connection.request(ApiKeys.API_VERSIONS, Requests.API_VERSIONS_V, Requests.apiVersions());
            ApiVersionsResponseData.ApiVersion fetch = versions.data().apiKeys().find(ApiKeys.FETCH.id);
            assertThat(fetch).as("Fetch in ApiVersions").isNotNull();
            fetchV = (short) Math.min(fetch.maxVersion(), ApiKeys.FETCH.latestVersion());
        }
        assertThat(fetchV).as("newest common Fetch version (topic ids need 13)").isGreaterThanOrEqualTo((short) 13);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @BeforeEach
    void openConnection() throws IOException {
        connection = RawKafkaConnection.open(broker.bootstrap());
    }

    @AfterEach
    void closeConnection() {
        if (connection != null) connection.close();
    }

    @Test
    void fullFetchWithSessionIdZeroAndEpochZeroCreatesASession() throws IOException {
        Topic topic = createTopic("full", 3);
        produce(topic, 0, 2);
        produce(topic, 2, 3);

        FetchResponseData response = fetch(request(FetchMetadata.INITIAL).setTopics(fetchTopics(topic, Map.of(0, 0L, 1, 0L, 2, 0L))));

        assertSession(response, Errors.NONE);
        assertThat(response.sessionId()).as("a new session id").isNotZero();
        Map<Integer, FetchResponseData.PartitionData> answered = answered(response, topic);
        assertThat(answered.keySet()).as("partitions answered").containsExactly(0, 1, 2);
        assertPartition(answered.get(0), 2, 0, 2);
        assertPartition(answered.get(1), 0, 0, 0);
        assertPartition(answered.get(2), 3, 0, 3);
    }

    @Test
    void incrementalFetchAnswersOnlyPartitionsThatChanged() throws IOException {
        Topic topic = createTopic("incremental", 3);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L, 2, 0L));

        FetchResponseData quiet = fetch(request(new FetchMetadata(sessionId, 1)));
        assertSession(quiet, Errors.NONE);
        assertThat(quiet.sessionId()).as("the same session").isEqualTo(sessionId);
        assertThat(answered(quiet, topic)).as("nothing produced, nothing changed").isEmpty();

        produce(topic, 1, 4);
        FetchResponseData fresh = fetch(request(new FetchMetadata(sessionId, 2)));
        assertSession(fresh, Errors.NONE);
        Map<Integer, FetchResponseData.PartitionData> answered = answered(fresh, topic);
        assertThat(answered.keySet()).as("only the partition produced to").containsExactly(1);
        assertPartition(answered.get(1), 4, 0, 4);

        // The session's fetch offset for partition 1 is still 0: the records there are answered again,
        // so a client that lost a response loses no records.
        FetchResponseData again = fetch(request(new FetchMetadata(sessionId, 3)));
        assertSession(again, Errors.NONE);
        assertThat(answered(again, topic).keySet()).as("records still at the session's fetch offset").containsExactly(1);
        assertPartition(answered(again, topic).get(1), 4, 0, 4);

        FetchResponseData moved = fetch(request(new FetchMetadata(sessionId, 4)).setTopics(fetchTopics(topic, Map.of(1, 4L))));
        assertSession(moved, Errors.NONE);
        assertThat(answered(moved, topic)).as("partition 1 fetched from its end: nothing new").isEmpty();

        FetchResponseData stillQuiet = fetch(request(new FetchMetadata(sessionId, 5)));
        assertSession(stillQuiet, Errors.NONE);
        assertThat(answered(stillQuiet, topic)).as("the session kept offset 4 for partition 1").isEmpty();

        produce(topic, 1, 2);
        FetchResponseData next = fetch(request(new FetchMetadata(sessionId, 6)));
        assertSession(next, Errors.NONE);
        assertThat(answered(next, topic).keySet()).containsExactly(1);
        assertPartition(answered(next, topic).get(1), 6, 4, 2);
    }

    @Test
    void incrementalFetchAnswersAPartitionWhoseOnlyChangeIsItsLogStartOffset() throws Exception {
        Topic topic = createTopic("log-start", 2);
        produce(topic, 0, 4);
        int sessionId = openSession(topic, Map.of(0, 4L, 1, 0L));
        assertThat(answered(fetch(request(new FetchMetadata(sessionId, 1))), topic)).as("nothing changed yet").isEmpty();

        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.deleteRecords(Map.of(new TopicPartition(topic.name(), 0), RecordsToDelete.beforeOffset(2))).all()
                    .get(KafkaClients.PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }

        FetchResponseData response = fetch(request(new FetchMetadata(sessionId, 2)));
        assertSession(response, Errors.NONE);
        Map<Integer, FetchResponseData.PartitionData> answered = answered(response, topic);
        assertThat(answered.keySet()).as("the partition whose log start moved").containsExactly(0);
        assertPartition(answered.get(0), 4, 4, 0);
        assertThat(answered.get(0).logStartOffset()).as("log start offset").isEqualTo(2);

        assertThat(answered(fetch(request(new FetchMetadata(sessionId, 3))), topic)).as("the new log start was already answered").isEmpty();
    }

    @Test
    void forgottenPartitionLeavesTheSessionUntilNamedAgain() throws IOException {
        Topic topic = createTopic("forget", 3);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L, 2, 0L));

        FetchResponseData forgot = fetch(request(new FetchMetadata(sessionId, 1)).setForgottenTopicsData(List.of(
                new FetchRequestData.ForgottenTopic().setTopicId(topic.id()).setPartitions(List.of(2)))));
        assertSession(forgot, Errors.NONE);
        assertThat(answered(forgot, topic)).isEmpty();

        // Partition 1 gets records too, so the answer below is not empty for want of waiting.
        produce(topic, 1, 1);
        produce(topic, 2, 3);
        FetchResponseData afterProduce = fetch(request(new FetchMetadata(sessionId, 2)));
        assertSession(afterProduce, Errors.NONE);
        assertThat(answered(afterProduce, topic).keySet()).as("the forgotten partition 2 is not answered").containsExactly(1);

        FetchResponseData readded = fetch(request(new FetchMetadata(sessionId, 3)).setTopics(fetchTopics(topic, Map.of(1, 1L, 2, 0L))));
        assertSession(readded, Errors.NONE);
        assertThat(answered(readded, topic).keySet()).as("partition 2 named again").containsExactly(2);
        assertPartition(answered(readded, topic).get(2), 3, 0, 3);
    }

    @Test
    void forgettingEveryPartitionEndsTheSession() throws IOException {
        Topic topic = createTopic("forget-all", 2);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L));
        produce(topic, 0, 1);

        FetchResponseData emptied = fetch(request(new FetchMetadata(sessionId, 1)).setForgottenTopicsData(List.of(
                new FetchRequestData.ForgottenTopic().setTopicId(topic.id()).setPartitions(List.of(0, 1)))));
        assertSession(emptied, Errors.NONE);
        assertThat(emptied.sessionId()).as("session id once the session holds no partitions").isZero();
        assertThat(answered(emptied, topic)).isEmpty();

        assertSessionError(fetch(request(new FetchMetadata(sessionId, 2))), Errors.FETCH_SESSION_ID_NOT_FOUND);
    }

    @Test
    void wrongEpochGetsInvalidFetchSessionEpochAndLeavesTheSessionUsable() throws IOException {
        Topic topic = createTopic("epoch", 2);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L));

        assertSessionError(fetch(request(new FetchMetadata(sessionId, 2))), Errors.INVALID_FETCH_SESSION_EPOCH);

        FetchResponseData first = fetch(request(new FetchMetadata(sessionId, 1)));
        assertSession(first, Errors.NONE);
        assertThat(first.sessionId()).as("the session survived the wrong epoch").isEqualTo(sessionId);

        // A replayed request (the epoch just used) must not be served twice.
        assertSessionError(fetch(request(new FetchMetadata(sessionId, 1))), Errors.INVALID_FETCH_SESSION_EPOCH);
        produce(topic, 0, 1);
        FetchResponseData second = fetch(request(new FetchMetadata(sessionId, 2)));
        assertSession(second, Errors.NONE);
        assertThat(answered(second, topic).keySet()).containsExactly(0);
    }

    @Test
    void unknownSessionIdGetsFetchSessionIdNotFound() throws IOException {
        Topic topic = createTopic("unknown", 1);
        FetchResponseData response = fetch(request(new FetchMetadata(UNKNOWN_SESSION_ID, 1)).setTopics(fetchTopics(topic, Map.of(0, 0L))));
        assertSessionError(response, Errors.FETCH_SESSION_ID_NOT_FOUND);
    }

    @Test
    void finalEpochClosesTheSessionWithASessionlessFullAnswer() throws IOException {
        Topic topic = createTopic("close", 2);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L));
        produce(topic, 1, 2);

        FetchResponseData closing = fetch(request(new FetchMetadata(sessionId, FetchMetadata.FINAL_EPOCH))
                .setTopics(fetchTopics(topic, Map.of(0, 0L, 1, 0L))));
        assertSession(closing, Errors.NONE);
        assertThat(closing.sessionId()).as("no session after closing").isZero();
        assertThat(answered(closing, topic).keySet()).as("a full answer").containsExactly(0, 1);
        assertPartition(answered(closing, topic).get(1), 2, 0, 2);

        assertSessionError(fetch(request(new FetchMetadata(sessionId, 1))), Errors.FETCH_SESSION_ID_NOT_FOUND);
    }

    @Test
    void epochZeroOnAnOpenSessionClosesItAndOpensANewOne() throws IOException {
        Topic topic = createTopic("reopen", 2);
        int sessionId = openSession(topic, Map.of(0, 0L, 1, 0L));
        assertSession(fetch(request(new FetchMetadata(sessionId, 1))), Errors.NONE);
        produce(topic, 0, 3);

        FetchResponseData reopened = fetch(request(new FetchMetadata(sessionId, FetchMetadata.INITIAL_EPOCH))
                .setTopics(fetchTopics(topic, Map.of(0, 0L, 1, 0L))));
        assertSession(reopened, Errors.NONE);
        int newSessionId = reopened.sessionId();
        assertThat(newSessionId).as("a new session").isNotZero().isNotEqualTo(sessionId);
        assertThat(answered(reopened, topic).keySet()).as("a full answer").containsExactly(0, 1);
        assertPartition(answered(reopened, topic).get(0), 3, 0, 3);
        assertPartition(answered(reopened, topic).get(1), 0, 0, 0);

        assertSessionError(fetch(request(new FetchMetadata(sessionId, 2))), Errors.FETCH_SESSION_ID_NOT_FOUND);
        FetchResponseData next = fetch(request(new FetchMetadata(newSessionId, 1)));
        assertSession(next, Errors.NONE);
        assertThat(next.sessionId()).isEqualTo(newSessionId);
    }

    @Test
    void sessionOpenedWithTopicIdsRefusesARequestWithTopicNames() throws IOException {
        Topic topic = createTopic("ids-then-names", 1);
        int sessionId = openSession(topic, Map.of(0, 0L));

        FetchResponseData byName = fetch(TOPIC_NAMES_FETCH_V, request(new FetchMetadata(sessionId, 1)));
        assertSessionError(byName, Errors.FETCH_SESSION_TOPIC_ID_ERROR);

        FetchResponseData byId = fetch(request(new FetchMetadata(sessionId, 1)));
        assertSession(byId, Errors.NONE);
        assertThat(byId.sessionId()).as("the session survived").isEqualTo(sessionId);
    }

    @Test
    void sessionOpenedWithTopicNamesRefusesARequestWithTopicIds() throws IOException {
        Topic topic = createTopic("names-then-ids", 1);
        FetchResponseData opened = fetch(TOPIC_NAMES_FETCH_V, request(FetchMetadata.INITIAL)
                .setTopics(List.of(new FetchRequestData.FetchTopic().setTopic(topic.name()).setPartitions(List.of(partition(0, 0))))));
        assertSession(opened, Errors.NONE);
        int sessionId = opened.sessionId();
        assertThat(sessionId).as("a session opened at v12").isNotZero();

        assertSessionError(fetch(request(new FetchMetadata(sessionId, 1))), Errors.FETCH_SESSION_TOPIC_ID_ERROR);

        FetchResponseData byName = fetch(TOPIC_NAMES_FETCH_V, request(new FetchMetadata(sessionId, 1)));
        assertSession(byName, Errors.NONE);
        assertThat(byName.sessionId()).as("the session survived").isEqualTo(sessionId);
    }

    @Test
    void sessionlessFullFetchAnswersEveryPartitionWithSessionIdZero() throws IOException {
        Topic topic = createTopic("sessionless", 2);
        produce(topic, 1, 2);

        FetchResponseData response = fetch(request(FetchMetadata.LEGACY).setTopics(fetchTopics(topic, Map.of(0, 0L, 1, 0L))));

        assertSession(response, Errors.NONE);
        assertThat(response.sessionId()).as("no session").isZero();
        assertThat(answered(response, topic).keySet()).containsExactly(0, 1);
        assertPartition(answered(response, topic).get(0), 0, 0, 0);
        assertPartition(answered(response, topic).get(1), 2, 0, 2);
    }

    /**
     * Each round writes to a different subset of partitions and the consumer catches up before the
     * next, so its session-based fetches see some partitions change and others stay quiet.
     */
    @Test
    void javaConsumerReadsEveryRecordOnceInOrderWhileRecordsKeepArriving() {
        int partitions = 8;
        int rounds = 6;
        String topic = broker.topic("consumer");
        KafkaClients.createTopic(broker.bootstrap(), topic, partitions);
        List<TopicPartition> assignment = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();

        Set<Delivered> produced = new HashSet<>();
        Map<Integer, List<Delivered>> consumed = new TreeMap<>();
        Map<Integer, Long> ends = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap());
             KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(broker.bootstrap())) {
            consumer.assign(assignment);
            consumer.seekToBeginning(assignment);
            for (int round = 0; round < rounds; round++) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                List<String> values = new ArrayList<>();
                for (int p = 0; p < partitions; p++) {
                    if ((p + round) % 3 == 0) continue;
                    for (int i = 0; i < 10 + round * 7 + p; i++) {
                        String value = "round-" + round + "-p" + p + "-" + i;
                        values.add(value);
                        acks.add(producer.send(new ProducerRecord<>(topic, p, null, value.getBytes(StandardCharsets.UTF_8))));
                    }
                }
                KafkaClients.awaitAcks(acks, "round " + round);
                for (int i = 0; i < acks.size(); i++) {
                    RecordMetadata ack = acks.get(i).resultNow();
                    produced.add(new Delivered(ack.partition(), ack.offset(), values.get(i)));
                    ends.merge(ack.partition(), ack.offset() + 1, Math::max);
                }
                readUpTo(consumer, ends, consumed, "round " + round);
            }
        }

        for (Map.Entry<Integer, List<Delivered>> partition : consumed.entrySet()) {
            long[] offsets = partition.getValue().stream().mapToLong(Delivered::offset).toArray();
            assertThat(offsets).as("offsets read from partition %d, in order, each once", partition.getKey())
                    .containsExactly(LongStream.range(0, ends.get(partition.getKey())).toArray());
        }
        List<Delivered> all = consumed.values().stream().flatMap(List::stream).toList();
        assertThat(all).as("records read").hasSameSizeAs(produced).containsExactlyInAnyOrderElementsOf(produced);
    }

    private record Delivered(int partition, long offset, String value) {}

    private static void readUpTo(KafkaConsumer<byte[], byte[]> consumer, Map<Integer, Long> ends,
                                 Map<Integer, List<Delivered>> consumed, String what) {
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE); // hang guard
        while (ends.entrySet().stream().anyMatch(end -> consumed.getOrDefault(end.getKey(), List.of()).size() < end.getValue())) {
            if (Instant.now().isAfter(deadline)) fail("the consumer did not reach the end offsets " + ends + " after " + what);
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                consumed.computeIfAbsent(record.partition(), p -> new ArrayList<>())
                        .add(new Delivered(record.partition(), record.offset(), new String(record.value(), StandardCharsets.UTF_8)));
            }
        }
    }

    private Topic createTopic(String base, int partitions) throws IOException {
        String name = broker.topic(base);
        CreateTopicsResponse created = connection.request(ApiKeys.CREATE_TOPICS, Requests.CREATE_TOPICS_V,
                Requests.createTopics(name, partitions));
        CreateTopicsResponseData.CreatableTopicResult result = created.data().topics().find(name);
        assertThat(result).as("CreateTopics answer for %s", name).isNotNull();
        assertThat(Errors.forCode(result.errorCode())).as("creating %s", name).isEqualTo(Errors.NONE);
        assertThat(result.topicId()).as("topic id of %s", name).isNotEqualTo(Uuid.ZERO_UUID);
        Topic topic = new Topic(name, result.topicId(), partitions);
        awaitLeadership(topic);
        return topic;
    }

    /**
     * Waits until a sessionless fetch of every partition is answered without error. CreateTopics
     * returns before the broker leads the new partitions, and a session opened earlier would hold
     * NOT_LEADER_OR_FOLLOWER answers that the next incremental fetch then revises.
     */
    private void awaitLeadership(Topic topic) throws IOException {
        Map<Integer, Long> offsets = new HashMap<>();
        for (int p = 0; p < topic.partitions(); p++) offsets.put(p, 0L);
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE); // hang guard
        while (true) {
            FetchResponseData response = fetch(request(FetchMetadata.LEGACY).setMinBytes(0).setTopics(fetchTopics(topic, offsets)));
            Map<Integer, FetchResponseData.PartitionData> answered = answered(response, topic);
            if (response.errorCode() == Errors.NONE.code() && answered.size() == topic.partitions()
                    && answered.values().stream().allMatch(partition -> partition.errorCode() == Errors.NONE.code())) {
                return;
            }
            if (Instant.now().isAfter(deadline)) fail("the broker does not lead every partition of " + topic + ": " + response);
            Pause.sleep(50);
        }
    }

    /** Appends {@code count} records to one partition (acks=-1, so the high watermark has moved on). */
    private void produce(Topic topic, int partition, int count) throws IOException {
        ProduceResponse response = connection.request(ApiKeys.PRODUCE, Requests.PRODUCE_V,
                Requests.produce(topic.name(), partition, (short) -1, Requests.records(count)));
        ProduceResponseData.PartitionProduceResponse ack = response.data().responses().iterator().next().partitionResponses().get(0);
        assertThat(Errors.forCode(ack.errorCode())).as("produce to %s-%d", topic.name(), partition).isEqualTo(Errors.NONE);
    }

    /** Opens a session with a full fetch naming {@code offsets}; returns its id. */
    private int openSession(Topic topic, Map<Integer, Long> offsets) throws IOException {
        FetchResponseData response = fetch(request(FetchMetadata.INITIAL).setTopics(fetchTopics(topic, offsets)));
        assertSession(response, Errors.NONE);
        assertThat(response.sessionId()).as("a new session id").isNotZero();
        assertThat(answered(response, topic).keySet()).as("a full answer").containsExactlyInAnyOrderElementsOf(offsets.keySet());
        return response.sessionId();
    }

    private FetchResponseData fetch(FetchRequestData request) throws IOException {
        return fetch(fetchV, request);
    }

    private FetchResponseData fetch(short version, FetchRequestData request) throws IOException {
        FetchResponse response = connection.request(ApiKeys.FETCH, version, request);
        return response.data();
    }

    /** A consumer's fetch (no topics yet) with the session id and epoch of {@code metadata}. */
    private static FetchRequestData request(FetchMetadata metadata) {
        return new FetchRequestData()
                .setReplicaId(-1)
                .setMaxWaitMs(MAX_WAIT_MS)
                .setMinBytes(1)
                .setMaxBytes(1 << 24)
                .setIsolationLevel((byte) 0)
                .setSessionId(metadata.sessionId())
                .setSessionEpoch(metadata.epoch());
    }

    /** {@code offsets}: partition → fetch offset, as one topic-id entry. */
    private static List<FetchRequestData.FetchTopic> fetchTopics(Topic topic, Map<Integer, Long> offsets) {
        List<FetchRequestData.FetchPartition> partitions = new TreeMap<>(offsets).entrySet().stream()
                .map(entry -> partition(entry.getKey(), entry.getValue())).toList();
        return List.of(new FetchRequestData.FetchTopic().setTopicId(topic.id()).setPartitions(new ArrayList<>(partitions)));
    }

    private static FetchRequestData.FetchPartition partition(int partition, long fetchOffset) {
        return new FetchRequestData.FetchPartition()
                .setPartition(partition)
                .setFetchOffset(fetchOffset)
                .setLogStartOffset(-1)
                .setPartitionMaxBytes(PARTITION_MAX_BYTES);
    }

    /** The partitions answered for {@code topic} (by id, or by name at v12), each at most once; no other topic. */
    private static Map<Integer, FetchResponseData.PartitionData> answered(FetchResponseData response, Topic topic) {
        Map<Integer, FetchResponseData.PartitionData> byPartition = new TreeMap<>();
        for (FetchResponseData.FetchableTopicResponse topicResponse : response.responses()) {
            boolean ours = topic.id().equals(topicResponse.topicId()) || topic.name().equals(topicResponse.topic());
            assertThat(ours).as("answered topic %s / %s is the one fetched", topicResponse.topic(), topicResponse.topicId()).isTrue();
            for (FetchResponseData.PartitionData partition : topicResponse.partitions()) {
                assertThat(byPartition.put(partition.partitionIndex(), partition)).as("partition %d answered twice", partition.partitionIndex()).isNull();
            }
        }
        return byPartition;
    }

    private static void assertSession(FetchResponseData response, Errors expected) {
        assertThat(Errors.forCode(response.errorCode())).as("top-level error of %s", response).isEqualTo(expected);
    }

    /** A session-level refusal: the error, no session, no partitions. */
    private static void assertSessionError(FetchResponseData response, Errors expected) {
        assertSession(response, expected);
        assertThat(response.sessionId()).as("session id with %s", expected).isZero();
        assertThat(response.responses()).as("partitions with %s", expected).isEmpty();
    }

    /** Error NONE, the high watermark, and exactly the records at offsets [firstOffset, firstOffset + count). */
    private static void assertPartition(FetchResponseData.PartitionData partition, long highWatermark, long firstOffset, int count) {
        assertThat(Errors.forCode(partition.errorCode())).as("error of partition %d", partition.partitionIndex()).isEqualTo(Errors.NONE);
        assertThat(partition.highWatermark()).as("high watermark of partition %d", partition.partitionIndex()).isEqualTo(highWatermark);
        List<Long> offsets = new ArrayList<>();
        if (partition.records() != null) {
            for (Record record : FetchResponse.recordsOrFail(partition).records()) offsets.add(record.offset());
        }
        assertThat(offsets).as("record offsets of partition %d", partition.partitionIndex())
                .containsExactlyElementsOf(LongStream.range(firstOffset, firstOffset + count).boxed().toList());
    }
}
