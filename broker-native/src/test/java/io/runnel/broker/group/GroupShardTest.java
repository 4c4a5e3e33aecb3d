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
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.log.LogConfig;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.log.PartitionLog;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.ManualTime;

/**
 * One shard over a real partition log on disk with a clock the test moves: what is written is
 * what a fresh shard replays (latest value per key, tombstones delete), and
 * {@code offsets.retention.minutes} expires exactly the offsets Kafka would, writing tombstones
 * first.
 */
class GroupShardTest {
    static final long RETENTION_MS = 60 * 60_000L; // offsets.retention.minutes=60
    static final TopicPartition TP0 = new TopicPartition("orders", 0);
    static final TopicPartition TP1 = new TopicPartition("orders", 1);

    @TempDir
    Path dataDir;
    ScheduledExecutorService io;
    ManualTime clock;
    Partition partition;
    GroupConfig config = GroupConfig.from(Map.of("offsets.retention.minutes", "60", "group.initial.rebalance.delay.ms", "0",
            "group.min.session.timeout.ms", "1"));

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

    Map<TopicPartition, Errors> simpleCommit(GroupShard shard, String group, TopicPartition tp, long offset, long expireTimestampMs) throws Exception {
        return on(() -> shard.commit(group, -1, "", null, expireTimestampMs,
                List.of(new GroupCoordinator.OffsetCommit(tp, offset, 3, "meta-" + offset)), (short) 9));
    }

    Map<TopicPartition, CommittedOffset> offsets(GroupShard shard, String group) throws Exception {
        return on(() -> CompletableFuture.completedFuture(shard.fetchOffsets(group, null, -1, null).offsets()));
    }

    @Test
    void replayKeepsTheLatestCommitPerPartitionWithItsMetadataAndEpoch() throws Exception {
        GroupShard shard = loadedShard();
        assertThat(simpleCommit(shard, "g", TP0, 5, -1)).containsEntry(TP0, Errors.NONE);
        assertThat(simpleCommit(shard, "g", TP0, 9, -1)).containsEntry(TP0, Errors.NONE);
        assertThat(simpleCommit(shard, "g", TP1, 2, -1)).containsEntry(TP1, Errors.NONE);

        GroupShard replayed = loadedShard();
        Map<TopicPartition, CommittedOffset> offsets = offsets(replayed, "g");
        assertThat(offsets).containsOnlyKeys(TP0, TP1);
        assertThat(offsets.get(TP0).offset()).isEqualTo(9);
        assertThat(offsets.get(TP0).metadata()).isEqualTo("meta-9");
        assertThat(offsets.get(TP0).leaderEpoch()).isEqualTo(3);
        assertThat(offsets.get(TP0).commitTimestampMs()).isEqualTo(clock.milliseconds());
    }

    @Test
    void aRecordThatIsNotACoordinatorRecordIsSkippedOnReplay() throws Exception {
        GroupShard shard = loadedShard();
        simpleCommit(shard, "g", TP0, 5, -1);
        var garbage = org.apache.kafka.common.record.internal.MemoryRecords.withRecords(org.apache.kafka.common.compress.Compression.NONE,
                new org.apache.kafka.common.record.internal.SimpleRecord("not-a-key".getBytes(), "not-a-value".getBytes()));
        assertThat(partition.appendRecordsToLeader(garbage).get(10, TimeUnit.SECONDS).error()).isEqualTo(Errors.NONE);
        simpleCommit(shard, "g", TP1, 6, -1);

        GroupShard replayed = loadedShard();
        assertThat(offsets(replayed, "g")).containsOnlyKeys(TP0, TP1);
    }

    @Test
    void deletedGroupStaysDeletedAfterReplay() throws Exception {
        GroupShard shard = loadedShard();
        simpleCommit(shard, "doomed", TP0, 5, -1);
        simpleCommit(shard, "kept", TP0, 6, -1);
        assertThat(on(() -> shard.deleteGroup("doomed"))).isEqualTo(Errors.NONE);
        assertThat(on(() -> shard.deleteGroup("doomed"))).isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        GroupShard replayed = loadedShard();
        assertThat(offsets(replayed, "doomed")).isEmpty();
        assertThat(offsets(replayed, "kept")).containsOnlyKeys(TP0);
        assertThat(on(() -> CompletableFuture.completedFuture(replayed.list()))).extracting(GroupCoordinator.Listing::groupId).containsExactly("kept");
    }

    @Test
    void simpleConsumerOffsetsExpireARetentionAfterTheirCommitAndStayExpiredAfterReplay() throws Exception {
        GroupShard shard = loadedShard();
        simpleCommit(shard, "simple", TP0, 5, -1);
        clock.advance(RETENTION_MS / 2);
        simpleCommit(shard, "simple", TP1, 7, -1);

        clock.advance(RETENTION_MS / 2 - 1);
        assertThat(on(shard::expireOffsets)).isZero();
        clock.advance(1);
        assertThat(on(shard::expireOffsets)).isEqualTo(1); // TP0 only: TP1 is younger
        assertThat(offsets(shard, "simple")).containsOnlyKeys(TP1);

        clock.advance(RETENTION_MS / 2);
        assertThat(on(shard::expireOffsets)).isEqualTo(1);
        assertThat(on(() -> CompletableFuture.completedFuture(shard.list()))).isEmpty(); // no offsets, no members: the group goes too

        GroupShard replayed = loadedShard();
        assertThat(offsets(replayed, "simple")).isEmpty();
        assertThat(on(() -> CompletableFuture.completedFuture(replayed.list()))).isEmpty();
    }

    @Test
    void anOldCommitWithItsOwnRetentionExpiresAtItsExpireTimestamp() throws Exception {
        GroupShard shard = loadedShard();
        simpleCommit(shard, "old-client", TP0, 5, clock.milliseconds() + 1_000);
        clock.advance(999);
        assertThat(on(shard::expireOffsets)).isZero();
        clock.advance(1);
        assertThat(on(shard::expireOffsets)).isEqualTo(1);
    }

    @Test
    void aConsumerGroupKeepsItsOffsetsWhileItHasMembersAndLosesThemARetentionAfterItEmptied() throws Exception {
        GroupShard shard = loadedShard();
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        protocols.put("range", RawGroups.subscription("orders"));
        var join = new GroupCoordinator.JoinParams("live", "", null, "client", "/127.0.0.1", "consumer", protocols, 30_000, 30_000, (short) 3);
        JoinGroupResponseData joined = on(() -> shard.join(join));
        assertThat(joined.errorCode()).isZero();
        String member = joined.memberId();
        assertThat(on(() -> shard.sync("live", joined.generationId(), member, null, null, null,
                Map.of(member, RawGroups.assignment(TP0)))).errorCode()).isZero();
        assertThat(on(() -> shard.commit("live", joined.generationId(), member, null, -1,
                List.of(new GroupCoordinator.OffsetCommit(TP0, 11, -1, "")), (short) 9))).containsEntry(TP0, Errors.NONE);

        clock.advance(2 * RETENTION_MS);
        assertThat(on(shard::expireOffsets)).isZero(); // subscribed and alive: kept however old

        on(() -> CompletableFuture.completedFuture(shard.leave("live", List.of(new GroupCoordinator.LeavingMember(member, null)))));
        waitForState(shard, "live", GroupState.EMPTY);
        clock.advance(RETENTION_MS - 1);
        assertThat(on(shard::expireOffsets)).isZero();
        clock.advance(1);
        assertThat(on(shard::expireOffsets)).isEqualTo(1);

        GroupShard replayed = loadedShard();
        assertThat(offsets(replayed, "live")).isEmpty();
    }

    @Test
    void aLiveConsumerGroupLosesOnlyTheOffsetsOfTopicsItNoLongerSubscribesTo() throws Exception {
        GroupShard shard = loadedShard();
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        protocols.put("range", RawGroups.subscription("orders"));
        var join = new GroupCoordinator.JoinParams("moved-on", "", null, "client", "/127.0.0.1", "consumer", protocols, 30_000, 30_000, (short) 3);
        JoinGroupResponseData joined = on(() -> shard.join(join));
        on(() -> shard.sync("moved-on", joined.generationId(), joined.memberId(), null, null, null, Map.of(joined.memberId(), RawGroups.assignment(TP0))));
        TopicPartition payments = new TopicPartition("payments", 0);
        on(() -> shard.commit("moved-on", joined.generationId(), joined.memberId(), null, -1,
                List.of(new GroupCoordinator.OffsetCommit(TP0, 1, -1, ""), new GroupCoordinator.OffsetCommit(payments, 2, -1, "")), (short) 9));
        clock.advance(RETENTION_MS);
        assertThat(on(shard::expireOffsets)).isEqualTo(1);
        assertThat(offsets(shard, "moved-on")).containsOnlyKeys(TP0);
    }

    @Test
    void aGroupWithMembersComesBackStableInItsGenerationAfterReplay() throws Exception {
        GroupShard shard = loadedShard();
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        protocols.put("range", RawGroups.subscription("orders"));
        var join = new GroupCoordinator.JoinParams("stable", "", "instance-1", "client", "/127.0.0.1", "consumer", protocols, 30_000, 30_000, (short) 9);
        JoinGroupResponseData joined = on(() -> shard.join(join));
        byte[] assignment = RawGroups.assignment(TP0, TP1);
        on(() -> shard.sync("stable", joined.generationId(), joined.memberId(), "instance-1", "consumer", "range", Map.of(joined.memberId(), assignment)));

        GroupShard replayed = loadedShard();
        assertThat(on(() -> CompletableFuture.completedFuture(replayed.stateOf("stable")))).isEqualTo(GroupState.STABLE);
        var described = on(() -> CompletableFuture.completedFuture(replayed.describe("stable")));
        assertThat(described.members()).singleElement().satisfies(m -> {
            assertThat(m.memberId()).isEqualTo(joined.memberId());
            assertThat(m.groupInstanceId()).isEqualTo("instance-1");
            assertThat(m.memberAssignment()).isEqualTo(assignment);
        });
        assertThat(on(() -> CompletableFuture.completedFuture(replayed.heartbeat("stable", joined.generationId(), joined.memberId(), "instance-1"))))
                .isEqualTo(Errors.NONE);
    }

    private void waitForState(GroupShard shard, String group, GroupState state) throws Exception {
        for (int i = 0; i < 1000 && on(() -> CompletableFuture.completedFuture(shard.stateOf(group))) != state; i++) Thread.sleep(5);
        assertThat(on(() -> CompletableFuture.completedFuture(shard.stateOf(group)))).isEqualTo(state);
    }
}
