package io.runnel.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.ManualTime;
import io.runnel.broker.api.AddPartitionsToTxnHandler;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.PartitionLog;
import io.runnel.broker.metadata.AclImage;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.ClientQuotaImage;
import io.runnel.broker.metadata.ScramImage;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.Partition;

/**
 * One transaction shard over a real {@code __transaction_state} partition log on disk, with a
 * clock the test moves: the two-phase end of a transaction (PREPARE, markers, COMPLETE), fencing
 * by epoch bumps, timeouts, expiry, and what a fresh shard replays from the same log (a failover).
 * Marker retries run on the shard's real timers (short back-off), so a few scenarios wait for a
 * state rather than a time.
 */
class TransactionShardTest {
    static final int LEADER_EPOCH = 7;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    static final TopicPartition GONE_0 = new TopicPartition("gone", 0);

    @TempDir
    Path dataDir;
    ScheduledExecutorService io;
    ManualTime clock;
    Partition partition;
    FakeMarkers markers;
    AtomicLong nextProducerId = new AtomicLong(1000);
    volatile MetadataImage image = imageWith("orders", "gone");
    TransactionConfig config = TransactionConfig.from(Map.of("transactional.id.expiration.ms", "3600000"));

    /**
     * A stand-in for the data partitions' leaders (the lead's TxnMarkerChannel appends markers
     * locally or sends WriteTxnMarkers): it records every marker the shard asks for and answers
     * per partition from a script (NONE when none is left), so a test can make a leader fail,
     * move or vanish without a cluster. Thread-safe: the shard calls it on its I/O thread, the test reads it on its own.
     */
    static final class FakeMarkers implements TxnMarkerSender {
        record Call(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit, List<TopicPartition> partitions) {}

        final List<Call> calls = new CopyOnWriteArrayList<>();
        final Map<TopicPartition, Deque<Errors>> script = new ConcurrentHashMap<>();
        volatile Errors everyPartition; // when set, every partition answers this

        void failNext(TopicPartition tp, Errors... errors) {
            script.computeIfAbsent(tp, t -> new ArrayDeque<>()).addAll(List.of(errors));
        }

        @Override
        public CompletableFuture<Map<TopicPartition, Errors>> writeMarkers(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                                                          Collection<TopicPartition> partitions) {
            calls.add(new Call(producerId, producerEpoch, coordinatorEpoch, commit, List.copyOf(partitions)));
            Map<TopicPartition, Errors> result = new LinkedHashMap<>();
            for (TopicPartition tp : partitions) {
                Errors all = everyPartition;
                Deque<Errors> scripted = script.get(tp);
                Errors next = scripted == null ? null : scripted.poll();
                result.put(tp, all != null ? all : next != null ? next : Errors.NONE);
            }
            return CompletableFuture.completedFuture(result);
        }

        List<Call> callsFor(long producerId) {
            return calls.stream().filter(c -> c.producerId() == producerId).toList();
        }
    }

    static MetadataImage imageWith(String... topics) {
        TreeMap<String, TopicImage> byName = new TreeMap<>();
        Map<Uuid, TopicImage> byId = new HashMap<>();
        for (String name : topics) {
            TreeMap<Integer, PartitionImage> partitions = new TreeMap<>();
            for (int p = 0; p < 2; p++) partitions.put(p, new PartitionImage(p, List.of(0), List.of(0), 0, 0, 0));
            TopicImage topic = new TopicImage(name, Uuid.randomUuid(), partitions, Map.of());
            byName.put(name, topic);
            byId.put(topic.id(), topic);
        }
        return new MetadataImage(0, "test", byName, byId, new TreeMap<>(), 0, Map.of(), ScramImage.EMPTY,
                ClientQuotaImage.EMPTY, AclImage.EMPTY);
    }

    @BeforeEach
    void open() {
        io = Executors.newSingleThreadScheduledExecutor();
        clock = new ManualTime(1_700_000_000_000L);
        markers = new FakeMarkers();
        PartitionLog log = PartitionLog.open(dataDir.resolve("__transaction_state-0"), LogConfig.defaults(), false, clock);
        partition = new Partition(new TopicPartition(TransactionCoordinator.TOPIC, 0), Uuid.randomUuid(), log, LEADER_EPOCH, io,
                new FetchPurgatory(), clock);
    }

    @AfterEach
    void close() throws Exception {
        partition.close(false).get(10, TimeUnit.SECONDS);
        io.shutdownNow();
    }

    TransactionShard loadedShard() throws Exception {
        TransactionShard shard = new TransactionShard(0, partition, io, config, () -> CompletableFuture.completedFuture(nextProducerId.getAndIncrement()),
                markers, () -> image, clock);
        shard.load().get(10, TimeUnit.SECONDS);
        return shard;
    }

    <T> T on(Supplier<CompletableFuture<T>> op) throws Exception {
        return CompletableFuture.supplyAsync(op, io).thenCompose(f -> f).get(10, TimeUnit.SECONDS);
    }

    <T> T now(Supplier<T> read) throws Exception {
        return CompletableFuture.supplyAsync(read, io).get(10, TimeUnit.SECONDS);
    }

    TransactionCoordinator.InitResult init(TransactionShard shard, String id) throws Exception {
        return init(shard, id, 60_000, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
    }

    TransactionCoordinator.InitResult init(TransactionShard shard, String id, int timeoutMs, long producerId, short epoch) throws Exception {
        return on(() -> shard.initProducerId(id, timeoutMs, producerId, epoch));
    }

    Errors add(TransactionShard shard, String id, TransactionCoordinator.InitResult producer, TopicPartition... partitions) throws Exception {
        return on(() -> shard.addPartitions(id, producer.producerId(), producer.producerEpoch(), List.of(partitions)));
    }

    Errors end(TransactionShard shard, String id, TransactionCoordinator.InitResult producer, boolean commit) throws Exception {
        return on(() -> shard.endTransaction(id, producer.producerId(), producer.producerEpoch(), commit));
    }

    TransactionMetadata metadata(TransactionShard shard, String id) throws Exception {
        return now(() -> shard.metadata(id));
    }

    /** Waits (bounded, for failure only) until the id reaches {@code state}: marker retries run on the shard's own timers. */
    TransactionMetadata awaitState(TransactionShard shard, String id, TransactionState state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        TransactionMetadata m = metadata(shard, id);
        while ((m == null || m.state() != state) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            m = metadata(shard, id);
        }
        assertThat(m).isNotNull();
        assertThat(m.state()).isEqualTo(state);
        return m;
    }

    /** Waits (bounded, for failure only) until the id's tombstone is written and applied. */
    void awaitAbsent(TransactionShard shard, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (metadata(shard, id) != null && System.nanoTime() < deadline) Thread.sleep(5);
        assertThat(metadata(shard, id)).isNull();
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    void commitWritesACommitMarkerToEveryPartitionThenCompletes() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        assertThat(producer).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, 1000, (short) 0));
        assertThat(add(shard, "t1", producer, ORDERS_0, ORDERS_1)).isEqualTo(Errors.NONE);
        assertThat(metadata(shard, "t1").state()).isEqualTo(TransactionState.ONGOING);

        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.NONE);
        TransactionMetadata done = awaitState(shard, "t1", TransactionState.COMPLETE_COMMIT);

        assertThat(done.partitions()).isEmpty();
        assertThat(markers.calls).containsExactly(new FakeMarkers.Call(1000, (short) 0, LEADER_EPOCH, true, List.of(ORDERS_0, ORDERS_1)));
        // A retried EndTxn of the same outcome is answered as done; a new transaction may begin.
        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.NONE);
        assertThat(add(shard, "t1", producer, ORDERS_1)).isEqualTo(Errors.NONE);
        assertThat(metadata(shard, "t1").partitions()).containsExactly(ORDERS_1);
    }

    @Test
    void abortWritesAbortMarkersAndACommitAfterItIsInvalidTxnState() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        add(shard, "t1", producer, ORDERS_0);

        assertThat(end(shard, "t1", producer, false)).isEqualTo(Errors.NONE);
        awaitState(shard, "t1", TransactionState.COMPLETE_ABORT);

        assertThat(markers.calls).containsExactly(new FakeMarkers.Call(1000, (short) 0, LEADER_EPOCH, false, List.of(ORDERS_0)));
        assertThat(end(shard, "t1", producer, false)).isEqualTo(Errors.NONE);
        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.INVALID_TXN_STATE);
    }

    @Test
    void endTxnWithoutAnOpenTransactionIsInvalidTxnState() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(markers.calls).isEmpty();
    }

    @Test
    void aRetriedEndTxnWhileMarkersAreWrittenIsConcurrentTransactionsAndTheOppositeOutcomeInvalid() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        add(shard, "t1", producer, ORDERS_0);
        markers.everyPartition = Errors.NOT_LEADER_OR_FOLLOWER; // the leader keeps moving: stuck in PREPARE_COMMIT

        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.NONE);
        assertThat(metadata(shard, "t1").state()).isEqualTo(TransactionState.PREPARE_COMMIT);
        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(end(shard, "t1", producer, false)).isEqualTo(Errors.INVALID_TXN_STATE);
        assertThat(add(shard, "t1", producer, ORDERS_1)).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        assertThat(init(shard, "t1").error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);

        markers.everyPartition = null;
        awaitState(shard, "t1", TransactionState.COMPLETE_COMMIT);
    }

    @Test
    void failedMarkerPartitionsAreRetriedAloneUntilWritten() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        add(shard, "t1", producer, ORDERS_0, ORDERS_1);
        markers.failNext(ORDERS_1, Errors.NOT_LEADER_OR_FOLLOWER, Errors.REQUEST_TIMED_OUT);

        end(shard, "t1", producer, true);
        awaitState(shard, "t1", TransactionState.COMPLETE_COMMIT);

        assertThat(markers.calls).extracting(FakeMarkers.Call::partitions)
                .containsExactly(List.of(ORDERS_0, ORDERS_1), List.of(ORDERS_1), List.of(ORDERS_1));
    }

    @Test
    void theMarkerOfADeletedTopicIsDroppedAndTheTransactionCompletes() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        add(shard, "t1", producer, ORDERS_0, GONE_0);
        image = imageWith("orders"); // "gone" deleted after it joined the transaction
        markers.failNext(GONE_0, Errors.UNKNOWN_TOPIC_OR_PARTITION);

        end(shard, "t1", producer, true);
        awaitState(shard, "t1", TransactionState.COMPLETE_COMMIT);
        assertThat(markers.calls).hasSize(1);
    }

    @Test
    void aZombieIsFencedOnceANewInstanceInitsTheSameId() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult zombie = init(shard, "t1");
        TransactionCoordinator.InitResult fresh = init(shard, "t1");
        assertThat(fresh).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, zombie.producerId(), (short) 1));

        assertThat(add(shard, "t1", zombie, ORDERS_0)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(end(shard, "t1", zombie, true)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(on(() -> CompletableFuture.completedFuture(shard.verifyPartitions("t1", zombie.producerId(), zombie.producerEpoch(), List.of(ORDERS_0)))))
                .containsEntry(ORDERS_0, Errors.PRODUCER_FENCED);
        assertThat(add(shard, "t1", fresh, ORDERS_0)).isEqualTo(Errors.NONE);
    }

    @Test
    void reInitWhileATransactionIsOpenAbortsItAtABumpedEpochAndTheRetryBumpsAgain() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult old = init(shard, "t1");
        add(shard, "t1", old, ORDERS_0);

        assertThat(init(shard, "t1").error()).isEqualTo(Errors.CONCURRENT_TRANSACTIONS);
        awaitState(shard, "t1", TransactionState.COMPLETE_ABORT);
        assertThat(markers.calls).containsExactly(new FakeMarkers.Call(old.producerId(), (short) 1, LEADER_EPOCH, false, List.of(ORDERS_0)));

        assertThat(init(shard, "t1")).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, old.producerId(), (short) 2));
        assertThat(end(shard, "t1", old, true)).isEqualTo(Errors.PRODUCER_FENCED);
    }

    @Test
    void aTransactionPastItsTimeoutIsAbortedAndItsProducerFenced() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1", 1_000, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        add(shard, "t1", producer, ORDERS_0, ORDERS_1);

        clock.advance(1_000);
        assertThat(now(shard::abortTimedOutTransactions)).isZero(); // Kafka: start + timeout must be strictly before now
        clock.advance(1);
        assertThat(now(shard::abortTimedOutTransactions)).isEqualTo(1);
        TransactionMetadata aborted = awaitState(shard, "t1", TransactionState.COMPLETE_ABORT);

        assertThat(aborted.producerEpoch()).isEqualTo((short) 1);
        assertThat(markers.calls).containsExactly(new FakeMarkers.Call(producer.producerId(), (short) 1, LEADER_EPOCH, false, List.of(ORDERS_0, ORDERS_1)));
        assertThat(end(shard, "t1", producer, true)).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(now(shard::abortTimedOutTransactions)).isZero();
    }

    @Test
    void aNewLeaderReplaysAPreparedCommitAndFinishesItsMarkers() throws Exception {
        TransactionShard first = loadedShard();
        TransactionCoordinator.InitResult producer = init(first, "t1");
        add(first, "t1", producer, ORDERS_0, ORDERS_1);
        markers.everyPartition = Errors.NOT_LEADER_OR_FOLLOWER;
        assertThat(end(first, "t1", producer, true)).isEqualTo(Errors.NONE);
        now(() -> {
            first.close(); // failover: this coordinator goes away between the two phases
            return null;
        });
        int callsBefore = markers.calls.size();

        markers.everyPartition = null;
        TransactionShard second = loadedShard();
        awaitState(second, "t1", TransactionState.COMPLETE_COMMIT);

        assertThat(markers.calls.subList(callsBefore, markers.calls.size()))
                .containsExactly(new FakeMarkers.Call(producer.producerId(), (short) 0, LEADER_EPOCH, true, List.of(ORDERS_0, ORDERS_1)));
        // The first coordinator did nothing more after closing; a third replay sees the completed transaction.
        TransactionShard third = loadedShard();
        assertThat(metadata(third, "t1").state()).isEqualTo(TransactionState.COMPLETE_COMMIT);
        assertThat(metadata(third, "t1").producerEpoch()).isZero();
    }

    @Test
    void replayRestoresProducerIdEpochPartitionsAndTimestamps() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1", 30_000, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        clock.advance(5);
        add(shard, "t1", producer, ORDERS_0, ORDERS_1);
        TransactionMetadata written = metadata(shard, "t1");

        TransactionMetadata replayed = metadata(loadedShard(), "t1");
        assertThat(replayed).isEqualTo(written);
        assertThat(replayed.timeoutMs()).isEqualTo(30_000);
        assertThat(replayed.startTimestampMs()).isEqualTo(clock.milliseconds());
    }

    @Test
    void anUnknownIdOrProducerIdIsInvalidProducerIdMapping() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult nobody = new TransactionCoordinator.InitResult(Errors.NONE, 42, (short) 0);
        assertThat(add(shard, "nobody", nobody, ORDERS_0)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(end(shard, "nobody", nobody, true)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
        assertThat(now(() -> shard.describe("nobody")).errorCode()).isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());

        init(shard, "t1");
        assertThat(add(shard, "t1", nobody, ORDERS_0)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);
    }

    @Test
    void addPartitionsNamingAMissingTopicRefusesThoseAndDoesNotAttemptTheRest() {
        Map<TopicPartition, Errors> refused = AddPartitionsToTxnHandler.refuseUnknown(imageWith("orders"),
                List.of(ORDERS_0, new TopicPartition("missing", 0), new TopicPartition("orders", 9)));
        assertThat(refused).containsExactly(Map.entry(ORDERS_0, Errors.OPERATION_NOT_ATTEMPTED),
                Map.entry(new TopicPartition("missing", 0), Errors.UNKNOWN_TOPIC_OR_PARTITION),
                Map.entry(new TopicPartition("orders", 9), Errors.UNKNOWN_TOPIC_OR_PARTITION));
        assertThat(AddPartitionsToTxnHandler.refuseUnknown(imageWith("orders"), List.of(ORDERS_0, ORDERS_1))).isNull();
    }

    @Test
    void verifyOnlyAnswersWhetherEachPartitionIsInTheTransactionWithoutWriting() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult producer = init(shard, "t1");
        add(shard, "t1", producer, ORDERS_0);
        long endOffset = partition.logEndOffset();

        Map<TopicPartition, Errors> verified = now(() -> shard.verifyPartitions("t1", producer.producerId(), producer.producerEpoch(),
                List.of(ORDERS_0, ORDERS_1)));
        assertThat(verified).containsExactly(Map.entry(ORDERS_0, Errors.NONE), Map.entry(ORDERS_1, Errors.TRANSACTION_ABORTABLE));
        assertThat(partition.logEndOffset()).isEqualTo(endOffset);
    }

    @Test
    void aProducerNamingAnOlderEpochIsFencedAndOneRetryingItsOwnBumpGetsTheSameAnswer() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult first = init(shard, "t1");
        TransactionCoordinator.InitResult bumped = init(shard, "t1", 60_000, first.producerId(), first.producerEpoch());
        assertThat(bumped).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, first.producerId(), (short) 1));

        // The same request again (its answer was lost): the same epoch, not another bump.
        assertThat(init(shard, "t1", 60_000, first.producerId(), first.producerEpoch())).isEqualTo(bumped);
        assertThat(init(shard, "t1", 60_000, first.producerId(), (short) 5)).isEqualTo(TransactionCoordinator.InitResult.error(Errors.PRODUCER_FENCED));
        assertThat(init(shard, "t1", 60_000, 4242, (short) 1)).isEqualTo(TransactionCoordinator.InitResult.error(Errors.PRODUCER_FENCED));
    }

    @Test
    void anExhaustedEpochGetsANewProducerIdAndARetryOfThatInitGetsTheSameOne() throws Exception {
        short exhausted = TransactionMetadata.EPOCH_EXHAUSTED;
        TransactionMetadata old = new TransactionMetadata("t1", 77, RecordBatch.NO_PRODUCER_ID, exhausted, RecordBatch.NO_PRODUCER_EPOCH, 60_000,
                TransactionState.COMPLETE_COMMIT, Set.of(), clock.milliseconds(), clock.milliseconds());
        MemoryRecords record = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(clock.milliseconds(), TransactionRecords.key("t1"), TransactionRecords.value(old)));
        assertThat(partition.appendRecordsToLeader(record).get(10, TimeUnit.SECONDS).error()).isEqualTo(Errors.NONE);
        TransactionShard shard = loadedShard();

        TransactionCoordinator.InitResult rotated = init(shard, "t1", 60_000, 77, exhausted);
        assertThat(rotated).isEqualTo(new TransactionCoordinator.InitResult(Errors.NONE, 1000, (short) 0));
        assertThat(init(shard, "t1", 60_000, 77, exhausted)).isEqualTo(rotated);
    }

    @Test
    void anInvalidTimeoutOrEmptyIdIsRefusedBeforeAnyShard() throws Exception {
        TransactionCoordinator coordinator = new TransactionCoordinator(null, null, null, () -> CompletableFuture.completedFuture(1L), markers,
                config, clock);
        assertThat(coordinator.initProducerId("t1", config.maxTimeoutMs() + 1, -1, (short) -1).get().error()).isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(coordinator.initProducerId("t1", 0, -1, (short) -1).get().error()).isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
        assertThat(coordinator.initProducerId("", 1000, -1, (short) -1).get().error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(coordinator.endTransaction(null, 1, (short) 0, true).get()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(coordinator.addPartitions("", 1, (short) 0, List.of(ORDERS_0)).get()).isEqualTo(Errors.INVALID_REQUEST);
    }

    @Test
    void anIdIdlePastItsExpirationIsForgottenAndStaysForgottenAfterReplay() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult idle = init(shard, "idle");
        TransactionCoordinator.InitResult busy = init(shard, "busy");
        add(shard, "busy", busy, ORDERS_0);

        clock.advance(config.transactionalIdExpirationMs() - 1);
        assertThat(now(shard::expireTransactionalIds)).isZero();
        clock.advance(1);
        assertThat(now(shard::expireTransactionalIds)).isEqualTo(1); // an Ongoing transaction is never expired
        awaitAbsent(shard, "idle");
        assertThat(add(shard, "idle", idle, ORDERS_0)).isEqualTo(Errors.INVALID_PRODUCER_ID_MAPPING);

        TransactionShard replayed = loadedShard();
        assertThat(metadata(replayed, "idle")).isNull();
        assertThat(metadata(replayed, "busy").state()).isEqualTo(TransactionState.ONGOING);
    }

    @Test
    void listFiltersByStateProducerIdDurationAndPatternAndDescribeShowsTheTransaction() throws Exception {
        TransactionShard shard = loadedShard();
        TransactionCoordinator.InitResult open = init(shard, "app-open");
        add(shard, "app-open", open, ORDERS_1, ORDERS_0);
        TransactionCoordinator.InitResult done = init(shard, "other-done");
        add(shard, "other-done", done, ORDERS_0);
        end(shard, "other-done", done, true);
        awaitState(shard, "other-done", TransactionState.COMPLETE_COMMIT);
        long openedAtMs = clock.milliseconds();
        clock.advance(10_000);

        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(), Set.of(), -1, null))).containsExactlyInAnyOrder("app-open", "other-done");
        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(TransactionState.ONGOING), Set.of(), -1, null))).containsExactly("app-open");
        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(), Set.of(done.producerId()), -1, null))).containsExactly("other-done");
        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(TransactionState.ONGOING), Set.of(), 9_999, null))).containsExactly("app-open");
        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(TransactionState.ONGOING), Set.of(), 10_000, null))).isEmpty();
        assertThat(list(shard, new TransactionCoordinator.ListFilter(Set.of(), Set.of(), -1, Pattern.compile("app-.*")))).containsExactly("app-open");

        DescribeTransactionsResponseData.TransactionState described = now(() -> shard.describe("app-open"));
        assertThat(described.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(described.transactionState()).isEqualTo("Ongoing");
        assertThat(described.producerId()).isEqualTo(open.producerId());
        assertThat(described.producerEpoch()).isEqualTo(open.producerEpoch());
        assertThat(described.transactionTimeoutMs()).isEqualTo(60_000);
        assertThat(described.transactionStartTimeMs()).isEqualTo(openedAtMs);
        assertThat(described.topics()).hasSize(1);
        assertThat(described.topics().find("orders").partitions()).containsExactlyInAnyOrder(0, 1);
        assertThat(now(() -> shard.describe("other-done")).transactionState()).isEqualTo("CompleteCommit");
    }

    List<String> list(TransactionShard shard, TransactionCoordinator.ListFilter filter) throws Exception {
        return now(() -> shard.list(filter)).stream().map(ListTransactionsResponseData.TransactionState::transactionalId).toList();
    }
}
