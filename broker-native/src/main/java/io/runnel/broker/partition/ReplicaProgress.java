package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a partition leader knows of its followers: each one's log end offset (the offset it last
 * fetched from) and when it was last caught up, by Kafka's rule: a fetch at or past the leader's
 * log end offset catches it up now; a fetch at or past the log end offset the leader had at the
 * follower's previous fetch caught it up then. From these follow the high watermark (the lowest
 * log end offset in the ISR), the replicas that fell out of sync (not caught up for
 * {@code replica.lag.time.max.ms}) and those that may join the ISR (caught up to the high watermark).
 *
 * <p>Threading: the partition's I/O thread only. Rebuilt whenever this broker becomes leader.
 */
final class ReplicaProgress {
    private static final class Follower {
        long logEndOffset = -1;
        long lastCaughtUpTimeMs;
        long lastFetchTimeMs;
        long leaderEndOffsetAtLastFetch = -1;
    }

    private final int localId;
    private final Map<Integer, Follower> followers = new HashMap<>();

    /** ISR members start caught up now (they were in sync as far as anyone knows); the others never were. */
    ReplicaProgress(int localId, List<Integer> replicas, List<Integer> isr, long nowMs) {
        this.localId = localId;
        for (int replica : replicas) {
            if (replica == localId) continue;
            Follower f = new Follower();
            f.lastCaughtUpTimeMs = isr.contains(replica) ? nowMs : 0;
            followers.put(replica, f);
        }
    }

    /** The replica set changed while leading (a reassignment): new followers start never caught up; removed ones are forgotten. */
    void replicasChanged(List<Integer> replicas) {
        followers.keySet().retainAll(replicas);
        for (int replica : replicas) if (replica != localId) followers.putIfAbsent(replica, new Follower());
    }

    /** A fetch by {@code replicaId} from {@code fetchOffset}; false if it is not a replica of this partition. */
    boolean onFetch(int replicaId, long fetchOffset, long leaderLogEndOffset, long nowMs) {
        Follower f = followers.get(replicaId);
        if (f == null) return false;
        if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
        else if (f.leaderEndOffsetAtLastFetch >= 0 && fetchOffset >= f.leaderEndOffsetAtLastFetch)
            f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
        f.logEndOffset = fetchOffset;
        f.lastFetchTimeMs = nowMs;
        f.leaderEndOffsetAtLastFetch = leaderLogEndOffset;
        return true;
    }

    /**
     * The highest offset every member of {@code isr} has: the leader's log end offset, lowered by
     * each follower's. A follower not heard from since this broker became leader holds it at -1.
     */
    long minLogEndOffset(long leaderLogEndOffset, Collection<Integer> isr) {
        long min = leaderLogEndOffset;
        for (int replica : isr) {
            if (replica == localId) continue;
            Follower f = followers.get(replica);
            min = Math.min(min, f == null ? -1 : f.logEndOffset);
        }
        return min;
    }

    /** ISR members (other than the leader) not caught up within {@code lagMaxMs}. */
    List<Integer> outOfSync(Collection<Integer> isr, long nowMs, long lagMaxMs) {
        List<Integer> lagging = new ArrayList<>();
        for (int replica : isr) {
            Follower f = followers.get(replica);
            if (f != null && nowMs - f.lastCaughtUpTimeMs > lagMaxMs) lagging.add(replica);
        }
        return lagging;
    }

    /** A follower outside the ISR that has everything up to the high watermark, and something of this leader's epoch. */
    boolean mayJoinIsr(int replicaId, long highWatermark, long leaderEpochStartOffset) {
        Follower f = followers.get(replicaId);
        return f != null && f.logEndOffset >= highWatermark && f.logEndOffset >= leaderEpochStartOffset;
    }

    long logEndOffset(int replicaId) {
        Follower f = followers.get(replicaId);
        return f == null ? -1 : f.logEndOffset;
    }
}
