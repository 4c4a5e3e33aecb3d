package io.runnel.e2e.txn;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.TransactionBrokers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka transactions (KIP-98) as Java kafka-clients use them, against one broker process:
 * commit and abort over several partitions, read_committed against read_uncommitted consumers,
 * the last stable offset while a transaction is open, fencing of a zombie producer, the
 * broker aborting a transaction past its timeout, and the coordinator's answers to requests that
 * break the protocol (sent over a raw socket at the pre-KIP-890 versions a client that adds
 * partitions explicitly uses).
 *
 * <p>Every wait is a hang guard ({@link KafkaClients#PATIENCE}), never a speed check.
 */
class TransactionsJavaIT {
    private static final Duration PATIENCE = KafkaClients.PATIENCE;
    private static final short FIND_COORDINATOR_V = 4;
    private static final short INIT_PRODUCER_ID_V = 4;
    /** v3: the last version with one transaction per request and an explicit AddPartitionsToTxn (before KIP-890's v4+). */
    private static final short ADD_PARTITIONS_TO_TXN_V = 3;
    /** v4: the last version before KIP-890's epoch bump on every EndTxn (v5), so "same epoch" means the same. */
    private static final short END_TXN_V = 4;

    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = TransactionBrokers.start("txn-java");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void readCommittedSeesExactlyTheCommittedOfInterleavedCommitsAndAbortsInOrderWhileReadUncommittedSeesAll() {
        String topic = broker.topic("txn-interleaved");
        int partitions = 4;
        KafkaClients.createTopic(broker.bootstrap(), topic, partitions);
        Map<Integer, List<String>> committed = emptyLists(partitions);
        Map<Integer, List<String>> all = emptyLists(partitions);
        int aborted = 0;
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "interleaved", Map.of())) {
            producer.initTransactions();
            int n = 0;
            for (int txn = 0; txn < 40; txn++) {
                boolean abort = txn % 3 == 2;
                producer.beginTransaction();
                // Six records over three of the four partitions, a different three each time.
                for (int r = 0; r < 6; r++, n++) {
                    int partition = (txn + r % 3) % partitions;
                    String value = "txn-" + txn + "-rec-" + n;
                    producer.send(new ProducerRecord<>(topic, partition, bytes("k" + n), bytes(value)));
                    all.get(partition).add(value);
                    if (!abort) committed.get(partition).add(value);
                }
                if (abort) {
                    producer.flush(); // the aborted records reach the log, so read_committed has something to drop
                    producer.abortTransaction();
                    aborted++;
                } else {
                    producer.commitTransaction();
                }
            }
        }
        assertThat(aborted).isEqualTo(13);

        assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED)))
                .as("read_committed: every committed record, in send order per partition, no aborted one")
                .isEqualTo(committed);
        assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED)))
                .as("read_uncommitted: every record sent, aborted ones included, in send order per partition")
                .isEqualTo(all);
    }

    @Test
    void lastStableOffsetStaysAtAnOpenTransactionsFirstOffsetUntilItCommits() throws Exception {
        String topic = broker.topic("txn-lso");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "lso", Map.of());
             Admin admin = KafkaClients.admin(broker.bootstrap())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(topic, 0, null, bytes("first-" + i)));
            producer.commitTransaction();

            producer.beginTransaction();
            List<RecordMetadata> open = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                open.add(producer.send(new ProducerRecord<>(topic, 0, null, bytes("open-" + i))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            }
            long firstOpenOffset = open.get(0).offset();
            long lastOpenOffset = open.get(4).offset();

            Map<TopicPartition, Long> highWatermarks = KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED);
            Map<TopicPartition, Long> stable = KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED);
            assertThat(highWatermarks.get(p0)).as("high watermark past the open transaction's records").isEqualTo(lastOpenOffset + 1);
            assertThat(stable.get(p0)).as("last stable offset: the open transaction's first offset").isEqualTo(firstOpenOffset);
            assertThat(stable.get(p1)).as("a partition outside the transaction: LSO = HW").isEqualTo(highWatermarks.get(p1));
            assertThat(latest(admin, p0, IsolationLevel.READ_COMMITTED)).as("ListOffsets latest, read_committed").isEqualTo(firstOpenOffset);
            assertThat(latest(admin, p0, IsolationLevel.READ_UNCOMMITTED)).as("ListOffsets latest, read_uncommitted").isEqualTo(lastOpenOffset + 1);
            assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED)).get(0))
                    .as("read_committed while the transaction is open").containsExactly("first-0", "first-1", "first-2");

            producer.commitTransaction();
            Map<TopicPartition, Long> committedEnds = KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED);
            assertThat(committedEnds).as("after the commit LSO = HW").isEqualTo(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED));
            assertThat(committedEnds.get(p0)).as("the commit marker follows the last record").isEqualTo(lastOpenOffset + 2);
            assertThat(latest(admin, p0, IsolationLevel.READ_COMMITTED)).isEqualTo(latest(admin, p0, IsolationLevel.READ_UNCOMMITTED));
            assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED)).get(0))
                    .containsExactly("first-0", "first-1", "first-2", "open-0", "open-1", "open-2", "open-3", "open-4");
        }
    }

    @Test
    void aZombieProducerIsFencedByANewInstanceOfItsTransactionalIdAndItsOpenTransactionAborted() throws Exception {
        String topic = broker.topic("txn-zombie");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        try (KafkaProducer<byte[], byte[]> zombie = KafkaClients.transactionalProducer(broker.bootstrap(), "zombie", Map.of());
             KafkaProducer<byte[], byte[]> successor = KafkaClients.transactionalProducer(broker.bootstrap(), "zombie", Map.of())) {
            zombie.initTransactions();
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>(topic, 0, null, bytes("zombie-0"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            zombie.send(new ProducerRecord<>(topic, 0, null, bytes("zombie-1"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);

            successor.initTransactions(); // bumps the epoch: the zombie's open transaction is aborted

            Throwable fenced = catchThrowable(() -> {
                zombie.send(new ProducerRecord<>(topic, 0, null, bytes("zombie-2"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                zombie.commitTransaction();
            });
            assertThat(fenced).as("the zombie's next send or commit fails").isNotNull();
            assertThat(isFencing(fenced)).as("fenced (ProducerFencedException or InvalidProducerEpochException): %s", chain(fenced)).isTrue();

            successor.beginTransaction();
            successor.send(new ProducerRecord<>(topic, 0, null, bytes("successor-0")));
            successor.commitTransaction();
        }
        assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED)).get(0))
                .as("read_committed: only the successor's record").containsExactly("successor-0");
        assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED)).get(0))
                .as("read_uncommitted: the zombie's records were in the log, aborted").contains("zombie-0", "zombie-1", "successor-0")
                .doesNotContain("zombie-2");
        assertNoneOngoing(Set.of("zombie"));
    }

    @Test
    void aTransactionLeftOpenPastItsTimeoutIsAbortedByTheBrokerAndItsProducerCannotCommit() throws Exception {
        String topic = broker.topic("txn-timeout");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        TopicPartition p0 = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "timeout",
                Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "3000"))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, bytes("late-0"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(topic, 0, null, bytes("late-1"))).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED).get(p0))
                    .as("the open transaction holds the LSO at 0").isZero();

            // The producer now stays silent. The broker must abort on its own: the abort marker
            // lifts the LSO to the high watermark.
            awaitTrue("the broker aborts the timed-out transaction (LSO reaches HW)", () ->
                    KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED)
                            .equals(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED)));
            assertThat(describe("timeout").state()).as("coordinator state of the timed-out transaction")
                    .isIn(TransactionState.PREPARE_ABORT, TransactionState.COMPLETE_ABORT);

            // Kafka 4.4 (KIP-890 transactions) answers INVALID_TXN_STATE: the transaction the
            // producer means is complete (aborted) under a bumped epoch. A coordinator that fences
            // the old epoch instead (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH) refuses just as well.
            Throwable commit = catchThrowable(producer::commitTransaction);
            assertThat(commit).as("commit after the broker aborted the transaction").isNotNull();
            assertThat(isFencing(commit) || commit instanceof InvalidTxnStateException)
                    .as("refused as fenced, invalid epoch or invalid state: %s", chain(commit)).isTrue();
        }
        assertThat(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED).get(0))
                .as("read_committed never sees the timed-out transaction's records").isEmpty();
        assertThat(values(KafkaClients.readAll(broker.bootstrap(), topic, IsolationLevel.READ_UNCOMMITTED)).get(0))
                .containsExactly("late-0", "late-1");
        assertNoneOngoing(Set.of("timeout"));
    }

    @Test
    void theCoordinatorRefusesEndTxnForAnUnknownIdAddPartitionsForAMissingTopicAndCommitAfterAbort() throws Exception {
        String topic = broker.topic("txn-bad-input");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        try (RawKafkaConnection raw = RawKafkaConnection.open(broker.bootstrap())) {
            awaitCoordinator(raw, "never-initialised");
            EndTxnResponse unknown = raw.request(ApiKeys.END_TXN, END_TXN_V, new EndTxnRequestData()
                    .setTransactionalId("never-initialised").setProducerId(424242L).setProducerEpoch((short) 0).setCommitted(true));
            assertThat(Errors.forCode(unknown.data().errorCode())).as("EndTxn for a transactional id never initialised")
                    .isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);

            InitProducerIdResponseData missingTopicProducer = initProducerId(raw, "bad-input-missing-topic");
            AddPartitionsToTxnResponseData missing = addPartitions(raw, "bad-input-missing-topic", missingTopicProducer, "no-such-topic");
            assertThat(partitionErrors(missing)).as("AddPartitionsToTxn for a topic that does not exist")
                    .isEqualTo(Map.of("no-such-topic-0", Errors.UNKNOWN_TOPIC_OR_PARTITION));

            InitProducerIdResponseData producer = initProducerId(raw, "bad-input-commit-after-abort");
            AddPartitionsToTxnResponseData added = retryWhileConcurrent(() ->
                    addPartitions(raw, "bad-input-commit-after-abort", producer, topic), r -> singleError(partitionErrors(r)));
            assertThat(partitionErrors(added)).isEqualTo(Map.of(topic + "-0", Errors.NONE));
            EndTxnResponse abort = retryWhileConcurrent(() -> endTxn(raw, "bad-input-commit-after-abort", producer, false),
                    r -> Errors.forCode(r.data().errorCode()));
            assertThat(Errors.forCode(abort.data().errorCode())).as("EndTxn abort").isEqualTo(Errors.NONE);
            // While the abort markers are being written the answer is CONCURRENT_TRANSACTIONS (retry
            // later, as a client would); once the abort is complete, the commit is refused.
            EndTxnResponse commitAfterAbort = retryWhileConcurrent(() -> endTxn(raw, "bad-input-commit-after-abort", producer, true),
                    r -> Errors.forCode(r.data().errorCode()));
            assertThat(Errors.forCode(commitAfterAbort.data().errorCode())).as("EndTxn commit, same epoch, after the abort")
                    .isEqualTo(Errors.INVALID_TXN_STATE);
        }
        assertNoneOngoing(Set.of("bad-input-missing-topic", "bad-input-commit-after-abort"));
        assertThat(describe("bad-input-commit-after-abort").state()).as("the aborted transaction stays aborted")
                .isIn(TransactionState.PREPARE_ABORT, TransactionState.COMPLETE_ABORT);
        assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic, IsolationLevel.READ_COMMITTED))
                .as("nothing was produced: no marker may hold the LSO").isEqualTo(KafkaClients.endOffsets(broker.bootstrap(), topic));
    }

    // --- raw protocol -------------------------------------------------------------------------

    private static void awaitCoordinator(RawKafkaConnection raw, String transactionalId) {
        String[] last = {"no answer yet"};
        awaitTrue(() -> "a transaction coordinator for " + transactionalId + " (FindCoordinator's last answer: " + last[0] + ")", () -> {
            FindCoordinatorResponse response = request(raw, ApiKeys.FIND_COORDINATOR, FIND_COORDINATOR_V,
                    new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of(transactionalId)));
            var coordinator = response.data().coordinators().get(0);
            last[0] = Errors.forCode(coordinator.errorCode()) + " " + coordinator.errorMessage();
            return coordinator.errorCode() == Errors.NONE.code();
        });
    }

    private static InitProducerIdResponseData initProducerId(RawKafkaConnection raw, String transactionalId) {
        awaitCoordinator(raw, transactionalId);
        InitProducerIdResponse response = retryWhileConcurrent(() -> request(raw, ApiKeys.INIT_PRODUCER_ID, INIT_PRODUCER_ID_V,
                        new InitProducerIdRequestData().setTransactionalId(transactionalId).setTransactionTimeoutMs(60_000)),
                r -> Errors.forCode(r.data().errorCode()));
        assertThat(Errors.forCode(response.data().errorCode())).as("InitProducerId for " + transactionalId).isEqualTo(Errors.NONE);
        return response.data();
    }

    private static AddPartitionsToTxnResponseData addPartitions(RawKafkaConnection raw, String transactionalId,
                                                                InitProducerIdResponseData producer, String topic) {
        AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnTopic().setName(topic).setPartitions(List.of(0)));
        AddPartitionsToTxnResponse response = request(raw, ApiKeys.ADD_PARTITIONS_TO_TXN, ADD_PARTITIONS_TO_TXN_V,
                new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(transactionalId)
                        .setV3AndBelowProducerId(producer.producerId()).setV3AndBelowProducerEpoch(producer.producerEpoch())
                        .setV3AndBelowTopics(topics));
        return response.data();
    }

    private static EndTxnResponse endTxn(RawKafkaConnection raw, String transactionalId, InitProducerIdResponseData producer,
                                         boolean commit) {
        return request(raw, ApiKeys.END_TXN, END_TXN_V, new EndTxnRequestData().setTransactionalId(transactionalId)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(commit));
    }

    /** "topic-partition" -> error of each partition of a v3 AddPartitionsToTxn response. */
    private static Map<String, Errors> partitionErrors(AddPartitionsToTxnResponseData response) {
        Map<String, Errors> errors = new TreeMap<>();
        for (AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult topic : response.resultsByTopicV3AndBelow()) {
            for (AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult partition : topic.resultsByPartition()) {
                errors.put(topic.name() + "-" + partition.partitionIndex(), Errors.forCode(partition.partitionErrorCode()));
            }
        }
        return errors;
    }

    private static Errors singleError(Map<String, Errors> errors) {
        return errors.size() == 1 ? errors.values().iterator().next() : Errors.UNKNOWN_SERVER_ERROR;
    }

    /**
     * Repeats a coordinator request while it answers with a retriable "not now" (the log still
     * loading, the previous transaction's markers still being written), as clients do.
     */
    private static <R> R retryWhileConcurrent(Supplier<R> call, Function<R, Errors> error) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (true) {
            R response = call.get();
            Errors e = error.apply(response);
            boolean retriable = e == Errors.CONCURRENT_TRANSACTIONS || e == Errors.COORDINATOR_LOAD_IN_PROGRESS
                    || e == Errors.COORDINATOR_NOT_AVAILABLE;
            if (!retriable || Instant.now().isAfter(deadline)) return response;
            sleep(100);
        }
    }

    @SuppressWarnings("unchecked")
    private static <R extends AbstractResponse> R request(RawKafkaConnection raw, ApiKeys api, short version, ApiMessage body) {
        try {
            return (R) raw.request(api, version, body);
        } catch (IOException e) {
            throw new AssertionError(api + " v" + version + ": the broker closed the connection or sent garbage\n"
                    + broker.logTail(40), e);
        }
    }

    // --- admin ----------------------------------------------------------------------------------

    private static long latest(Admin admin, TopicPartition tp, IsolationLevel isolation) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(isolation))
                .partitionResult(tp).get(PATIENCE.toSeconds(), TimeUnit.SECONDS).offset();
    }

    private static TransactionDescription describe(String transactionalId) throws Exception {
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            return admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Admin.listTransactions in state Ongoing names none of {@code ids} (after markers settle: a hang guard, not a speed check). */
    private static void assertNoneOngoing(Set<String> ids) {
        awaitTrue("no transaction of " + ids + " left Ongoing", () -> {
            try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
                Collection<TransactionListing> ongoing = admin.listTransactions(
                        new ListTransactionsOptions().filterStates(List.of(TransactionState.ONGOING)))
                        .all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                return ongoing.stream().noneMatch(t -> ids.contains(t.transactionalId()));
            } catch (Exception e) {
                throw new AssertionError("listTransactions failed", e);
            }
        });
    }

    // --- helpers --------------------------------------------------------------------------------

    static boolean isFencing(Throwable thrown) {
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException) return true;
        }
        return false;
    }

    static String chain(Throwable thrown) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) text.append(t).append(t.getCause() != null ? " <- " : "");
        return text.toString();
    }

    private static void awaitTrue(String what, Supplier<Boolean> condition) {
        awaitTrue(() -> what, condition);
    }

    private static void awaitTrue(Supplier<String> what, Supplier<Boolean> condition) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!condition.get()) {
            if (Instant.now().isAfter(deadline)) fail("waited " + PATIENCE + " for " + what.get() + "\n" + broker.logTail(40));
            sleep(200);
        }
    }

    private static Map<Integer, List<String>> emptyLists(int partitions) {
        Map<Integer, List<String>> lists = new TreeMap<>();
        for (int p = 0; p < partitions; p++) lists.put(p, new ArrayList<>());
        return lists;
    }

    static Map<Integer, List<String>> values(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> records) {
        Map<Integer, List<String>> values = new TreeMap<>();
        records.forEach((p, list) -> values.put(p, list.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList()));
        return values;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
