package io.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

/**
 * One classic consumer group: its members, generation, chosen protocol and committed offsets.
 * A group that only ever committed offsets (a "simple" group, no protocol type) is an Empty group
 * with no members.
 *
 * <p>Invariants: the leader is a member (or null when there are none); every static member's
 * instance id maps to its member id; the state only moves along {@link GroupState#validNext()};
 * the generation only grows. Threading: confined to the thread of the {@link GroupShard} that owns
 * it; not thread-safe.
 */
final class ClassicGroup extends Group {
    private GroupState state = GroupState.EMPTY;
    long currentStateTimestampMs;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined with them yet. */
    final Set<String> pendingMembers = new HashSet<>();
    /** Members whose JoinGroup is waiting for the current join phase to end. */
    int numMembersAwaitingJoin;
    /** The rebalance (join phase) timer and, after it, the timer waiting for every member's SyncGroup. */
    ScheduledFuture<?> joinTimer;
    ScheduledFuture<?> syncTimer;
    /** Members given the current generation that have not sent their SyncGroup yet. */
    final Set<String> pendingSyncMembers = new HashSet<>();
    /** The first rebalance of an empty group waits {@code group.initial.rebalance.delay.ms} and never ends early. */
    boolean initialJoinPhase;
    /** A member joined during the initial delay, so the delay is extended (up to the rebalance timeout). */
    boolean newMemberAdded;
    long initialDelayRemainingMs;
    /** The leader's assignment is being written; a repeated SyncGroup from it must not write it twice. */
    boolean assignmentPending;

    ClassicGroup(String groupId, long nowMs) {
        super(groupId);
        this.currentStateTimestampMs = nowMs;
    }

    GroupState state() {
        return state;
    }

    boolean is(GroupState s) {
        return state == s;
    }

    void transitionTo(GroupState next, long nowMs) {
        if (!state.validNext().contains(next)) throw new IllegalStateException("group " + groupId + " cannot go from " + state + " to " + next);
        state = next;
        currentStateTimestampMs = nowMs;
    }

    /** For replay only: a loaded group is Empty or Stable, whatever it was. */
    void restoreState(GroupState s, long stateTimestampMs) {
        state = s;
        currentStateTimestampMs = stateTimestampMs;
    }

    boolean hasMember(String memberId) {
        return members.containsKey(memberId);
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    String staticMemberId(String instanceId) {
        return instanceId == null ? null : staticMembers.get(instanceId);
    }

    boolean isLeader(String memberId) {
        return memberId != null && memberId.equals(leaderId);
    }

    int size() {
        return members.size();
    }

    /** The longest rebalance timeout of the members: how long a rebalance waits for everyone to rejoin. */
    int rebalanceTimeoutMs() {
        int max = 0;
        for (GroupMember m : members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
        return max;
    }

    boolean canRebalance() {
        return state == GroupState.STABLE || state == GroupState.COMPLETING_REBALANCE || state == GroupState.EMPTY;
    }

    /** No members, no offsets, nothing in flight: the group can be forgotten. */
    boolean isForgettable() {
        return state == GroupState.EMPTY && members.isEmpty() && pendingMembers.isEmpty() && offsets.isEmpty();
    }

    void add(GroupMember member) {
        members.put(member.memberId, member);
        if (member.isStatic()) staticMembers.put(member.groupInstanceId, member.memberId);
        if (leaderId == null) leaderId = member.memberId;
        if (member.isAwaitingJoin()) numMembersAwaitingJoin++;
    }

    void remove(String memberId) {
        GroupMember member = members.remove(memberId);
        if (member == null) return;
        pendingSyncMembers.remove(memberId);
        if (member.isStatic()) staticMembers.remove(member.groupInstanceId, memberId);
        if (member.isAwaitingJoin()) numMembersAwaitingJoin--;
        if (isLeader(memberId)) leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
    }

    /** Replaces a static member's entry by the same member under a new id; keeps leadership. */
    GroupMember replaceStatic(GroupMember old, String newMemberId) {
        GroupMember replacement = old.withId(newMemberId);
        boolean wasAwaiting = old.isAwaitingJoin();
        boolean wasLeader = isLeader(old.memberId);
        members.remove(old.memberId);
        if (wasAwaiting) numMembersAwaitingJoin--;
        members.put(newMemberId, replacement);
        staticMembers.put(replacement.groupInstanceId, newMemberId);
        if (wasLeader) leaderId = newMemberId;
        if (pendingSyncMembers.remove(old.memberId)) pendingSyncMembers.add(newMemberId);
        return replacement;
    }

    boolean allMembersJoined() {
        return members.size() == numMembersAwaitingJoin && pendingMembers.isEmpty();
    }

    /** The protocols every member supports. */
    Set<String> candidateProtocols() {
        Set<String> candidates = null;
        for (GroupMember m : members.values()) {
            if (candidates == null) candidates = new java.util.LinkedHashSet<>(m.protocols.keySet());
            else candidates.retainAll(m.protocols.keySet());
        }
        return candidates == null ? Set.of() : candidates;
    }

    /** Whether a member with this protocol type and these protocols could join the group as it is. */
    boolean supportsProtocols(String memberProtocolType, Set<String> memberProtocols) {
        if (is(GroupState.EMPTY)) return !memberProtocolType.isEmpty() && !memberProtocols.isEmpty();
        if (!memberProtocolType.equals(protocolType)) return false;
        for (String p : candidateProtocols()) {
            if (memberProtocols.contains(p)) return true;
        }
        return false;
    }

    /**
     * Kafka's choice: among the protocols every member supports, each member votes for the first of
     * its own list; most votes wins. Ties go to the protocol the leader prefers.
     */
    String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        if (candidates.isEmpty()) throw new IllegalStateException("group " + groupId + " has no protocol every member supports");
        Map<String, Integer> votes = new HashMap<>();
        for (GroupMember m : members.values()) votes.merge(m.vote(candidates), 1, Integer::sum);
        int best = votes.values().stream().max(Integer::compare).orElseThrow();
        GroupMember leader = members.get(leaderId);
        List<String> order = new ArrayList<>(leader != null ? leader.protocols.keySet() : candidates);
        for (String p : order) {
            if (votes.getOrDefault(p, 0) == best) return p;
        }
        throw new IllegalStateException("no protocol selected for group " + groupId);
    }

    /** Next generation: Empty if no member is left, else CompletingRebalance with a newly selected protocol. */
    void initNextGeneration(long nowMs) {
        generationId++;
        if (!members.isEmpty()) {
            protocolName = selectProtocol();
            transitionTo(GroupState.COMPLETING_REBALANCE, nowMs);
        } else {
            protocolName = null;
            transitionTo(GroupState.EMPTY, nowMs);
        }
    }

    /**
     * Whether the group consumes {@code topic} right now, for OffsetDelete and offset expiry: only a
     * non-empty group of the consumer protocol, read from its members' subscriptions.
     */
    @Override
    boolean isSubscribedTo(String topic) {
        if (is(GroupState.EMPTY) || is(GroupState.DEAD)) return false;
        if (!ConsumerProtocol.PROTOCOL_TYPE.equals(protocolType) || protocolName == null) return true; // unknown: assume so
        for (GroupMember m : members.values()) {
            byte[] metadata = m.protocols.get(protocolName);
            if (metadata == null) continue;
            try {
                if (ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata)).topics().contains(topic)) return true;
            } catch (RuntimeException e) {
                return true; // metadata we cannot parse: do not delete what might be in use
            }
        }
        return false;
    }
}
