package io.runnel.broker.fetch;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;

import io.runnel.broker.partition.ReadResult;

/**
 * One client's incremental fetch session (KIP-227): the partitions it fetches, in the order they
 * are read, each with the client's fetch position and what the client was last told of it (high
 * watermark, log start offset), so that a fetch answers only the partitions that changed.
 *
 * <p>Invariants: the id never changes; {@link #epoch} is the epoch the next request must carry;
 * a partition that answered records moves to the end of the order, so that a response's byte
 * budget is shared out fairly across fetches. Any thread, under the session's own lock: a client
 * uses its session one request at a time, but it may reconnect to another event loop. Lock order:
 * the {@link FetchSessionCache}'s lock before a session's.
 */
public final class FetchSession {
    /** Kafka's value for "not yet told": a partition new to the session is always answered. */
    private static final long UNKNOWN = -1;

    private final int id;
    private final boolean privileged;
    private final boolean usesTopicIds;
    private final long creationMs;
    private final LinkedHashMap<FetchTarget.Key, Cached> partitions = new LinkedHashMap<>();
    private long lastUsedMs;
    private int epoch;

    /** One partition of the session: the client's latest position and what it was last answered. */
    private static final class Cached {
        FetchTarget target;
        long highWatermark = UNKNOWN;
        long logStartOffset = UNKNOWN;

        Cached(FetchTarget target) {
            this.target = target;
        }
    }

    FetchSession(int id, boolean privileged, boolean usesTopicIds, long nowMs) {
        this.id = id;
        this.privileged = privileged;
        this.usesTopicIds = usesTopicIds;
        this.creationMs = nowMs;
        this.lastUsedMs = nowMs;
        this.epoch = FetchMetadata.nextEpoch(FetchMetadata.INITIAL_EPOCH);
    }

    public int id() {
        return id;
    }

    /** A follower's session: newer client sessions cannot evict it while it is young. */
    public boolean privileged() {
        return privileged;
    }

    /** Created by a Fetch v13+ (topics named by id); requests of the other kind cannot use it. */
    public boolean usesTopicIds() {
        return usesTopicIds;
    }

    long creationMs() {
        return creationMs;
    }

    synchronized long lastUsedMs() {
        return lastUsedMs;
    }

    synchronized int epoch() {
        return epoch;
    }

    synchronized int size() {
        return partitions.size();
    }

    /**
     * A session made by a full fetch: every partition it read, as the client was just answered.
     * {@code results} are in the order of {@code targets}.
     */
    synchronized void fill(List<FetchTarget> targets, List<ReadResult> results) {
        for (int i = 0; i < targets.size(); i++) {
            Cached cached = new Cached(targets.get(i));
            answered(cached, results.get(i));
            partitions.put(cached.target.key(), cached);
        }
    }

    /**
     * Applies an incremental request, accepted at the current epoch: {@code changed} partitions are
     * added or take their new position, {@code forgotten} ones leave. Advances the epoch and marks the
     * session used. Returns every partition to read, in the session's order.
     */
    synchronized List<FetchTarget> update(List<FetchTarget> changed, List<FetchTarget.Key> forgotten, long nowMs) {
        for (FetchTarget target : changed) {
            Cached cached = partitions.get(target.key());
            if (cached == null) partitions.put(target.key(), new Cached(target));
            else cached.target = target;
        }
        for (FetchTarget.Key key : forgotten) partitions.remove(key);
        epoch = FetchMetadata.nextEpoch(epoch); // Kafka's sequence: 1 up to Integer.MAX_VALUE, then 1 again
        lastUsedMs = nowMs;
        return targets();
    }

    /**
     * Decides which of an incremental fetch's results go into the response: those with records, a
     * new high watermark or log start offset, or an error (Kafka's rules). Remembers what is answered,
     * and moves partitions that answered records to the end of the order. Returns the indexes of
     * {@code results} (in the order of {@code targets}) to answer, or null when the session is no
     * longer at {@code expectedEpoch} (the request is then answered INVALID_FETCH_SESSION_EPOCH).
     */
    synchronized BitSet answer(int expectedEpoch, List<FetchTarget> targets, List<ReadResult> results) {
        // Another request used the session while this one was reading: only a misbehaving client does that; as Kafka, refuse.
        if (epoch != expectedEpoch) return null;
        BitSet included = new BitSet(targets.size());
        List<Cached> moved = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            ReadResult result = results.get(i);
            Cached cached = partitions.get(targets.get(i).key());
            if (cached == null) {
                // Forgotten by a request that overlapped this one (only a misbehaving client does that): answer it anyway.
                included.set(i);
                continue;
            }
            boolean changed = result.sizeInBytes() > 0 || result.error() != Errors.NONE
                    || cached.highWatermark != result.highWatermark() || cached.logStartOffset != result.logStartOffset();
            answered(cached, result);
            if (!changed) continue;
            included.set(i);
            if (result.sizeInBytes() > 0) moved.add(cached);
        }
        for (Cached cached : moved) {
            partitions.remove(cached.target.key());
            partitions.put(cached.target.key(), cached);
        }
        return included;
    }

    /** After an error the client is sent the partition again once it recovers, as Kafka does. */
    private static void answered(Cached cached, ReadResult result) {
        cached.highWatermark = result.error() == Errors.NONE ? result.highWatermark() : UNKNOWN;
        cached.logStartOffset = result.logStartOffset();
    }

    /** The session's partitions in read order. */
    synchronized List<FetchTarget> targets() {
        List<FetchTarget> targets = new ArrayList<>(partitions.size());
        for (Cached cached : partitions.values()) targets.add(cached.target);
        return targets;
    }
}
