package io.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.log.AppendOrigin;
import io.runnel.broker.coordinator.CoordinatorLogReplay;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.partition.AppendResult;
import io.runnel.broker.partition.Partition;

/**
 * The coordinator of the groups that live on one partition of {@code __consumer_offsets}: their
 * members, rebalances and committed offsets, persisted in that partition.
 *
 * <p>Threading: every method runs on the partition's own I/O thread ({@link #thread}), the same
 * thread that appends to the partition's log; {@link GroupCoordinator} hops there before calling.
 * All state below is confined to that thread, so it needs no locks, and timers (session expiry,
 * rebalance and initial delays, offset expiry) are tasks on the same thread. JoinGroup and
 * SyncGroup answers are futures completed later, on this thread; no thread ever waits for them.
 *
 * <p>Write, then apply: a change that must survive a restart (a commit, an assignment, a deletion,
 * an emptied group) is appended to the log first and applied to memory only once the append
 * succeeded; its answer goes out after that. Anything validated before an append is validated
 * again when the append completes if other requests could have changed it meanwhile (a leader's
 * assignment is applied only if the group is still in the generation it was computed for).
 *
 * <p>Loading: at start the shard replays its partition from the log start (the latest value per
 * key wins, tombstones delete); until then every request is answered COORDINATOR_LOAD_IN_PROGRESS.
 * Loaded groups with members come back Stable with their generation and assignment, so members
 * that keep heartbeating carry on without a rebalance.
 *
 * <p>Transactional offsets (TxnOffsetCommit, KIP-98/447): written as one transactional batch of the
 * producer, then held in {@link #pendingTxn}, outside every group's offsets, until the producer's
 * COMMIT or ABORT marker is in the log ({@link #completeTransaction} at runtime, the control batch
 * on replay; the same {@link #endTransaction} either way). COMMIT applies each pending offset
 * unless a regular commit of that partition has a later record; ABORT drops them. OffsetFetch
 * with require_stable names their partitions unstable. Deletion follows Kafka: DeleteGroups
 * still refuses only a group with members, and tombstones the partitions only a pending
 * transaction holds as well as the committed ones; an offset tombstone (DeleteGroups, OffsetDelete,
 * expiry) drops the pending offsets of its partition, so a later COMMIT marker finds nothing
 * there. Expiry keeps an offset with a pending transactional offset for its partition, and a
 * group with an open transaction. A group known only by pending offsets is an empty simple group.
 */
final class GroupShard implements io.runnel.broker.coordinator.CoordinatorShard {
    private static final Logger LOG = Logger.getLogger(GroupShard.class);

    private enum Status { LOADING, ACTIVE, CLOSED }

    final int partitionIndex;
    private final Partition log;
    private final ScheduledExecutorService thread;
    private final GroupConfig config;
    private final Time time;
    /** Classic groups, and groups that only commit offsets; a KIP-848 group's id is never here but in {@link #consumer}. */
    private final Map<String, ClassicGroup> groups = new HashMap<>();
    final ConsumerGroups consumer;
    /** Offsets of transactions that have not ended; not part of any group's offsets until their COMMIT marker. */
    final PendingTxnOffsets pendingTxn = new PendingTxnOffsets();
    private Status status = Status.LOADING;
    private ScheduledFuture<?> expiryTimer;
    private final java.util.Set<ScheduledFuture<?>> timers = new java.util.HashSet<>();

    GroupShard(int partitionIndex, Partition log, ScheduledExecutorService thread, GroupConfig config, Time time,
               Supplier<MetadataImage> image) {
        this.partitionIndex = partitionIndex;
        this.log = log;
        this.thread = thread;
        this.config = config;
        this.time = time;
        this.consumer = new ConsumerGroups(this, config, time, image);
    }

    /** The classic (or offsets-only) group of this id, or null. */
    ClassicGroup classicGroup(String groupId) {
        return groups.get(groupId);
    }

    /** A classic group turned into a KIP-848 group (it had no members): forgotten here, its offsets moved over by the caller. */
    void dropClassic(ClassicGroup group) {
        if (groups.get(group.groupId) != group) return;
        cancel(group.joinTimer);
        cancel(group.syncTimer);
        groups.remove(group.groupId);
    }

    /** Replay: a deleted KIP-848 group whose offsets are still in the log keeps them as an offsets-only group. */
    void restoreOffsetsOnly(ConsumerGroup gone) {
        ClassicGroup group = new ClassicGroup(gone.groupId, time.milliseconds());
        group.offsets.putAll(gone.offsets);
        groups.put(gone.groupId, group);
    }

    @Override
    public String name() {
        return GroupConfig.OFFSETS_TOPIC + "-" + partitionIndex;
    }

    @Override
    public ScheduledExecutorService thread() {
        return thread;
    }

    /** Null when the shard can serve, else the error every request gets. Shard thread only. */
    @Override
    public Errors unavailable() {
        return switch (status) {
            case LOADING -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
            case ACTIVE -> null;
            case CLOSED -> Errors.NOT_COORDINATOR;
        };
    }

    // ------------------------------------------------------------------ loading

    /**
     * Replays the partition, then starts serving. Completes on the shard thread. The load reads to
     * the live log end ({@link CoordinatorLogReplay}), so a transaction marker appended while loading
     * is replayed here, and {@link #completeTransaction} can ignore the markers it is told of before
     * the shard is active.
     */
    CompletableFuture<Void> load() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        thread.execute(() -> CoordinatorLogReplay.replay(log, thread, () -> status == Status.CLOSED, this::replayBatch)
                .whenComplete((records, failure) -> {
                    if (failure != null) {
                        LOG.errorf(failure, "Loading groups from %s failed; its groups stay unavailable", log.topicPartition());
                        done.completeExceptionally(failure);
                        return;
                    }
                    if (records != null) finishLoad(records);
                    done.complete(null);
                }));
        return done;
    }

    /**
     * A record that does not decode (written by something other than a coordinator) is skipped
     * with an error: one bad record must not keep every group of the partition unavailable.
     */
    private void replayOrSkip(Record record, long producerId) {
        GroupRecords.Decoded decoded;
        try {
            decoded = GroupRecords.decode(record);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Skipping undecodable record at offset %d of %s", record.offset(), log.topicPartition());
            return;
        }
        replay(decoded, producerId);
    }

    /**
     * Replays one batch read from the log, from {@code fromOffset} on; returns the records applied.
     * A control batch's COMMIT or ABORT ends its producer's transaction; only a transactional
     * batch's offsets wait for a marker (a producer id on any other batch is an idempotent write).
     */
    int replayBatch(RecordBatch batch, long fromOffset) {
        if (batch.isControlBatch()) {
            replayControl(batch);
            return 0;
        }
        long producerId = batch.isTransactional() ? batch.producerId() : RecordBatch.NO_PRODUCER_ID;
        int count = 0;
        for (Record record : batch) {
            if (record.offset() < fromOffset) continue;
            replayOrSkip(record, producerId);
            count++;
        }
        return count;
    }

    /** A COMMIT or ABORT marker ends its producer's transaction exactly as {@link #completeTransaction} does at runtime. */
    private void replayControl(RecordBatch batch) {
        for (Record record : batch) {
            ControlRecordType type = ControlRecordType.parse(record.key());
            if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) endTransaction(batch.producerId(), type == ControlRecordType.COMMIT);
        }
    }

    /**
     * Applies one record: the latest value per key wins, a tombstone deletes (pending transactional
     * offsets of that partition too); an offset written by a transaction ({@code producerId} not
     * {@link RecordBatch#NO_PRODUCER_ID}) waits for its marker in {@link #pendingTxn}.
     */
    void replay(GroupRecords.Decoded decoded, long producerId) {
        long now = time.milliseconds();
        switch (decoded) {
            case GroupRecords.OffsetRecord r -> {
                Group group = anyGroup(r.groupId());
                if (r.offset() == null) {
                    if (group != null) group.offsets.remove(r.partition());
                    pendingTxn.dropPartition(r.groupId(), r.partition());
                } else {
                    // As Kafka: an offset, even a pending one, makes a group that does not exist an empty simple group.
                    if (group == null) group = groups.computeIfAbsent(r.groupId(), id -> new ClassicGroup(id, now));
                    if (producerId == RecordBatch.NO_PRODUCER_ID) group.offsets.put(r.partition(), r.offset());
                    else pendingTxn.add(producerId, r.groupId(), r.partition(), r.offset());
                }
            }
            case GroupRecords.GroupRecord r -> {
                if (r.value() == null) {
                    groups.remove(r.groupId());
                } else {
                    ClassicGroup group = groups.computeIfAbsent(r.groupId(), id -> new ClassicGroup(id, now));
                    ConsumerGroup converted = consumer.groups.remove(r.groupId()); // a KIP-848 group that went back to classic
                    if (converted != null) group.offsets.putAll(converted.offsets);
                    GroupRecords.restore(group, r.value());
                }
            }
            case ConsumerGroupRecords.Decoded r -> consumer.replay(r);
            case GroupRecords.Unknown u -> LOG.debugf("Skipping record type %d in %s", u.type(), log.topicPartition());
        }
    }

    private void finishLoad(long records) {
        status = Status.ACTIVE;
        long now = time.milliseconds();
        for (ClassicGroup group : groups.values()) {
            for (GroupMember member : group.members.values()) {
                member.heartbeatDeadlineMs = now + member.sessionTimeoutMs;
                armExpiry(group, member);
            }
        }
        consumer.finishLoad(now);
        expiryTimer = schedule(this::expireOffsetsPeriodically, config.offsetsRetentionCheckIntervalMs());
        if (records > 0) LOG.infof("Loaded %d group(s) from %d record(s) of %s", groupCount(), records, log.topicPartition());
    }

    /** Stops timers and answers whatever waits, so that the I/O thread can stop. Shard thread only. */
    @Override
    public void close() {
        status = Status.CLOSED;
        consumer.close();
        for (ScheduledFuture<?> t : timers) t.cancel(false);
        timers.clear();
        for (ClassicGroup group : groups.values()) {
            cancel(group.joinTimer);
            cancel(group.syncTimer);
            for (GroupMember m : group.members.values()) {
                cancel(m.expiryTimer);
                if (m.awaitingJoin != null) m.awaitingJoin.complete(joinError(Errors.NOT_COORDINATOR, m.memberId));
                if (m.awaitingSync != null) m.awaitingSync.complete(syncError(Errors.NOT_COORDINATOR));
                m.awaitingJoin = null;
                m.awaitingSync = null;
            }
        }
    }

    // ------------------------------------------------------------------ JoinGroup

    CompletableFuture<JoinGroupResponseData> join(GroupCoordinator.JoinParams p) {
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        if (p.sessionTimeoutMs() < config.minSessionTimeoutMs() || p.sessionTimeoutMs() > config.maxSessionTimeoutMs()) {
            return completed(joinError(Errors.INVALID_SESSION_TIMEOUT, p.memberId()));
        }
        boolean unknownMember = p.memberId().isEmpty();
        ConsumerGroup modern = consumer.groups.get(p.groupId());
        if (modern != null) {
            if (!modern.members.isEmpty() || consumer.isBusy(p.groupId())) {
                LOG.infof("JoinGroup for %s refused: it is a consumer-protocol group with members", p.groupId());
                return completed(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, p.memberId()));
            }
            // An empty KIP-848 group becomes classic; its group record is written when the first generation is.
            consumer.groups.remove(p.groupId());
            restoreOffsetsOnly(modern);
        }
        ClassicGroup group = groups.get(p.groupId());
        boolean created = false;
        if (group == null) {
            if (!unknownMember) return completed(joinError(Errors.UNKNOWN_MEMBER_ID, p.memberId()));
            group = new ClassicGroup(p.groupId(), time.milliseconds());
            groups.put(p.groupId(), group);
            created = true;
        }
        String knownId = p.memberId().isEmpty() && group.staticMemberId(p.groupInstanceId()) != null
                ? group.staticMemberId(p.groupInstanceId()) : p.memberId(); // a restarting static member takes its own place
        if (!acceptJoiningMember(group, knownId)) {
            response.complete(joinError(Errors.GROUP_MAX_SIZE_REACHED, p.memberId()));
        } else if (unknownMember) {
            joinNewMember(group, p, response);
        } else {
            joinExistingMember(group, p, response);
        }
        if (created && group.isForgettable()) groups.remove(p.groupId()); // a refused first join leaves nothing behind
        return response;
    }

    /** Kafka's group.max.size rule, counting members that are (re)joining in a rebalance. */
    private boolean acceptJoiningMember(ClassicGroup group, String memberId) {
        return switch (group.state()) {
            case EMPTY, DEAD -> true;
            case PREPARING_REBALANCE -> (group.hasMember(memberId) && group.member(memberId).isAwaitingJoin())
                    || group.numMembersAwaitingJoin < config.maxSize();
            case COMPLETING_REBALANCE, STABLE -> group.hasMember(memberId) || group.size() < config.maxSize();
        };
    }

    private void joinNewMember(ClassicGroup group, GroupCoordinator.JoinParams p, CompletableFuture<JoinGroupResponseData> response) {
        if (group.is(GroupState.DEAD)) {
            response.complete(joinError(Errors.COORDINATOR_NOT_AVAILABLE, p.memberId()));
        } else if (!group.supportsProtocols(p.protocolType(), p.protocols().keySet())) {
            response.complete(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, p.memberId()));
        } else {
            String newMemberId = p.clientId() + "-" + UUID.randomUUID();
            if (p.groupInstanceId() != null) {
                String existing = group.staticMemberId(p.groupInstanceId());
                if (existing == null) {
                    addMemberThenRebalanceOrCompleteJoin(group, newMemberId, p, response);
                } else {
                    replaceStaticMember(group, group.member(existing), newMemberId, p, response);
                }
            } else if (p.requireKnownMemberId()) {
                // KIP-394: hand out the id first, so that a client that dies before joining leaves no member behind.
                group.pendingMembers.add(newMemberId);
                schedule(() -> expirePendingMember(group, newMemberId), p.sessionTimeoutMs());
                response.complete(joinError(Errors.MEMBER_ID_REQUIRED, newMemberId));
            } else {
                addMemberThenRebalanceOrCompleteJoin(group, newMemberId, p, response);
            }
        }
    }

    private void joinExistingMember(ClassicGroup group, GroupCoordinator.JoinParams p, CompletableFuture<JoinGroupResponseData> response) {
        String memberId = p.memberId();
        if (group.is(GroupState.DEAD)) {
            response.complete(joinError(Errors.COORDINATOR_NOT_AVAILABLE, memberId));
            return;
        }
        if (!group.supportsProtocols(p.protocolType(), p.protocols().keySet())) {
            response.complete(joinError(Errors.INCONSISTENT_GROUP_PROTOCOL, memberId));
            return;
        }
        if (group.pendingMembers.contains(memberId)) {
            addMemberThenRebalanceOrCompleteJoin(group, memberId, p, response);
            return;
        }
        Errors memberError = validateMember(group, memberId, p.groupInstanceId());
        if (memberError != Errors.NONE) {
            response.complete(joinError(memberError, memberId));
            return;
        }
        GroupMember member = group.member(memberId);
        switch (group.state()) {
            case PREPARING_REBALANCE -> updateMemberThenRebalanceOrCompleteJoin(group, member, p, response);
            case COMPLETING_REBALANCE -> {
                if (member.matches(p.protocols())) {
                    // A retried join of the current generation: the same answer again.
                    response.complete(currentGenerationJoin(group, member, false));
                } else {
                    updateMemberThenRebalanceOrCompleteJoin(group, member, p, response);
                }
            }
            case STABLE -> {
                if (group.isLeader(memberId) || !member.matches(p.protocols())) {
                    // The leader rejoining (or anyone changing its subscription) asks for a new assignment.
                    updateMemberThenRebalanceOrCompleteJoin(group, member, p, response);
                } else {
                    response.complete(currentGenerationJoin(group, member, false));
                }
            }
            case EMPTY, DEAD -> response.complete(joinError(Errors.UNKNOWN_MEMBER_ID, memberId));
        }
    }

    /**
     * A static member restarted (same instance id, no member id): it takes over its old entry under
     * a new id. In a Stable group whose protocol it still supports with the same metadata this is
     * not a rebalance: the group is rewritten with the new id and the member gets its old
     * assignment back (the leader is told to skip assigning, KIP-814).
     */
    private void replaceStaticMember(ClassicGroup group, GroupMember old, String newMemberId, GroupCoordinator.JoinParams p,
                                     CompletableFuture<JoinGroupResponseData> response) {
        if (old.awaitingJoin != null) {
            old.awaitingJoin.complete(joinError(Errors.FENCED_INSTANCE_ID, old.memberId));
            old.awaitingJoin = null;
            group.numMembersAwaitingJoin--;
        }
        if (old.awaitingSync != null) {
            old.awaitingSync.complete(syncError(Errors.FENCED_INSTANCE_ID));
            old.awaitingSync = null;
        }
        cancel(old.expiryTimer);
        boolean sameMetadata = group.protocolName != null && p.protocols().containsKey(group.protocolName)
                && java.util.Arrays.equals(p.protocols().get(group.protocolName), old.protocols.get(group.protocolName));
        if (group.is(GroupState.STABLE) && sameMetadata) {
            GroupMember member = group.replaceStatic(old, newMemberId);
            member.protocols = p.protocols();
            member.rebalanceTimeoutMs = p.rebalanceTimeoutMs();
            member.sessionTimeoutMs = p.sessionTimeoutMs();
            member.heartbeatDeadlineMs = time.milliseconds() + member.sessionTimeoutMs;
            // Kafka's order for this one case: the record must name the new id, so the swap is made
            // first and undone if the write fails; until the answer goes out nobody knows the new id.
            append(List.of(groupRecord(group)), error -> {
                if (error != Errors.NONE) {
                    // Not durable: put the old id back, as if the join never happened.
                    if (group.hasMember(newMemberId)) {
                        GroupMember back = group.replaceStatic(member, old.memberId);
                        back.protocols = old.protocols;
                        armExpiry(group, back);
                    }
                    response.complete(joinError(error, ""));
                    return;
                }
                armExpiry(group, member);
                boolean leader = group.isLeader(newMemberId);
                JoinGroupResponseData answer = currentGenerationJoin(group, member, leader);
                if (leader && p.supportsSkipAssignment()) answer.setSkipAssignment(true);
                response.complete(answer);
            });
            return;
        }
        GroupMember member = group.replaceStatic(old, newMemberId);
        updateMemberThenRebalanceOrCompleteJoin(group, member, p, response);
    }

    private void addMemberThenRebalanceOrCompleteJoin(ClassicGroup group, String memberId, GroupCoordinator.JoinParams p,
                                                     CompletableFuture<JoinGroupResponseData> response) {
        group.pendingMembers.remove(memberId);
        if (group.is(GroupState.EMPTY)) group.protocolType = p.protocolType();
        GroupMember member = new GroupMember(memberId, p.groupInstanceId(), p.clientId(), p.clientHost(),
                p.rebalanceTimeoutMs(), p.sessionTimeoutMs(), p.protocols());
        member.isNew = true;
        member.awaitingJoin = response;
        group.add(member);
        if (group.is(GroupState.PREPARING_REBALANCE) && group.initialJoinPhase) group.newMemberAdded = true;
        // A new member that never completes its join must not hold the group forever.
        member.heartbeatDeadlineMs = time.milliseconds() + config.newMemberJoinTimeoutMs();
        armExpiry(group, member);
        rebalanceOrCompleteJoin(group, "member " + memberId + " joined");
    }

    private void updateMemberThenRebalanceOrCompleteJoin(ClassicGroup group, GroupMember member, GroupCoordinator.JoinParams p,
                                                        CompletableFuture<JoinGroupResponseData> response) {
        member.protocols = p.protocols();
        member.rebalanceTimeoutMs = p.rebalanceTimeoutMs();
        member.sessionTimeoutMs = p.sessionTimeoutMs();
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(joinError(Errors.REBALANCE_IN_PROGRESS, member.memberId)); // superseded by this join
        } else {
            group.numMembersAwaitingJoin++;
        }
        member.awaitingJoin = response;
        rebalanceOrCompleteJoin(group, "member " + member.memberId + " rejoined");
    }

    private void rebalanceOrCompleteJoin(ClassicGroup group, String reason) {
        if (group.canRebalance()) prepareRebalance(group, reason);
        else if (group.is(GroupState.PREPARING_REBALANCE)) tryCompleteJoin(group);
    }

    /**
     * Starts a join phase. Members waiting for an assignment are told to rejoin. An empty group's
     * first rebalance waits the initial delay (extended while members keep arriving, up to the
     * rebalance timeout); any other ends when every member has rejoined or the rebalance timeout
     * passes.
     */
    private void prepareRebalance(ClassicGroup group, String reason) {
        if (group.is(GroupState.COMPLETING_REBALANCE)) failPendingSyncs(group, Errors.REBALANCE_IN_PROGRESS);
        cancel(group.syncTimer);
        group.pendingSyncMembers.clear();
        boolean initial = group.is(GroupState.EMPTY);
        int rebalanceTimeoutMs = group.rebalanceTimeoutMs();
        long delayMs;
        if (initial) {
            delayMs = Math.min(config.initialRebalanceDelayMs(), rebalanceTimeoutMs);
            group.initialDelayRemainingMs = Math.max(rebalanceTimeoutMs - config.initialRebalanceDelayMs(), 0);
            group.newMemberAdded = false;
        } else {
            delayMs = rebalanceTimeoutMs;
        }
        group.initialJoinPhase = initial;
        group.transitionTo(GroupState.PREPARING_REBALANCE, time.milliseconds());
        LOG.debugf("Preparing to rebalance group %s (generation %d): %s", group.groupId, group.generationId, reason);
        cancel(group.joinTimer);
        group.joinTimer = schedule(() -> onJoinTimer(group), delayMs);
        if (!initial) tryCompleteJoin(group);
    }

    private void onJoinTimer(ClassicGroup group) {
        if (!group.is(GroupState.PREPARING_REBALANCE) || groups.get(group.groupId) != group) return;
        if (group.initialJoinPhase && group.newMemberAdded && group.initialDelayRemainingMs > 0) {
            long delayMs = Math.min(config.initialRebalanceDelayMs(), group.initialDelayRemainingMs);
            group.initialDelayRemainingMs = Math.max(group.initialDelayRemainingMs - config.initialRebalanceDelayMs(), 0);
            group.newMemberAdded = false;
            group.joinTimer = schedule(() -> onJoinTimer(group), delayMs);
            return;
        }
        completeJoin(group);
    }

    private void tryCompleteJoin(ClassicGroup group) {
        if (group.is(GroupState.PREPARING_REBALANCE) && !group.initialJoinPhase && group.allMembersJoined()) {
            cancel(group.joinTimer);
            completeJoin(group);
        }
    }

    /**
     * Ends the join phase: dynamic members that did not rejoin are dropped (static ones keep their
     * place, that is the point of static membership), the next generation starts, and every
     * waiting JoinGroup is answered — the leader with every member's metadata. An emptied group's
     * new generation is written to the log.
     */
    private void completeJoin(ClassicGroup group) {
        for (GroupMember m : new ArrayList<>(group.members.values())) {
            if (!m.isAwaitingJoin() && !m.isStatic()) {
                cancel(m.expiryTimer);
                group.remove(m.memberId);
            }
        }
        if (!group.members.isEmpty() && !electJoinedLeader(group)) {
            // Only static members that have not rejoined are left: wait for them, or for their sessions to end.
            group.joinTimer = schedule(() -> onJoinTimer(group), Math.max(1, group.rebalanceTimeoutMs()));
            return;
        }
        group.initialJoinPhase = false;
        group.initNextGeneration(time.milliseconds());
        if (group.is(GroupState.EMPTY)) {
            LOG.debugf("Group %s is empty at generation %d", group.groupId, group.generationId);
            append(List.of(groupRecord(group)), error -> {
                if (error != Errors.NONE) LOG.warnf("Writing the empty generation of group %s failed: %s", group.groupId, error);
            });
            return;
        }
        LOG.debugf("Group %s starts generation %d with %d member(s), protocol %s", group.groupId, group.generationId,
                group.size(), group.protocolName);
        long now = time.milliseconds();
        for (GroupMember m : group.members.values()) {
            if (m.awaitingJoin != null) {
                CompletableFuture<JoinGroupResponseData> f = m.awaitingJoin;
                m.awaitingJoin = null;
                f.complete(currentGenerationJoin(group, m, group.isLeader(m.memberId)));
            }
            m.isNew = false;
            m.heartbeatDeadlineMs = now + m.sessionTimeoutMs;
            armExpiry(group, m); // the deadline may be earlier than the new-member one the timer waits for
            group.pendingSyncMembers.add(m.memberId);
        }
        group.numMembersAwaitingJoin = 0;
        int generation = group.generationId;
        group.syncTimer = schedule(() -> onSyncTimer(group, generation), Math.max(1, group.rebalanceTimeoutMs()));
    }

    /** The leader must be a member that rejoined; returns false if none did. */
    private static boolean electJoinedLeader(ClassicGroup group) {
        GroupMember leader = group.member(group.leaderId);
        if (leader != null && leader.isAwaitingJoin()) return true;
        for (GroupMember m : group.members.values()) {
            if (m.isAwaitingJoin()) {
                group.leaderId = m.memberId;
                return true;
            }
        }
        return false;
    }

    /** Members that got the generation but never came for their assignment are dropped, and the group rebalances. */
    private void onSyncTimer(ClassicGroup group, int generation) {
        if (groups.get(group.groupId) != group || group.generationId != generation || group.pendingSyncMembers.isEmpty()) return;
        if (!group.is(GroupState.COMPLETING_REBALANCE) && !group.is(GroupState.STABLE)) return;
        LOG.infof("Group %s: member(s) %s sent no SyncGroup within the rebalance timeout; removing them", group.groupId, group.pendingSyncMembers);
        for (String memberId : new ArrayList<>(group.pendingSyncMembers)) {
            GroupMember m = group.member(memberId);
            if (m != null) removeMember(group, m);
        }
        rebalanceOrCompleteJoin(group, "members failed to sync");
    }

    private JoinGroupResponseData currentGenerationJoin(ClassicGroup group, GroupMember member, boolean withMembers) {
        JoinGroupResponseData response = new JoinGroupResponseData().setErrorCode(Errors.NONE.code())
                .setGenerationId(group.generationId).setProtocolType(group.protocolType).setProtocolName(group.protocolName)
                .setLeader(group.leaderId).setMemberId(member.memberId);
        if (withMembers) {
            for (GroupMember m : group.members.values()) {
                response.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(m.memberId)
                        .setGroupInstanceId(m.groupInstanceId).setMetadata(m.metadata(group.protocolName)));
            }
        }
        return response;
    }

    static JoinGroupResponseData joinError(Errors error, String memberId) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1).setProtocolName(null)
                .setLeader("").setMemberId(memberId == null ? "" : memberId);
    }

    private void expirePendingMember(ClassicGroup group, String memberId) {
        if (!group.pendingMembers.remove(memberId)) return;
        LOG.debugf("Pending member %s of group %s did not join within its session timeout", memberId, group.groupId);
        if (group.is(GroupState.PREPARING_REBALANCE)) tryCompleteJoin(group);
        else if (group.isForgettable() && groups.get(group.groupId) == group) groups.remove(group.groupId);
    }

    // ------------------------------------------------------------------ SyncGroup

    CompletableFuture<SyncGroupResponseData> sync(String groupId, int generationId, String memberId, String groupInstanceId,
                                                  String protocolType, String protocolName, Map<String, byte[]> assignments) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) return completed(syncError(Errors.UNKNOWN_MEMBER_ID));
        if (group.is(GroupState.DEAD)) return completed(syncError(Errors.COORDINATOR_NOT_AVAILABLE));
        Errors memberError = validateMember(group, memberId, groupInstanceId);
        if (memberError != Errors.NONE) return completed(syncError(memberError));
        if (generationId != group.generationId) return completed(syncError(Errors.ILLEGAL_GENERATION));
        if (inconsistent(protocolType, group.protocolType) || inconsistent(protocolName, group.protocolName))
            return completed(syncError(Errors.INCONSISTENT_GROUP_PROTOCOL));
        GroupMember member = group.member(memberId);
        switch (group.state()) {
            case PREPARING_REBALANCE -> {
                return completed(syncError(Errors.REBALANCE_IN_PROGRESS));
            }
            case STABLE -> {
                group.pendingSyncMembers.remove(memberId);
                extendSession(member);
                return completed(syncAnswer(group, member.assignment));
            }
            case COMPLETING_REBALANCE -> {
                CompletableFuture<SyncGroupResponseData> response = new CompletableFuture<>();
                if (member.awaitingSync != null) member.awaitingSync.complete(syncError(Errors.REBALANCE_IN_PROGRESS));
                member.awaitingSync = response;
                group.pendingSyncMembers.remove(memberId);
                extendSession(member);
                if (group.isLeader(memberId) && !group.assignmentPending) writeAssignment(group, assignments);
                return response;
            }
            default -> {
                return completed(syncError(Errors.UNKNOWN_MEMBER_ID));
            }
        }
    }

    /**
     * The leader's assignment: written first (with the members' metadata, as Kafka persists a
     * group), then given to every member waiting in SyncGroup, and the group is Stable. If the
     * group moved on while the write was in flight (a member left, a new join), the assignment is
     * for a dead generation and is dropped; the members already got REBALANCE_IN_PROGRESS.
     */
    private void writeAssignment(ClassicGroup group, Map<String, byte[]> assignments) {
        int generation = group.generationId;
        Map<String, byte[]> previous = new HashMap<>();
        for (GroupMember m : group.members.values()) {
            previous.put(m.memberId, m.assignment);
            m.assignment = assignments.getOrDefault(m.memberId, new byte[0]);
        }
        byte[] value = GroupRecords.groupValue(group);
        // Back to the durable assignment until the write succeeds: nothing reads the new one before that.
        for (GroupMember m : group.members.values()) m.assignment = previous.get(m.memberId);
        group.assignmentPending = true;
        append(List.of(new SimpleRecord(time.milliseconds(), GroupRecords.groupKey(group.groupId), value)), error -> {
            group.assignmentPending = false;
            if (groups.get(group.groupId) != group || !group.is(GroupState.COMPLETING_REBALANCE) || group.generationId != generation) return;
            if (error != Errors.NONE) {
                failPendingSyncs(group, error);
                prepareRebalance(group, "writing the assignment failed: " + error);
                return;
            }
            for (GroupMember m : group.members.values()) m.assignment = assignments.getOrDefault(m.memberId, new byte[0]);
            group.transitionTo(GroupState.STABLE, time.milliseconds());
            for (GroupMember m : group.members.values()) {
                if (m.awaitingSync != null) {
                    CompletableFuture<SyncGroupResponseData> f = m.awaitingSync;
                    m.awaitingSync = null;
                    f.complete(syncAnswer(group, m.assignment));
                }
            }
            LOG.debugf("Group %s is stable at generation %d", group.groupId, group.generationId);
        });
    }

    private void failPendingSyncs(ClassicGroup group, Errors error) {
        for (GroupMember m : group.members.values()) {
            if (m.awaitingSync != null) {
                CompletableFuture<SyncGroupResponseData> f = m.awaitingSync;
                m.awaitingSync = null;
                f.complete(syncError(error));
            }
        }
    }

    private static SyncGroupResponseData syncAnswer(ClassicGroup group, byte[] assignment) {
        return new SyncGroupResponseData().setErrorCode(Errors.NONE.code()).setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName).setAssignment(assignment);
    }

    static SyncGroupResponseData syncError(Errors error) {
        return new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]);
    }

    private static boolean inconsistent(String requested, String actual) {
        return requested != null && actual != null && !requested.equals(actual);
    }

    // ------------------------------------------------------------------ Heartbeat and sessions

    Errors heartbeat(String groupId, int generationId, String memberId, String groupInstanceId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) return Errors.UNKNOWN_MEMBER_ID;
        if (group.is(GroupState.DEAD)) return Errors.COORDINATOR_NOT_AVAILABLE;
        Errors memberError = validateMember(group, memberId, groupInstanceId);
        if (memberError != Errors.NONE) return memberError;
        if (generationId != group.generationId) return Errors.ILLEGAL_GENERATION;
        GroupMember member = group.member(memberId);
        return switch (group.state()) {
            case EMPTY, DEAD -> Errors.UNKNOWN_MEMBER_ID;
            case PREPARING_REBALANCE -> {
                extendSession(member);
                yield Errors.REBALANCE_IN_PROGRESS;
            }
            case COMPLETING_REBALANCE, STABLE -> {
                extendSession(member);
                yield Errors.NONE;
            }
        };
    }

    private void extendSession(GroupMember member) {
        member.heartbeatDeadlineMs = time.milliseconds() + member.sessionTimeoutMs;
    }

    /** Arms the member's expiry timer at its deadline; the timer re-arms itself while heartbeats move the deadline. */
    private void armExpiry(ClassicGroup group, GroupMember member) {
        cancel(member.expiryTimer);
        member.expiryTimer = schedule(() -> checkExpiry(group, member), Math.max(1, member.heartbeatDeadlineMs - time.milliseconds()));
    }

    private void checkExpiry(ClassicGroup group, GroupMember member) {
        if (groups.get(group.groupId) != group || group.member(member.memberId) != member) return;
        long now = time.milliseconds();
        if (member.isCoveredByRebalance() && now >= member.heartbeatDeadlineMs) member.heartbeatDeadlineMs = now + member.sessionTimeoutMs;
        if (now < member.heartbeatDeadlineMs) {
            member.expiryTimer = schedule(() -> checkExpiry(group, member), member.heartbeatDeadlineMs - now);
            return;
        }
        LOG.infof("Member %s of group %s expired: no heartbeat within %d ms", member.memberId, group.groupId, member.sessionTimeoutMs);
        removeMember(group, member);
        afterMemberRemoved(group, "member " + member.memberId + " expired");
    }

    /** Takes a member out, answering whatever it waits for with UNKNOWN_MEMBER_ID (so a live client rejoins). */
    private void removeMember(ClassicGroup group, GroupMember member) {
        cancel(member.expiryTimer);
        if (member.awaitingJoin != null) member.awaitingJoin.complete(joinError(Errors.UNKNOWN_MEMBER_ID, member.memberId));
        if (member.awaitingSync != null) member.awaitingSync.complete(syncError(Errors.UNKNOWN_MEMBER_ID));
        group.remove(member.memberId);
        member.awaitingJoin = null;
        member.awaitingSync = null;
    }

    private void afterMemberRemoved(ClassicGroup group, String reason) {
        switch (group.state()) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(group, reason);
            case PREPARING_REBALANCE -> tryCompleteJoin(group);
            default -> { }
        }
    }

    /**
     * Kafka's member check: a static member is known by its instance id and must present the
     * member id that instance has now (else it is a fenced, older incarnation); a dynamic member
     * must simply be in the group.
     */
    private static Errors validateMember(ClassicGroup group, String memberId, String groupInstanceId) {
        if (groupInstanceId != null) {
            String existing = group.staticMemberId(groupInstanceId);
            if (existing == null) return Errors.UNKNOWN_MEMBER_ID;
            if (!existing.equals(memberId)) return Errors.FENCED_INSTANCE_ID;
        }
        return group.hasMember(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }

    // ------------------------------------------------------------------ LeaveGroup

    /** Returns the group-level error (NONE when per-member errors tell the story) and the per-member errors. */
    LeaveGroupResponseData leave(String groupId, List<GroupCoordinator.LeavingMember> leaving) {
        LeaveGroupResponseData response = new LeaveGroupResponseData().setErrorCode(Errors.NONE.code());
        ClassicGroup group = groups.get(groupId);
        if (group != null && group.is(GroupState.DEAD)) return response.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code());
        boolean removedAny = false;
        boolean removedPending = false;
        for (GroupCoordinator.LeavingMember l : leaving) {
            Errors error;
            if (group == null) {
                error = Errors.UNKNOWN_MEMBER_ID;
            } else if (l.groupInstanceId() != null) {
                String existing = group.staticMemberId(l.groupInstanceId());
                if (existing == null) error = Errors.UNKNOWN_MEMBER_ID;
                else if (!l.memberId().isEmpty() && !existing.equals(l.memberId())) error = Errors.FENCED_INSTANCE_ID;
                else {
                    removeMember(group, group.member(existing));
                    removedAny = true;
                    error = Errors.NONE;
                }
            } else if (group.pendingMembers.remove(l.memberId())) {
                removedPending = true;
                error = Errors.NONE;
            } else if (group.hasMember(l.memberId())) {
                removeMember(group, group.member(l.memberId()));
                removedAny = true;
                error = Errors.NONE;
            } else {
                error = Errors.UNKNOWN_MEMBER_ID;
            }
            response.members().add(new LeaveGroupResponseData.MemberResponse().setMemberId(l.memberId())
                    .setGroupInstanceId(l.groupInstanceId()).setErrorCode(error.code()));
        }
        if (removedAny) afterMemberRemoved(group, "member(s) left");
        else if (removedPending && group.is(GroupState.PREPARING_REBALANCE)) tryCompleteJoin(group);
        return response;
    }

    // ------------------------------------------------------------------ Offsets

    /**
     * Commits offsets after Kafka's checks: a simple consumer (generation -1, no member) may commit
     * to an empty or unknown group; a member must be current (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
     * ILLEGAL_GENERATION) and not between join and sync (REBALANCE_IN_PROGRESS). The error applies to
     * every partition. Offsets are applied once their records are in the log.
     */
    CompletableFuture<Map<TopicPartition, Errors>> commit(String groupId, int generationId, String memberId, String groupInstanceId,
                                                         long expireTimestampMs, List<GroupCoordinator.OffsetCommit> commits, short apiVersion) {
        ClassicGroup group = groups.get(groupId);
        ConsumerGroup modern = consumer.groups.get(groupId);
        Errors groupError = Errors.NONE;
        if (modern != null) {
            groupError = ConsumerGroups.validateCommit(modern, generationId, memberId, apiVersion);
        } else if (group == null) {
            if (generationId >= 0) groupError = apiVersion >= 9 ? Errors.GROUP_ID_NOT_FOUND : Errors.ILLEGAL_GENERATION;
        } else {
            groupError = validateCommit(group, generationId, memberId, groupInstanceId);
        }
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        if (groupError != Errors.NONE) {
            for (GroupCoordinator.OffsetCommit c : commits) results.put(c.partition(), groupError);
            return completed(results);
        }
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>();
        List<Map.Entry<TopicPartition, CommittedOffset>> written = offsetRecords(groupId, commits, now, expireTimestampMs, records, results);
        if (records.isEmpty()) return completed(results);
        CompletableFuture<Map<TopicPartition, Errors>> response = new CompletableFuture<>();
        appendAt(records, (error, baseOffset) -> {
            if (error == Errors.NONE) {
                Group target = anyGroup(groupId);
                if (target == null) target = groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, now));
                for (int i = 0; i < written.size(); i++) {
                    // A transaction's offset with a later record may have been committed by its marker while this waited for replication.
                    CommittedOffset offset = written.get(i).getValue().at(baseOffset + i);
                    if (PendingTxnOffsets.replaces(offset, target.offsets.get(written.get(i).getKey()))) target.offsets.put(written.get(i).getKey(), offset);
                }
            } else {
                Errors mapped = error == Errors.MESSAGE_TOO_LARGE || error == Errors.RECORD_LIST_TOO_LARGE ? Errors.INVALID_COMMIT_OFFSET_SIZE : error;
                written.forEach(w -> results.put(w.getKey(), mapped));
            }
            response.complete(results);
        });
        return response;
    }

    /**
     * The offset records of a commit, in request order (one per partition asked for, a repeated
     * partition twice, the later winning), with OFFSET_METADATA_TOO_LARGE for metadata over
     * {@code offset.metadata.max.bytes} and NONE for the rest put into {@code results}.
     */
    private List<Map.Entry<TopicPartition, CommittedOffset>> offsetRecords(String groupId, List<GroupCoordinator.OffsetCommit> commits, long nowMs,
                                                                           long expireTimestampMs, List<SimpleRecord> records,
                                                                           Map<TopicPartition, Errors> results) {
        List<Map.Entry<TopicPartition, CommittedOffset>> written = new ArrayList<>();
        for (GroupCoordinator.OffsetCommit c : commits) {
            if (c.metadata() != null && c.metadata().length() > config.offsetMetadataMaxBytes()) {
                results.put(c.partition(), Errors.OFFSET_METADATA_TOO_LARGE);
                continue;
            }
            CommittedOffset offset = new CommittedOffset(c.offset(), c.leaderEpoch(), c.metadata() == null ? "" : c.metadata(),
                    nowMs, expireTimestampMs);
            written.add(Map.entry(c.partition(), offset));
            records.add(new SimpleRecord(nowMs, GroupRecords.offsetKey(groupId, c.partition()), GroupRecords.offsetValue(offset)));
            results.put(c.partition(), Errors.NONE);
        }
        return written;
    }

    // ------------------------------------------------------------------ Transactional offsets

    /**
     * TxnOffsetCommit (KIP-98, KIP-447), Kafka's way:
     * <ol>
     *   <li>validate against the group ({@link #validateTxnCommit}); one error answers every partition;</li>
     *   <li>refuse metadata over {@code offset.metadata.max.bytes} per partition (OFFSET_METADATA_TOO_LARGE);</li>
     *   <li>write the rest as ONE transactional batch of the producer (its id and epoch) and wait
     *       for the high watermark, as for a regular commit, before answering;</li>
     *   <li>hold the offsets pending in {@link #pendingTxn} as soon as the batch is in the log, not
     *       once replicated: a marker can follow the batch into the log before the high watermark
     *       does (the transaction coordinator aborting on timeout), and must find them, as replay
     *       would. Nobody sees them until the producer's COMMIT marker ({@link #completeTransaction});
     *       an unknown group becomes an empty simple group, as when Kafka replays the record.</li>
     * </ol>
     * An append error (a fenced producer epoch, say) answers every written partition and holds
     * nothing; a replication timeout after the append answers an error but the offsets, being in
     * the log, stay pending like any the log holds.
     */
    CompletableFuture<Map<TopicPartition, Errors>> commitTransactional(String groupId, long producerId, short producerEpoch, int generationId,
                                                                      String memberId, String groupInstanceId,
                                                                      List<GroupCoordinator.OffsetCommit> commits, short apiVersion) {
        Errors groupError = validateTxnCommit(groupId, generationId, memberId, groupInstanceId, apiVersion);
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        if (groupError != Errors.NONE) {
            for (GroupCoordinator.OffsetCommit c : commits) results.put(c.partition(), groupError);
            return completed(results);
        }
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>();
        List<Map.Entry<TopicPartition, CommittedOffset>> written = offsetRecords(groupId, commits, now, -1, records, results);
        if (records.isEmpty()) return completed(results);
        CompletableFuture<Map<TopicPartition, Errors>> response = new CompletableFuture<>();
        appendTransactional(producerId, producerEpoch, records, baseOffset -> {
            if (anyGroup(groupId) == null) groups.put(groupId, new ClassicGroup(groupId, now));
            for (int i = 0; i < written.size(); i++) {
                pendingTxn.add(producerId, groupId, written.get(i).getKey(), written.get(i).getValue().at(baseOffset + i));
            }
        }, (error, baseOffset) -> {
            if (error != Errors.NONE) written.forEach(w -> results.put(w.getKey(), error));
            response.complete(results);
        });
        return response;
    }

    /**
     * Kafka's checks of a TxnOffsetCommit. A group that does not exist accepts generation -1 (it
     * will be a simple group) and answers ILLEGAL_GENERATION otherwise (GROUP_ID_NOT_FOUND from v6,
     * KIP-1319). Without a generation, member
     * id or instance id (the pre-KIP-447 producer) nothing is checked, whatever the group's state.
     * With them (v3+, {@code sendOffsetsToTransaction(offsets, groupMetadata)}):
     * <ul>
     *   <li>a classic group checks the member (UNKNOWN_MEMBER_ID; FENCED_INSTANCE_ID for an older
     *       incarnation of a static member) and the generation (ILLEGAL_GENERATION), but not the
     *       rebalance state: a transactional commit is allowed while CompletingRebalance;</li>
     *   <li>a KIP-848 group checks the member (UNKNOWN_MEMBER_ID) and its epoch, a mismatch being
     *       ILLEGAL_GENERATION (STALE_MEMBER_EPOCH from v6).</li>
     * </ul>
     */
    Errors validateTxnCommit(String groupId, int generationId, String memberId, String groupInstanceId, short apiVersion) {
        ConsumerGroup modern = consumer.groups.get(groupId);
        if (modern != null) return ConsumerGroups.validateTxnCommit(modern, generationId, memberId, groupInstanceId, apiVersion);
        ClassicGroup group = groups.get(groupId);
        if (group == null) return generationId < 0 ? Errors.NONE : apiVersion >= 6 ? Errors.GROUP_ID_NOT_FOUND : Errors.ILLEGAL_GENERATION;
        if (group.is(GroupState.DEAD)) return Errors.COORDINATOR_NOT_AVAILABLE;
        if (generationId < 0 && group.is(GroupState.EMPTY)) return Errors.NONE;
        if (generationId >= 0 || !memberId.isEmpty() || groupInstanceId != null) {
            Errors memberError = validateMember(group, memberId, groupInstanceId);
            if (memberError != Errors.NONE) return memberError;
            if (generationId != group.generationId) return Errors.ILLEGAL_GENERATION;
        }
        return Errors.NONE;
    }

    /**
     * The producer's COMMIT or ABORT marker is in this partition's log: its pending offsets become
     * committed (each unless a later regular commit of that partition is in the log) or are
     * dropped. A producer with nothing pending changes nothing. While loading it does nothing: the
     * marker is in the log, and the loader reads to the log end ({@link #loadFrom}).
     */
    void completeTransaction(long producerId, boolean commit) {
        if (status != Status.ACTIVE) return;
        endTransaction(producerId, commit);
    }

    private void endTransaction(long producerId, boolean commit) {
        Map<String, Map<TopicPartition, CommittedOffset>> ended = pendingTxn.end(producerId);
        if (!commit) return;
        long now = time.milliseconds();
        ended.forEach((groupId, offsets) -> {
            Group group = anyGroup(groupId);
            if (group == null) group = groups.computeIfAbsent(groupId, id -> new ClassicGroup(id, now));
            for (Map.Entry<TopicPartition, CommittedOffset> e : offsets.entrySet()) {
                CommittedOffset current = group.offsets.get(e.getKey());
                if (PendingTxnOffsets.replaces(e.getValue(), current)) {
                    group.offsets.put(e.getKey(), e.getValue());
                } else {
                    LOG.debugf("Transactional offset of %s for %s by producer %d (record %d) is older than the commit at record %d: kept the latter",
                            groupId, e.getKey(), producerId, e.getValue().recordOffset(), current.recordOffset());
                }
            }
        });
    }

    private static Errors validateCommit(ClassicGroup group, int generationId, String memberId, String groupInstanceId) {
        if (group.is(GroupState.DEAD)) return Errors.COORDINATOR_NOT_AVAILABLE;
        if (generationId < 0 && group.is(GroupState.EMPTY)) return Errors.NONE; // a simple consumer or the admin client
        if (generationId >= 0 || !memberId.isEmpty() || groupInstanceId != null) {
            Errors memberError = validateMember(group, memberId, groupInstanceId);
            if (memberError != Errors.NONE) return memberError;
            if (generationId != group.generationId) return Errors.ILLEGAL_GENERATION;
        } else if (!group.is(GroupState.EMPTY)) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (group.is(GroupState.COMPLETING_REBALANCE)) return Errors.REBALANCE_IN_PROGRESS;
        return Errors.NONE;
    }

    /**
     * Committed offsets of the partitions asked for (all of them when {@code partitions} is null).
     * A member of a KIP-848 group that names itself must be one, at its current epoch.
     */
    GroupCoordinator.FetchResult fetchOffsets(String groupId, String memberId, int memberEpoch, List<TopicPartition> partitions) {
        return fetchOffsets(groupId, memberId, memberEpoch, partitions, false);
    }

    /**
     * {@link #fetchOffsets(String, String, int, List)}, and with {@code requireStable} (OffsetFetch
     * v7+) the partitions an open transaction has a pending offset for are named unstable (Kafka
     * answers them UNSTABLE_OFFSET_COMMIT, offset -1); without it they answer their last committed
     * offset. Pending offsets themselves are never returned.
     */
    GroupCoordinator.FetchResult fetchOffsets(String groupId, String memberId, int memberEpoch, List<TopicPartition> partitions,
                                              boolean requireStable) {
        Group group = anyGroup(groupId);
        if (group instanceof ConsumerGroup modern) {
            Errors error = ConsumerGroups.validateFetch(modern, memberId, memberEpoch);
            if (error != Errors.NONE) return new GroupCoordinator.FetchResult(error, Map.of());
        }
        Map<TopicPartition, CommittedOffset> result = new LinkedHashMap<>();
        if (partitions == null) {
            if (group != null) result.putAll(group.offsets);
        } else {
            for (TopicPartition tp : partitions) result.put(tp, group == null ? null : group.offsets.get(tp));
        }
        java.util.Set<TopicPartition> unstable = new java.util.HashSet<>();
        if (requireStable) {
            for (TopicPartition tp : result.keySet()) if (pendingTxn.isPending(groupId, tp)) unstable.add(tp);
        }
        return new GroupCoordinator.FetchResult(Errors.NONE, result, unstable);
    }

    /** The group of this id, classic or KIP-848, or null. */
    Group anyGroup(String groupId) {
        ConsumerGroup modern = consumer.groups.get(groupId);
        return modern != null ? modern : groups.get(groupId);
    }

    /**
     * OffsetDelete: only offsets of topics the group does not consume (GROUP_SUBSCRIBED_TO_TOPIC
     * otherwise); a non-empty group of another protocol cannot tell, so it is refused whole.
     * Tombstones first, then the offsets are gone.
     */
    CompletableFuture<GroupCoordinator.OffsetDeleteResult> deleteOffsets(String groupId, List<TopicPartition> partitions) {
        Group group = anyGroup(groupId);
        if (group == null || group instanceof ClassicGroup c && c.is(GroupState.DEAD))
            return completed(new GroupCoordinator.OffsetDeleteResult(Errors.GROUP_ID_NOT_FOUND, Map.of()));
        if (group instanceof ClassicGroup c && !c.is(GroupState.EMPTY) && !ConsumerProtocol.PROTOCOL_TYPE.equals(c.protocolType))
            return completed(new GroupCoordinator.OffsetDeleteResult(Errors.NON_EMPTY_GROUP, Map.of()));
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        List<SimpleRecord> tombstones = new ArrayList<>();
        List<TopicPartition> deleted = new ArrayList<>();
        long now = time.milliseconds();
        for (TopicPartition tp : partitions) {
            if (group.isSubscribedTo(tp.topic())) {
                results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
                continue;
            }
            results.put(tp, Errors.NONE);
            if (group.offsets.containsKey(tp) || pendingTxn.isPending(groupId, tp)) { // the tombstone drops pending offsets too
                tombstones.add(new SimpleRecord(now, GroupRecords.offsetKey(groupId, tp), null));
                deleted.add(tp);
            }
        }
        if (tombstones.isEmpty()) return completed(new GroupCoordinator.OffsetDeleteResult(Errors.NONE, results));
        CompletableFuture<GroupCoordinator.OffsetDeleteResult> response = new CompletableFuture<>();
        append(tombstones, error -> {
            if (error == Errors.NONE) {
                for (TopicPartition tp : deleted) {
                    group.offsets.remove(tp);
                    pendingTxn.dropPartition(groupId, tp);
                }
            } else {
                deleted.forEach(tp -> results.put(tp, error));
            }
            response.complete(new GroupCoordinator.OffsetDeleteResult(Errors.NONE, results));
        });
        return response;
    }

    // ------------------------------------------------------------------ Describe, list, delete

    DescribeGroupsResponseData.DescribedGroup describe(String groupId) {
        ClassicGroup group = groups.get(groupId);
        DescribeGroupsResponseData.DescribedGroup described = new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId)
                .setErrorCode(Errors.NONE.code());
        if (group == null || group.is(GroupState.DEAD)) {
            return described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setGroupState(GroupState.DEAD.kafkaName())
                    .setProtocolType("").setProtocolData("");
        }
        boolean stable = group.is(GroupState.STABLE);
        described.setGroupState(group.state().kafkaName()).setProtocolType(group.protocolType == null ? "" : group.protocolType)
                .setProtocolData(stable && group.protocolName != null ? group.protocolName : "");
        for (GroupMember m : group.members.values()) {
            described.members().add(new DescribeGroupsResponseData.DescribedGroupMember().setMemberId(m.memberId)
                    .setGroupInstanceId(m.groupInstanceId).setClientId(m.clientId).setClientHost(m.clientHost)
                    .setMemberMetadata(stable ? m.protocols.getOrDefault(group.protocolName, new byte[0]) : new byte[0])
                    .setMemberAssignment(stable ? m.assignment : new byte[0]));
        }
        return described;
    }

    List<GroupCoordinator.Listing> list() {
        List<GroupCoordinator.Listing> listings = new ArrayList<>();
        for (ClassicGroup g : groups.values()) {
            if (g.is(GroupState.DEAD)) continue;
            listings.add(new GroupCoordinator.Listing(g.groupId, g.protocolType == null ? "" : g.protocolType, g.state().kafkaName(),
                    GroupCoordinator.CLASSIC, g.members.size()));
        }
        for (ConsumerGroup g : consumer.groups.values()) {
            listings.add(new GroupCoordinator.Listing(g.groupId, ConsumerProtocol.PROTOCOL_TYPE, g.state(), GroupCoordinator.CONSUMER,
                    g.members.size()));
        }
        return listings;
    }

    /** DeleteGroups for one group: only an empty group; its offsets and metadata get tombstones, then it is gone. */
    CompletableFuture<Errors> deleteGroup(String groupId) {
        ConsumerGroup modern = consumer.groups.get(groupId);
        if (modern != null) return consumer.delete(modern);
        ClassicGroup group = groups.get(groupId);
        if (group == null || group.is(GroupState.DEAD)) return completed(Errors.GROUP_ID_NOT_FOUND);
        if (!group.is(GroupState.EMPTY) || !group.members.isEmpty()) return completed(Errors.NON_EMPTY_GROUP);
        CompletableFuture<Errors> response = new CompletableFuture<>();
        java.util.Set<TopicPartition> offsets = offsetsToDelete(group);
        append(tombstonesOf(group, offsets), error -> {
            if (error == Errors.NONE && groups.get(groupId) == group) {
                forget(group);
            }
            if (error == Errors.NONE) offsets.forEach(tp -> pendingTxn.dropPartition(groupId, tp));
            response.complete(error);
        });
        return response;
    }

    /** What DeleteGroups tombstones, as Kafka: the committed offsets and those only a still-open transaction holds. */
    java.util.Set<TopicPartition> offsetsToDelete(Group group) {
        java.util.Set<TopicPartition> offsets = new java.util.HashSet<>(group.offsets.keySet());
        offsets.addAll(pendingTxn.pendingPartitions(group.groupId));
        return offsets;
    }

    private List<SimpleRecord> tombstonesOf(ClassicGroup group, java.util.Set<TopicPartition> offsets) {
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>();
        for (TopicPartition tp : offsets) records.add(new SimpleRecord(now, GroupRecords.offsetKey(group.groupId, tp), null));
        records.add(new SimpleRecord(now, GroupRecords.groupKey(group.groupId), null));
        return records;
    }

    /** An Empty group with no members, offsets or open transaction: expiry may forget it. */
    private boolean forgettable(ClassicGroup group) {
        return group.isForgettable() && !pendingTxn.hasOpenTransactions(group.groupId);
    }

    private void forget(ClassicGroup group) {
        group.transitionTo(GroupState.DEAD, time.milliseconds());
        cancel(group.joinTimer);
        cancel(group.syncTimer);
        groups.remove(group.groupId);
    }

    // ------------------------------------------------------------------ Offset expiry

    private void expireOffsetsPeriodically() {
        expireOffsets().whenComplete((n, e) -> {
            if (status == Status.ACTIVE) expiryTimer = schedule(this::expireOffsetsPeriodically, config.offsetsRetentionCheckIntervalMs());
        });
    }

    /**
     * One pass of {@code offsets.retention.minutes}: writes tombstones for every expired offset
     * ({@link OffsetExpiry}), and for groups left Empty with no offsets, their metadata too; applies
     * them once written. Completes with the number of offsets removed.
     */
    CompletableFuture<Integer> expireOffsets() {
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>();
        Map<ClassicGroup, List<TopicPartition>> expired = new HashMap<>();
        List<ClassicGroup> emptied = new ArrayList<>();
        for (ClassicGroup group : groups.values()) {
            List<TopicPartition> gone = expirable(group, OffsetExpiry.expired(group, now, config.offsetsRetentionMs()));
            if (gone.isEmpty() && !forgettable(group)) continue;
            expired.put(group, gone);
            for (TopicPartition tp : gone) records.add(new SimpleRecord(now, GroupRecords.offsetKey(group.groupId, tp), null));
            if (group.is(GroupState.EMPTY) && group.members.isEmpty() && gone.size() == group.offsets.size()
                    && !pendingTxn.hasOpenTransactions(group.groupId)) {
                records.add(new SimpleRecord(now, GroupRecords.groupKey(group.groupId), null));
                emptied.add(group);
            }
        }
        Map<ConsumerGroup, List<TopicPartition>> expiredModern = new HashMap<>();
        List<ConsumerGroup> emptiedModern = new ArrayList<>();
        for (ConsumerGroup group : consumer.groups.values()) {
            List<TopicPartition> gone = expirable(group, OffsetExpiry.expired(group, now, config.offsetsRetentionMs()));
            boolean forget = group.members.isEmpty() && gone.size() == group.offsets.size() && !consumer.isBusy(group.groupId)
                    && !pendingTxn.hasOpenTransactions(group.groupId);
            if (gone.isEmpty() && !forget) continue;
            expiredModern.put(group, gone);
            if (forget) {
                records.addAll(consumer.tombstones(group, gone));
                emptiedModern.add(group);
            } else {
                for (TopicPartition tp : gone) records.add(new SimpleRecord(now, GroupRecords.offsetKey(group.groupId, tp), null));
            }
        }
        if (records.isEmpty()) return completed(0);
        CompletableFuture<Integer> done = new CompletableFuture<>();
        append(records, error -> {
            if (error != Errors.NONE) {
                LOG.warnf("Writing expired offsets of %s failed: %s", log.topicPartition(), error);
                done.complete(0);
                return;
            }
            int count = 0;
            for (var e : expired.entrySet()) {
                for (TopicPartition tp : e.getValue()) {
                    // A commit that landed while the tombstones were written is newer: keep it.
                    CommittedOffset current = e.getKey().offsets.get(tp);
                    if (current != null && current.commitTimestampMs() <= now) {
                        e.getKey().offsets.remove(tp);
                        count++;
                    }
                }
            }
            for (ClassicGroup g : emptied) {
                if (groups.get(g.groupId) == g && forgettable(g)) forget(g);
            }
            for (var e : expiredModern.entrySet()) {
                for (TopicPartition tp : e.getValue()) {
                    CommittedOffset current = e.getKey().offsets.get(tp);
                    if (current != null && current.commitTimestampMs() <= now) {
                        e.getKey().offsets.remove(tp);
                        count++;
                    }
                }
            }
            for (ConsumerGroup g : emptiedModern) {
                if (g.members.isEmpty() && g.offsets.isEmpty() && !consumer.isBusy(g.groupId) && !pendingTxn.hasOpenTransactions(g.groupId))
                    consumer.groups.remove(g.groupId, g);
            }
            if (count > 0) LOG.infof("Expired %d offset(s) in %s", count, log.topicPartition());
            done.complete(count);
        });
        return done;
    }

    /** Kafka keeps an expired offset while a transaction has a pending offset for its partition. */
    private List<TopicPartition> expirable(Group group, List<TopicPartition> expired) {
        expired.removeIf(tp -> pendingTxn.isPending(group.groupId, tp));
        return expired;
    }

    // ------------------------------------------------------------------ the log and timers

    private SimpleRecord groupRecord(ClassicGroup group) {
        return new SimpleRecord(time.milliseconds(), GroupRecords.groupKey(group.groupId), GroupRecords.groupValue(group));
    }

    /**
     * Appends records to this shard's partition and calls {@code then} on the shard thread with the
     * outcome, mapped to the error a coordinator answers (Kafka's mapping).
     */
    void append(List<SimpleRecord> records, Consumer<Errors> then) {
        appendAt(records, (error, baseOffset) -> then.accept(error));
    }

    /** {@link #append}, telling {@code then} the log offset of the first record as well (-1 on error). */
    void appendAt(List<SimpleRecord> records, BiConsumer<Errors, Long> then) {
        write(MemoryRecords.withRecords(Compression.NONE, records.toArray(SimpleRecord[]::new)), AppendOrigin.CLIENT, records.size(),
                baseOffset -> { }, then);
    }

    /**
     * {@link #appendAt} as one transactional batch of the producer, written as a coordinator (the
     * log fences the epoch only, not the sequence), and nothing in it counts until the producer's
     * marker. Base sequence 0 as Kafka's coordinator runtime writes it: kafka-clients refuses to
     * build a producer batch with {@link RecordBatch#NO_SEQUENCE}. {@code inLog} runs with the base
     * offset as soon as the batch is in the log, on this thread, before any later append.
     */
    void appendTransactional(long producerId, short producerEpoch, List<SimpleRecord> records, java.util.function.LongConsumer inLog,
                             BiConsumer<Errors, Long> then) {
        MemoryRecords batch = MemoryRecords.withTransactionalRecords(Compression.NONE, producerId, producerEpoch, 0,
                records.toArray(SimpleRecord[]::new));
        write(batch, AppendOrigin.COORDINATOR, records.size(), inLog, then);
    }

    /**
     * The append, then the wait for the high watermark, then {@code then} on this thread.
     * {@code inLog} runs in between, synchronously where the append completes: the partition's
     * I/O thread, which is this shard's thread, so it sees the log exactly as this append left it.
     */
    private void write(MemoryRecords batch, AppendOrigin origin, int recordCount, java.util.function.LongConsumer inLog,
                       BiConsumer<Errors, Long> then) {
        // As Kafka's coordinators write with acks=all: a commit is answered once the whole ISR has it,
        // so a coordinator failover never forgets an acknowledged offset.
        log.appendRecordsToLeader(batch, origin).thenCompose(appended -> {
            if (appended.error() != Errors.NONE) return CompletableFuture.completedFuture(appended);
            inLog.accept(appended.baseOffset());
            return log.awaitHighWatermark(appended.baseOffset() + recordCount, config.offsetsCommitTimeoutMs())
                        .thenApply(error -> error == Errors.NONE ? appended : AppendResult.error(error, null));
        }).whenCompleteAsync((AppendResult result, Throwable failure) -> {
            Errors error = failure != null ? Errors.UNKNOWN_SERVER_ERROR : result.error();
            if (failure != null) LOG.errorf(failure, "Append to %s failed", log.topicPartition());
            else if (error != Errors.NONE) LOG.debugf("Append to %s refused: %s %s", log.topicPartition(), error, result.errorMessage());
            then.accept(coordinatorError(error), error == Errors.NONE ? result.baseOffset() : -1L);
        }, thread);
    }

    static Errors coordinatorError(Errors appendError) {
        return switch (appendError) {
            case NONE -> Errors.NONE;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT -> Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.UNKNOWN_SERVER_ERROR;
            default -> appendError;
        };
    }

    /**
     * A timer on the shard thread. Every pending timer is tracked so that {@link #close()} can
     * cancel them: a scheduled executor runs its delayed tasks before it terminates.
     */
    ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        if (status == Status.CLOSED) return null;
        try {
            ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
            self[0] = thread.schedule(() -> {
                timers.remove(self[0]); // runs on this thread, after self[0] is set
                if (status != Status.CLOSED) task.run();
            }, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
            timers.add(self[0]);
            return self[0];
        } catch (RejectedExecutionException e) {
            return null; // shutting down
        }
    }

    void cancel(ScheduledFuture<?> timer) {
        if (timer == null) return;
        timers.remove(timer);
        timer.cancel(false);
    }

    private static <T> CompletableFuture<T> completed(T value) {
        return CompletableFuture.completedFuture(value);
    }

    /** For tests: the group's state, or null. Shard thread only. */
    GroupState stateOf(String groupId) {
        ClassicGroup g = groups.get(groupId);
        return g == null ? null : g.state();
    }

    int groupCount() {
        return groups.size() + consumer.groups.size();
    }

    /** Committed offsets of every group on this shard, copied; call on the shard's thread. */
    Map<String, Map<TopicPartition, Long>> committedOffsets() {
        Map<String, Map<TopicPartition, Long>> copy = new HashMap<>();
        java.util.function.BiConsumer<String, Group> copyOne = (id, group) -> {
            if (group.offsets.isEmpty()) return;
            Map<TopicPartition, Long> offsets = new HashMap<>();
            group.offsets.forEach((tp, committed) -> offsets.put(tp, committed.offset()));
            copy.put(id, offsets);
        };
        groups.forEach(copyOne);
        consumer.groups.forEach(copyOne);
        return copy;
    }
}
