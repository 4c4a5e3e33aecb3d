package io.runnel.broker.group;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;

/**
 * One member of a classic group: who it is, the protocols it supports (in its order of preference,
 * metadata opaque to the broker), the assignment the leader gave it, and the JoinGroup or SyncGroup
 * response it is waiting for. Confined to its shard's thread, like the group that holds it.
 */
final class GroupMember {
    final String memberId;
    final String groupInstanceId;
    final String clientId;
    final String clientHost;
    int rebalanceTimeoutMs;
    int sessionTimeoutMs;
    /** Protocol name → metadata, in the member's order of preference. */
    LinkedHashMap<String, byte[]> protocols;
    byte[] assignment = new byte[0];
    CompletableFuture<JoinGroupResponseData> awaitingJoin;
    CompletableFuture<SyncGroupResponseData> awaitingSync;
    /** Joined during the current rebalance and not yet given a generation: may expire while waiting. */
    boolean isNew;
    /** When the member is considered gone unless it heartbeats (or rejoins) before. */
    long heartbeatDeadlineMs;
    /** The expiry timer; it re-arms itself while the deadline keeps moving, so heartbeats never cancel it. */
    java.util.concurrent.ScheduledFuture<?> expiryTimer;

    GroupMember(String memberId, String groupInstanceId, String clientId, String clientHost,
                int rebalanceTimeoutMs, int sessionTimeoutMs, LinkedHashMap<String, byte[]> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocols = protocols;
    }

    /** The same member under a new id (a static member replaced by its restarted instance). */
    GroupMember withId(String newMemberId) {
        GroupMember copy = new GroupMember(newMemberId, groupInstanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs, protocols);
        copy.assignment = assignment;
        copy.heartbeatDeadlineMs = heartbeatDeadlineMs;
        return copy;
    }

    boolean isStatic() {
        return groupInstanceId != null;
    }

    boolean isAwaitingJoin() {
        return awaitingJoin != null;
    }

    boolean isAwaitingSync() {
        return awaitingSync != null;
    }

    /**
     * Members waiting in a rebalance are covered by the rebalance timeout, not the session (Kafka's
     * rule); a new member waiting for its first generation is not, so that one that vanished goes.
     */
    boolean isCoveredByRebalance() {
        return !isNew && (isAwaitingJoin() || isAwaitingSync());
    }

    byte[] metadata(String protocol) {
        byte[] m = protocols.get(protocol);
        if (m == null) throw new IllegalStateException("member " + memberId + " does not support protocol " + protocol);
        return m;
    }

    /** Same protocols with the same metadata, in the same order (a rejoin that changes nothing). */
    boolean matches(Map<String, byte[]> other) {
        if (other.size() != protocols.size()) return false;
        var a = protocols.entrySet().iterator();
        var b = other.entrySet().iterator();
        while (a.hasNext()) {
            var x = a.next();
            var y = b.next();
            if (!x.getKey().equals(y.getKey()) || !java.util.Arrays.equals(x.getValue(), y.getValue())) return false;
        }
        return true;
    }

    /** The first of this member's protocols that is among the candidates. */
    String vote(java.util.Set<String> candidates) {
        for (String p : protocols.keySet()) {
            if (candidates.contains(p)) return p;
        }
        throw new IllegalStateException("member " + memberId + " supports none of " + candidates);
    }
}
