package io.runnel.broker.fetch;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;

import io.runnel.broker.config.FetchSessionSettings;
import io.runnel.broker.partition.ReadResult;

/**
 * The broker's fetch sessions (KIP-227), for all clients and followers: decides what a Fetch
 * request's (session id, epoch) asks for, keeps at most {@code max.incremental.fetch.session.cache.slots}
 * sessions, and when full lets a new session evict an old one by Kafka's rules.
 *
 * <p>Broker-wide, because a client keeps its session across connections. Any thread; every method
 * holds the cache's lock for a few map operations and never waits on anything else, so an event
 * loop that calls it does not block.
 */
public final class FetchSessionCache {
    private final int maxSessions;
    private final long evictionMs;
    private final Map<Integer, FetchSession> sessions = new HashMap<>();
    private long evictions;

    public FetchSessionCache(FetchSessionSettings settings) {
        this.maxSessions = settings.cacheSlots();
        this.evictionMs = settings.evictionMs();
    }

    /** What a Fetch request gets from its session id and epoch. */
    public sealed interface Opened {}

    /** The request is refused with {@code error} at the top level (and session id 0). */
    public record Refused(Errors error) implements Opened {}

    /** Answer the request's partitions in full; when {@code offerSession}, then try {@link #create} a session from them. */
    public record Full(boolean offerSession) implements Opened {}

    /**
     * An incremental fetch of {@code session}: read {@code targets}, answer what changed (see
     * {@link FetchSession#answer}); {@code epoch} is the session's epoch after this request.
     */
    public record Incremental(FetchSession session, int epoch, List<FetchTarget> targets) implements Opened {
        /** Which of {@code results} (read from {@link #targets}) to answer; null: refuse with INVALID_FETCH_SESSION_EPOCH. */
        public java.util.BitSet answer(List<ReadResult> results) {
            return session.answer(epoch, targets, results);
        }
    }

    /**
     * Kafka's reading of (session id, epoch): epoch 0 or -1 is a full fetch that closes the named
     * session (if any), and with 0 asks for a new one; any other epoch continues the named session,
     * which must exist, be at that epoch and name topics the same way. An incremental request that
     * leaves the session empty closes it and is answered in full, without a session.
     *
     * @param changed   the request's partitions: added to the session or given their new position
     * @param forgotten the request's forgotten_topics_data
     */
    public synchronized Opened open(int sessionId, int epoch, boolean usesTopicIds, List<FetchTarget> changed,
                                    List<FetchTarget.Key> forgotten, long nowMs) {
        if (epoch == FetchMetadata.INITIAL_EPOCH || epoch == FetchMetadata.FINAL_EPOCH) {
            if (sessionId != FetchMetadata.INVALID_SESSION_ID) sessions.remove(sessionId);
            return new Full(epoch == FetchMetadata.INITIAL_EPOCH);
        }
        FetchSession session = sessions.get(sessionId);
        if (session == null) return new Refused(Errors.FETCH_SESSION_ID_NOT_FOUND);
        if (session.epoch() != epoch) return new Refused(Errors.INVALID_FETCH_SESSION_EPOCH);
        if (session.usesTopicIds() != usesTopicIds) return new Refused(Errors.FETCH_SESSION_TOPIC_ID_ERROR);
        List<FetchTarget> targets = session.update(changed, forgotten, nowMs);
        if (targets.isEmpty()) {
            sessions.remove(sessionId);
            return new Full(false);
        }
        return new Incremental(session, session.epoch(), targets);
    }

    /**
     * A new session holding {@code targets} as the client was just answered ({@code results}, in the
     * same order), if there is a free slot or an evictable session; returns its id, or
     * {@link FetchMetadata#INVALID_SESSION_ID} when the cache keeps what it has (the client then goes on with full fetches).
     *
     * @param privileged a follower's session
     */
    public synchronized int create(boolean privileged, boolean usesTopicIds, List<FetchTarget> targets, List<ReadResult> results, long nowMs) {
        if (sessions.size() >= maxSessions && !evictFor(privileged, targets.size(), nowMs)) return FetchMetadata.INVALID_SESSION_ID;
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
        } while (sessions.containsKey(id));
        FetchSession session = new FetchSession(id, privileged, usesTopicIds, nowMs);
        session.fill(targets, results);
        sessions.put(id, session);
        return id;
    }

    /**
     * Kafka's eviction: first the least recently used session, if it has been idle longer than
     * {@code min.incremental.fetch.session.eviction.ms}; else the least valuable session older than
     * that (a client's before a follower's, then the fewest partitions), if the new one is worth at
     * least as much. A follower may also evict a young client session. A scan, not an index: it runs
     * only when the cache is full, over at most the slots.
     */
    private boolean evictFor(boolean privileged, int size, long nowMs) {
        FetchSession leastRecent = null;
        FetchSession leastValuable = null;
        for (FetchSession s : sessions.values()) {
            if (leastRecent == null || s.lastUsedMs() < leastRecent.lastUsedMs()) leastRecent = s;
            boolean old = nowMs - s.creationMs() > evictionMs;
            boolean evictable = old || (privileged && !s.privileged());
            if (evictable && (leastValuable == null || lessValuable(s, leastValuable))) leastValuable = s;
        }
        if (leastRecent != null && nowMs - leastRecent.lastUsedMs() > evictionMs) return evict(leastRecent);
        if (leastValuable == null) return false;
        // Kafka's key compares (privileged, size, id); the new session's id counts as 0, so a tie keeps the old one.
        int byPrivilege = Boolean.compare(privileged, leastValuable.privileged());
        boolean worthMore = byPrivilege > 0 || byPrivilege == 0 && size > leastValuable.size();
        return worthMore && evict(leastValuable);
    }

    private static boolean lessValuable(FetchSession a, FetchSession b) {
        int byPrivilege = Boolean.compare(a.privileged(), b.privileged());
        if (byPrivilege != 0) return byPrivilege < 0;
        if (a.size() != b.size()) return a.size() < b.size();
        return a.id() < b.id();
    }

    private boolean evict(FetchSession session) {
        sessions.remove(session.id());
        evictions++;
        return true;
    }

    /** Sessions held now (Kafka's NumIncrementalFetchSessions). */
    public synchronized int sessionCount() {
        return sessions.size();
    }

    /** Partitions held by all sessions together (Kafka's NumIncrementalFetchPartitionsCached). */
    public synchronized long partitionCount() {
        long count = 0;
        for (FetchSession s : sessions.values()) count += s.size();
        return count;
    }

    /** Sessions evicted to make room for new ones, since start (Kafka's IncrementalFetchSessionEvictionsPerSec, as a count). */
    public synchronized long evictions() {
        return evictions;
    }

    /** The session with this id, if the cache holds it (for tests). */
    synchronized FetchSession session(int id) {
        return sessions.get(id);
    }
}
