package io.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.ManualTime;
import io.runnel.broker.log.AppendOrigin;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.PartitionLog;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.Partition;

/**
 * Transactional offset commits on one shard (KIP-98, KIP-447): pending until the producer's
 * marker, invisible meanwhile except as UNSTABLE_OFFSET_COMMIT under require_stable, committed or
 * dropped by the marker, never clobbering a later regular commit, and rebuilt the same from the log.
 *
 * <p>Two kinds of test: the rules, driven through {@link GroupShard#replayBatch} with batches
 * built here (the same code the loader runs, no log needed); and the path through a real log
 * (TxnOffsetCommit append, marker as WriteTxnMarkers writes it, reload).
 */
class TransactionalOffsetsTest {
    static final TopicPartition TP0 = new TopicPartition("orders", 0);
    static final TopicPartition TP1 = new TopicPartition("orders", 1);
    static final long PID = 4000L;
    static final short EPOCH = 3;

    @TempDir
    Path dataDir;
    ScheduledExecutorService io;
    ManualTime clock;
    Partition partition;
    GroupConfig config = GroupConfig.from(Map.of("group.initial.rebalance.delay.ms", "0", "group.min.session.timeout.ms", "1"));

    @BeforeEach
    void open() {
        io = Executors.newSingleThreadScheduledExecutor();
        clock = new ManualTime(1_700_000_000_000L);
        PartitionLog log = PartitionLog.open(dataDir.resolve("__consumer_offsets-0"), LogConfig.defaults(), false, clock);
        partition = new Partition(new TopicPartition(GroupConfig.OFFSETS_TOPIC, 0), Uuid.randomUuid(), log, 0, io, new FetchPurgatory(), clock);
    }

    @AfterEach
    void close() throws Exception {
        partition.close(false).get(10, TimeUnit.SECONDS);
        io.shutdownNow();
    }

    GroupShard loadedShard() throws Exception {
        GroupShard shard = new GroupShard(0, partition, io, config, clock, () -> MetadataImage.empty("test"));
        shard.load().get(10, TimeUnit.SECONDS);
        return shard;
    }

    <T> T on(Supplier<CompletableFuture<T>> op) throws Exception {
        return CompletableFuture.supplyAsync(op, io).thenCompose(f -> f).get(10, TimeUnit.SECONDS);
    }

    <T> T now(Supplier<T> op) throws Exception {
        return on(() -> CompletableFuture.completedFuture(op.get()));
    }

    // ------------------------------------------------------------------ batches as the log holds them

    static SimpleRecord offsetRecord(String group, TopicPartition tp, long offset) {
        CommittedOffset value = new CommittedOffset(offset, -1, "", 1L, -1);
        return new SimpleRecord(1L, GroupRecords.offsetKey(group, tp), GroupRecords.offsetValue(value));
    }

    static RecordBatch txnBatch(long baseOffset, long producerId, SimpleRecord... records) {
        return MemoryRecords.withTransactionalRecords(baseOffset, Compression.NONE, producerId, EPOCH, 0, 0, records)
                .batches().iterator().next();
    }

    static RecordBatch regularBatch(long baseOffset, SimpleRecord... records) {
        return MemoryRecords.withRecords(baseOffset, Compression.NONE, records).batches().iterator().next();
    }

    static RecordBatch marker(long offset, long producerId, boolean commit) {
        return MemoryRecords.withEndTransactionMarker(offset, 1L, 0, producerId, EPOCH,
                new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0)).batches().iterator().next();
    }

    void replay(GroupShard shard, RecordBatch... batches) throws Exception {
        now(() -> {
            for (RecordBatch b : batches) shard.replayBatch(b, b.baseOffset());
            return null;
        });
    }

    GroupCoordinator.FetchResult fetch(GroupShard shard, String group, boolean requireStable, TopicPartition... tps) throws Exception {
        return now(() -> shard.fetchOffsets(group, null, -1, tps.length == 0 ? null : List.of(tps), requireStable));
    }

    Map<TopicPartition, CommittedOffset> committed(GroupShard shard, String group) throws Exception {
        return fetch(shard, group, false).offsets();
    }

    // ------------------------------------------------------------------ the rules (replay-driven)

    @Test
    void pendingOffsetsAreInvisibleUntilTheCommitMarkerThenCommitted() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, txnBatch(0, PID, offsetRecord("g", TP0, 42), offsetRecord("g", TP1, 7)));

        assertThat(committed(shard, "g")).isEmpty();
        assertThat(fetch(shard, "g", false, TP0).offsets().get(TP0)).isNull();
        assertThat(fetch(shard, "g", true, TP0, TP1).unstable()).containsExactlyInAnyOrder(TP0, TP1);
        assertThat(now(shard::committedOffsets)).doesNotContainKey("g"); // lag metrics do not see it either

        replay(shard, marker(2, PID, true));
        assertThat(committed(shard, "g")).containsOnlyKeys(TP0, TP1);
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(42);
        assertThat(fetch(shard, "g", true, TP0).unstable()).isEmpty();
    }

    @Test
    void abortMarkerDropsPendingOffsetsAndKeepsTheCommittedOnes() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, regularBatch(0, offsetRecord("g", TP0, 5)), txnBatch(1, PID, offsetRecord("g", TP0, 9)));
        assertThat(fetch(shard, "g", false, TP0).offsets().get(TP0).offset()).isEqualTo(5); // require_stable=false: the last committed
        assertThat(fetch(shard, "g", true, TP0).unstable()).containsExactly(TP0);

        replay(shard, marker(2, PID, false));
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(5);
        assertThat(fetch(shard, "g", true, TP0).unstable()).isEmpty();
        assertThat(now(() -> shard.pendingTxn.openProducers())).isEmpty();
    }

    @Test
    void aRegularCommitWrittenAfterThePendingTxnCommitIsNotClobberedByTheMarker() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, txnBatch(0, PID, offsetRecord("g", TP0, 100), offsetRecord("g", TP1, 100)),
                regularBatch(1, offsetRecord("g", TP0, 150)), // after the txn's record, before its marker
                marker(3, PID, true));
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(150);
        assertThat(committed(shard, "g").get(TP1).offset()).isEqualTo(100);
    }

    @Test
    void aTxnCommitWrittenAfterARegularCommitWinsAtItsMarker() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, regularBatch(0, offsetRecord("g", TP0, 150)), txnBatch(1, PID, offsetRecord("g", TP0, 100)), marker(2, PID, true));
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(100);
    }

    @Test
    void aMarkerOnlyEndsItsOwnProducersTransaction() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, txnBatch(0, PID, offsetRecord("g", TP0, 1)), txnBatch(1, PID + 1, offsetRecord("g", TP1, 2)), marker(2, PID, true));
        assertThat(committed(shard, "g")).containsOnlyKeys(TP0);
        assertThat(fetch(shard, "g", true, TP1).unstable()).containsExactly(TP1);
        replay(shard, marker(3, PID + 1, true), marker(4, 999L, true)); // a producer with nothing pending: no-op
        assertThat(committed(shard, "g")).containsOnlyKeys(TP0, TP1);
    }

    @Test
    void aTombstoneDropsPendingOffsetsOfItsPartition() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, txnBatch(0, PID, offsetRecord("g", TP0, 1), offsetRecord("g", TP1, 2)),
                regularBatch(1, new SimpleRecord(1L, GroupRecords.offsetKey("g", TP0), null)), marker(2, PID, true));
        assertThat(committed(shard, "g")).containsOnlyKeys(TP1);
    }

    @Test
    void aGroupKnownOnlyByPendingOffsetsIsAnEmptySimpleGroupThatExpiryKeepsUntilTheMarker() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, txnBatch(0, PID, offsetRecord("pending-only", TP0, 1)));
        assertThat(now(() -> shard.stateOf("pending-only"))).isEqualTo(GroupState.EMPTY);
        clock.advance(config.offsetsRetentionMs() * 2);
        assertThat(on(shard::expireOffsets)).isZero();
        assertThat(now(() -> shard.stateOf("pending-only"))).isEqualTo(GroupState.EMPTY); // an open transaction keeps it
    }

    @Test
    void anExpiredOffsetIsKeptWhileATransactionHasAPendingOffsetForIt() throws Exception {
        GroupShard shard = loadedShard();
        replay(shard, regularBatch(0, offsetRecord("g", TP0, 5), offsetRecord("g", TP1, 5)), txnBatch(2, PID, offsetRecord("g", TP0, 9)));
        clock.advance(config.offsetsRetentionMs() * 2);
        assertThat(on(shard::expireOffsets)).isEqualTo(1); // TP1 only
        assertThat(committed(shard, "g")).containsOnlyKeys(TP0);
    }

    // ------------------------------------------------------------------ KIP-447 fencing

    @Test
    void aGroupThatDoesNotExistAcceptsOnlyGenerationMinusOne() throws Exception {
        GroupShard shard = loadedShard();
        assertThat(now(() -> shard.validateTxnCommit("new", -1, "", null, (short) 3))).isEqualTo(Errors.NONE);
        assertThat(now(() -> shard.validateTxnCommit("new", 1, "m", null, (short) 3))).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(now(() -> shard.validateTxnCommit("new", 1, "m", null, (short) 6))).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    @Test
    void aClassicGroupFencesStaleGenerationsUnknownMembersAndOldStaticInstances() throws Exception {
        GroupShard shard = loadedShard();
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        protocols.put("range", RawGroups.subscription("orders"));
        var join = new GroupCoordinator.JoinParams("eos", "", "instance-1", "client", "/127.0.0.1", "consumer", protocols, 30_000, 30_000, (short) 9);
        JoinGroupResponseData joined = on(() -> shard.join(join));
        assertThat(joined.errorCode()).isZero();
        String member = joined.memberId();
        int generation = joined.generationId();
        // Joined but not synced (CompletingRebalance): a transactional commit is not refused for that.
        assertThat(now(() -> shard.validateTxnCommit("eos", generation, member, "instance-1", (short) 3))).isEqualTo(Errors.NONE);
        assertThat(now(() -> shard.validateTxnCommit("eos", generation + 1, member, "instance-1", (short) 3))).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(now(() -> shard.validateTxnCommit("eos", generation, "someone-else", null, (short) 3))).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(now(() -> shard.validateTxnCommit("eos", generation, "old-incarnation", "instance-1", (short) 3))).isEqualTo(Errors.FENCED_INSTANCE_ID);
        assertThat(now(() -> shard.validateTxnCommit("eos", generation, member, "instance-2", (short) 3))).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        // The pre-KIP-447 producer sends no group metadata: nothing to fence, members or not.
        assertThat(now(() -> shard.validateTxnCommit("eos", -1, "", null, (short) 2))).isEqualTo(Errors.NONE);
    }

    @Test
    void aConsumerGroupFencesUnknownMembersAndStaleEpochs() {
        ConsumerGroup group = new ConsumerGroup("kip848");
        assertThat(ConsumerGroups.validateTxnCommit(group, -1, "", null, (short) 3)).isEqualTo(Errors.NONE);
        assertThat(ConsumerGroups.validateTxnCommit(group, 4, "ghost", null, (short) 3)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        group.putMember(ConsumerGroupMember.joining("m1", null));
        int epoch = group.members.get("m1").memberEpoch();
        assertThat(ConsumerGroups.validateTxnCommit(group, epoch, "m1", null, (short) 3)).isEqualTo(Errors.NONE);
        assertThat(ConsumerGroups.validateTxnCommit(group, -1, "", null, (short) 3)).isEqualTo(Errors.NONE); // no metadata: not checked
        assertThat(ConsumerGroups.validateTxnCommit(group, epoch + 1, "m1", null, (short) 5)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(ConsumerGroups.validateTxnCommit(group, epoch + 1, "m1", null, (short) 6)).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(ConsumerGroups.validateTxnCommit(group, epoch, "ghost", null, (short) 3)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aFencedCommitWritesNothing() throws Exception {
        GroupShard shard = loadedShard();
        long end = partition.logEndOffset();
        Map<TopicPartition, Errors> result = on(() -> shard.commitTransactional("nobody", PID, EPOCH, 3, "m", null,
                List.of(new GroupCoordinator.OffsetCommit(TP0, 1, -1, "")), (short) 3));
        assertThat(result).containsEntry(TP0, Errors.ILLEGAL_GENERATION);
        assertThat(partition.logEndOffset()).isEqualTo(end);
    }

    @Test
    void metadataOverTheLimitIsRefusedPerPartition() throws Exception {
        GroupShard shard = loadedShard();
        String tooLong = "x".repeat(config.offsetMetadataMaxBytes() + 1);
        Map<TopicPartition, Errors> result = on(() -> shard.commitTransactional("g", PID, EPOCH, -1, "", null,
                List.of(new GroupCoordinator.OffsetCommit(TP0, 1, -1, tooLong)), (short) 3));
        assertThat(result).containsEntry(TP0, Errors.OFFSET_METADATA_TOO_LARGE);
    }

    // ------------------------------------------------------------------ through the log (needs coordinator transactional appends)

    Map<TopicPartition, Errors> txnCommit(GroupShard shard, long producerId, TopicPartition tp, long offset) throws Exception {
        Map<TopicPartition, Errors> result = on(() -> shard.commitTransactional("g", producerId, EPOCH, -1, "", null,
                List.of(new GroupCoordinator.OffsetCommit(tp, offset, 2, "txn-" + offset)), (short) 4));
        return result;
    }

    /** What the WriteTxnMarkers path does: the marker into the log, then the coordinator told. */
    void writeMarker(GroupShard shard, long producerId, boolean commit) throws Exception {
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(clock.milliseconds(), producerId, EPOCH,
                new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 0));
        assertThat(partition.appendRecordsToLeader(marker, AppendOrigin.COORDINATOR).get(10, TimeUnit.SECONDS).error()).isEqualTo(Errors.NONE);
        now(() -> {
            shard.completeTransaction(producerId, commit);
            return null;
        });
    }

    @Test
    void txnCommitThenCommitMarkerMakesOffsetsVisibleAndReloadsSo() throws Exception {
        GroupShard shard = loadedShard();
        assertThat(txnCommit(shard, PID, TP0, 42)).containsEntry(TP0, Errors.NONE);
        assertThat(committed(shard, "g")).isEmpty();
        assertThat(fetch(shard, "g", true, TP0).unstable()).containsExactly(TP0);

        writeMarker(shard, PID, true);
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(42);

        GroupShard reloaded = loadedShard();
        assertThat(committed(reloaded, "g").get(TP0)).satisfies(o -> {
            assertThat(o.offset()).isEqualTo(42);
            assertThat(o.metadata()).isEqualTo("txn-42");
            assertThat(o.leaderEpoch()).isEqualTo(2);
        });
        assertThat(fetch(reloaded, "g", true, TP0).unstable()).isEmpty();
    }

    @Test
    void txnCommitThenAbortMarkerDropsOffsetsAndReloadsSo() throws Exception {
        GroupShard shard = loadedShard();
        txnCommit(shard, PID, TP0, 42);
        writeMarker(shard, PID, false);
        assertThat(committed(shard, "g")).isEmpty();

        GroupShard reloaded = loadedShard();
        assertThat(committed(reloaded, "g")).isEmpty();
        assertThat(fetch(reloaded, "g", true, TP0).unstable()).isEmpty();
    }

    @Test
    void aTransactionWithoutItsMarkerIsStillPendingAfterReloadAndEndsWhenItArrives() throws Exception {
        GroupShard shard = loadedShard();
        txnCommit(shard, PID, TP0, 42);

        GroupShard reloaded = loadedShard();
        assertThat(committed(reloaded, "g")).isEmpty();
        assertThat(fetch(reloaded, "g", true, TP0).unstable()).containsExactly(TP0);

        writeMarker(reloaded, PID, true);
        assertThat(committed(reloaded, "g").get(TP0).offset()).isEqualTo(42);
    }

    @Test
    void aRegularCommitAfterThePendingTxnCommitSurvivesTheMarkerAndTheReload() throws Exception {
        GroupShard shard = loadedShard();
        txnCommit(shard, PID, TP0, 100);
        assertThat(on(() -> shard.commit("g", -1, "", null, -1, List.of(new GroupCoordinator.OffsetCommit(TP0, 150, -1, "")), (short) 9)))
                .containsEntry(TP0, Errors.NONE);
        writeMarker(shard, PID, true);
        assertThat(committed(shard, "g").get(TP0).offset()).isEqualTo(150);
        assertThat(committed(loadedShard(), "g").get(TP0).offset()).isEqualTo(150);
    }

    @Test
    void deleteGroupWithOnlyPendingOffsetsTombstonesThemAndTheMarkerFindsNothing() throws Exception {
        GroupShard shard = loadedShard();
        txnCommit(shard, PID, TP0, 42);
        assertThat(on(() -> shard.deleteGroup("g"))).isEqualTo(Errors.NONE);
        writeMarker(shard, PID, true);
        assertThat(committed(shard, "g")).isEmpty();
        assertThat(committed(loadedShard(), "g")).isEmpty();
    }
}
