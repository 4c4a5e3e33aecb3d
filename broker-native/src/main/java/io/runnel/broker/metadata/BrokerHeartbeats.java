package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The active controller's view of broker liveness: when each registered broker last reached it
 * (registration or heartbeat). A broker silent for longer than {@code sessionTimeoutMs} is due to
 * be fenced. Kept in memory only, as in KRaft: a newly elected controller starts every broker's
 * session afresh, so nobody is fenced for the time the controllers spent electing.
 *
 * <p>Threading: the metadata thread only.
 */
final class BrokerHeartbeats {
    private final long sessionTimeoutMs;
    private final Map<Integer, Long> lastContactMs = new HashMap<>();
    /** The controller epoch the contacts were recorded in; another one starts every session afresh. */
    private int epoch = -1;

    BrokerHeartbeats(long sessionTimeoutMs) {
        this.sessionTimeoutMs = sessionTimeoutMs;
    }

    /** Called at every check and contact with the epoch this node leads: a new epoch forgets the old contacts. */
    private void inEpoch(int leaderEpoch) {
        if (leaderEpoch != epoch) {
            lastContactMs.clear();
            epoch = leaderEpoch;
        }
    }

    void contact(int brokerId, int leaderEpoch, long nowMs) {
        inEpoch(leaderEpoch);
        lastContactMs.put(brokerId, nowMs);
    }

    /** Whether the broker reached this controller within the session timeout (in this epoch). */
    boolean isAlive(int brokerId, int leaderEpoch, long nowMs) {
        inEpoch(leaderEpoch);
        Long last = lastContactMs.get(brokerId);
        return last != null && nowMs - last <= sessionTimeoutMs;
    }

    /** The unfenced brokers of {@code image} whose session expired; a broker never heard from in this epoch starts its session now. */
    List<Integer> expired(MetadataImage image, int leaderEpoch, long nowMs) {
        inEpoch(leaderEpoch);
        List<Integer> expired = new ArrayList<>();
        for (BrokerImage broker : image.brokers().values()) {
            if (broker.fenced()) continue;
            long last = lastContactMs.computeIfAbsent(broker.id(), id -> nowMs);
            if (nowMs - last > sessionTimeoutMs) expired.add(broker.id());
        }
        return expired;
    }
}
