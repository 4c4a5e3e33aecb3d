package io.runnel.broker.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.compress.Compression;
import org.junit.jupiter.api.Test;

import io.runnel.broker.config.FetchSessionSettings;
import io.runnel.broker.fetch.FetchSessionCache.Full;
import io.runnel.broker.fetch.FetchSessionCache.Incremental;
import io.runnel.broker.fetch.FetchSessionCache.Refused;
import io.runnel.broker.partition.ReadResult;

/** The session rules of KIP-227 as Kafka's FetchManager and FetchSessionCache apply them, on the cache alone. */
class FetchSessionCacheTest {
    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final long EVICTION_MS = 1000;

    private static List<FetchTarget> partitions(int count, long offset) {
        List<FetchTarget> targets = new ArrayList<>();
        for (int p = 0; p < count; p++) targets.add(new FetchTarget(TOPIC, "", p, offset, 1 << 20, 0));
        return targets;
    }

    private static List<ReadResult> empty(int count, long highWatermark) {
        List<ReadResult> results = new ArrayList<>();
        for (int p = 0; p < count; p++) results.add(new ReadResult(Errors.NONE, MemoryRecords.EMPTY, highWatermark, 0));
        return results;
    }

    private static ReadResult withRecords(long highWatermark) {
        return new ReadResult(Errors.NONE, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes())), highWatermark, 0);
    }

    private static int newSession(FetchSessionCache cache, boolean privileged, int size, long nowMs) {
        assertThat(cache.open(0, 0, true, partitions(size, 0), List.of(), nowMs)).isEqualTo(new Full(true));
        return cache.create(privileged, true, partitions(size, 0), empty(size, 5), nowMs);
    }

    @Test
    void epochZeroOffersASessionAndEpochMinusOneDoesNot() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        assertThat(cache.open(0, -1, true, partitions(2, 0), List.of(), 0)).isEqualTo(new Full(false));
        assertThat(cache.open(0, 0, true, partitions(2, 0), List.of(), 0)).isEqualTo(new Full(true));
        int id = cache.create(false, true, partitions(2, 0), empty(2, 5), 0);
        assertThat(id).isPositive();
        assertThat(cache.sessionCount()).isEqualTo(1);
        assertThat(cache.partitionCount()).isEqualTo(2);
    }

    @Test
    void theNextEpochContinuesTheSessionAndAnyOtherIsRefused() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int id = newSession(cache, false, 2, 0);
        assertThat(cache.open(id, 2, true, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.INVALID_FETCH_SESSION_EPOCH));
        assertThat(cache.open(id + 1, 1, true, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.FETCH_SESSION_ID_NOT_FOUND));
        assertThat(cache.open(0, 1, true, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.FETCH_SESSION_ID_NOT_FOUND));
        assertThat(cache.open(id, 1, false, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.FETCH_SESSION_TOPIC_ID_ERROR));
        assertThat(cache.open(id, 1, true, List.of(), List.of(), 1)).isInstanceOf(Incremental.class);
        // The epoch moved on: the same request again is a replay.
        assertThat(cache.open(id, 1, true, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.INVALID_FETCH_SESSION_EPOCH));
        assertThat(cache.open(id, 2, true, List.of(), List.of(), 1)).isInstanceOf(Incremental.class);
    }

    @Test
    void aFullFetchNamingASessionClosesIt() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int closed = newSession(cache, false, 2, 0);
        assertThat(cache.open(closed, -1, true, partitions(2, 0), List.of(), 1)).isEqualTo(new Full(false));
        assertThat(cache.open(closed, 1, true, List.of(), List.of(), 1)).isEqualTo(new Refused(Errors.FETCH_SESSION_ID_NOT_FOUND));
        int replaced = newSession(cache, false, 2, 2);
        assertThat(cache.open(replaced, 0, true, partitions(2, 0), List.of(), 3)).isEqualTo(new Full(true));
        assertThat(cache.sessionCount()).isZero();
    }

    @Test
    void epochsWrapFromTheLargestIntToOne() {
        // Sessions take their epochs from kafka-clients' FetchMetadata.nextEpoch, the sequence clients follow.
        assertThat(FetchMetadata.nextEpoch(Integer.MAX_VALUE)).isEqualTo(1);
        assertThat(FetchMetadata.nextEpoch(1)).isEqualTo(2);
    }

    @Test
    void anIncrementalFetchAddsUpdatesAndForgetsPartitionsInTheSessionsOrder() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int id = newSession(cache, false, 3, 0);
        FetchTarget moved = new FetchTarget(TOPIC, "", 1, 42, 1 << 20, 0);
        FetchTarget added = new FetchTarget(TOPIC, "", 7, 0, 1 << 20, 0);
        var opened = (Incremental) cache.open(id, 1, true, List.of(moved, added), List.of(new FetchTarget.Key(TOPIC, "", 0)), 1);
        assertThat(opened.targets()).containsExactly(moved, partitions(3, 0).get(2), added);
        assertThat(cache.partitionCount()).isEqualTo(3);
    }

    @Test
    void anIncrementalFetchAnswersOnlyWhatChangedAndMovesPartitionsWithRecordsToTheEnd() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int id = newSession(cache, false, 4, 0); // every partition told high watermark 5, log start 0
        var opened = (Incremental) cache.open(id, 1, true, List.of(), List.of(), 1);
        List<ReadResult> results = List.of(
                new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 5, 0),   // unchanged: left out
                withRecords(6),                                            // records: answered, moves to the end
                new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 5, 3),   // log start moved: answered
                ReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, -1, -1));   // errors are always answered
        assertThat(opened.answer(results).stream().toArray()).containsExactly(1, 2, 3);
        var next = (Incremental) cache.open(id, 2, true, List.of(), List.of(), 2);
        assertThat(next.targets()).extracting(FetchTarget::partition).containsExactly(0, 2, 3, 1);
        // Told the error, the partition is answered again when it recovers, even at the same high watermark as before.
        List<ReadResult> same = List.of(new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 5, 0), new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 5, 3),
                new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 5, -1), new ReadResult(Errors.NONE, MemoryRecords.EMPTY, 6, 0));
        assertThat(next.answer(same).stream().toArray()).containsExactly(2);
    }

    @Test
    void aFetchOvertakenByAnotherOnTheSameSessionIsNotAnswered() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int id = newSession(cache, false, 1, 0);
        var slow = (Incremental) cache.open(id, 1, true, List.of(), List.of(), 1);
        var fast = (Incremental) cache.open(id, 2, true, List.of(), List.of(), 2);
        assertThat(fast.answer(List.of(withRecords(6)))).isNotNull();
        assertThat(slow.answer(List.of(withRecords(6)))).as("the session moved on while it read").isNull();
    }

    @Test
    void anIncrementalFetchThatForgetsEveryPartitionClosesTheSession() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(10, EVICTION_MS));
        int id = newSession(cache, false, 1, 0);
        assertThat(cache.open(id, 1, true, List.of(), List.of(new FetchTarget.Key(TOPIC, "", 0)), 1)).isEqualTo(new Full(false));
        assertThat(cache.sessionCount()).isZero();
    }

    @Test
    void noSlotsMeansNoSessions() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(0, EVICTION_MS));
        assertThat(cache.create(true, true, partitions(3, 0), empty(3, 0), 0)).isZero();
        assertThat(cache.sessionCount()).isZero();
    }

    @Test
    void aFullCacheEvictsASessionIdleLongerThanTheEvictionTime() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(2, EVICTION_MS));
        int idle = newSession(cache, false, 5, 0);
        int busy = newSession(cache, false, 5, 0);
        cache.open(busy, 1, true, List.of(), List.of(), 900);
        assertThat(cache.create(false, true, partitions(1, 0), empty(1, 0), 1001)).isPositive();
        assertThat(cache.session(idle)).isNull();
        assertThat(cache.session(busy)).isNotNull();
        assertThat(cache.evictions()).isEqualTo(1);
    }

    @Test
    void aFullCacheOfYoungSessionsRefusesANewClientSession() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(2, EVICTION_MS));
        newSession(cache, false, 1, 0);
        newSession(cache, false, 1, 0);
        assertThat(cache.create(false, true, partitions(50, 0), empty(50, 0), 10)).isZero();
        assertThat(cache.sessionCount()).isEqualTo(2);
        assertThat(cache.evictions()).isZero();
    }

    @Test
    void aFollowerEvictsAYoungClientSessionButNotAYoungFollowerSession() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(2, EVICTION_MS));
        int follower = newSession(cache, true, 1, 0);
        int client = newSession(cache, false, 100, 0);
        assertThat(cache.create(true, true, partitions(1, 0), empty(1, 0), 10)).isPositive();
        assertThat(cache.session(client)).isNull();
        assertThat(cache.session(follower)).isNotNull();
        assertThat(cache.create(true, true, partitions(1, 0), empty(1, 0), 20)).isZero();
    }

    @Test
    void anOldBusySessionGivesWayOnlyToALargerOne() {
        FetchSessionCache cache = new FetchSessionCache(new FetchSessionSettings(2, EVICTION_MS));
        int small = newSession(cache, false, 3, 0);
        int large = newSession(cache, false, 10, 0);
        // Both keep fetching, so neither is idle, but both are older than the eviction time.
        cache.open(small, 1, true, List.of(), List.of(), 1500);
        cache.open(large, 1, true, List.of(), List.of(), 1500);
        assertThat(cache.create(false, true, partitions(3, 0), empty(3, 0), 1600)).as("a tie keeps the old session").isZero();
        int larger = cache.create(false, true, partitions(4, 0), empty(4, 0), 1600);
        assertThat(larger).isPositive();
        assertThat(cache.session(small)).isNull();
        assertThat(cache.session(large)).isNotNull();
    }
}
