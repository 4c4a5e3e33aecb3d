package io.runnel.broker.group;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * The KIP-848 consumer groups of one shard: ConsumerGroupHeartbeat (join, heartbeat, leave),
 * ConsumerGroupDescribe, session and rebalance timeouts, and the replay of their records.
 *
 * <p>A heartbeat works out the member it would leave behind, bumps the group epoch when a
 * subscription or a subscribed topic changed, recomputes the target assignment with the
 * server-side assignor when the epoch moved past it, and reconciles the member toward its target
 * ({@link MemberReconciler}); the records for all of that are appended first and the state is
 * applied and answered only when they are in the log. Operations on one group run one at a time
 * ({@link #exclusive}): the next starts when the previous one's append is done, so each computes
 * from applied state. Other members pick up a new target on their own next heartbeat; nothing
 * stops the world. A new target is computed at most once per
 * {@code group.consumer.assignment.interval.ms}: members that join in between get their share
 * with the next one (the group is Assigning meanwhile), as in Kafka.
 *
 * <p>Threading: the shard's thread only, like {@link GroupShard}, which owns this and hands it
 * its log, its timers and its classic groups.
 */
final class ConsumerGroups {
    private static final Logger LOG = Logger.getLogger(ConsumerGroups.class);

    private final GroupShard shard;
    private final GroupConfig config;
    private final Time time;
    private final Supplier<MetadataImage> image;
    final Map<String, ConsumerGroup> groups = new HashMap<>();
    /** Groups with an operation in flight, and the operations waiting for it. */
    private final Map<String, ArrayDeque<Runnable>> queues = new HashMap<>();

    /** A request the group refuses: the error and the message Kafka would give. */
    static final class Refusal extends RuntimeException {
        final Errors error;

        Refusal(Errors error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    ConsumerGroups(GroupShard shard, GroupConfig config, Time time, Supplier<MetadataImage> image) {
        this.shard = shard;
        this.config = config;
        this.time = time;
        this.image = image;
    }

    // ------------------------------------------------------------------ one operation per group at a time

    /** Runs {@code op} once no earlier operation on the group is in flight; its future completes on this thread. */
    <T> CompletableFuture<T> exclusive(String groupId, Supplier<CompletableFuture<T>> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable run = () -> {
            CompletableFuture<T> step;
            try {
                step = op.get();
            } catch (RuntimeException e) {
                step = CompletableFuture.failedFuture(e);
            }
            step.whenComplete((value, failure) -> {
                if (failure != null) result.completeExceptionally(failure);
                else result.complete(value);
                runNext(groupId);
            });
        };
        ArrayDeque<Runnable> waiting = queues.get(groupId);
        if (waiting != null) {
            waiting.add(run);
        } else {
            queues.put(groupId, new ArrayDeque<>());
            run.run();
        }
        return result;
    }

    private void runNext(String groupId) {
        ArrayDeque<Runnable> waiting = queues.get(groupId);
        if (waiting == null) return;
        Runnable next = waiting.poll();
        if (next == null) queues.remove(groupId);
        else next.run();
    }

    boolean isBusy(String groupId) {
        return queues.containsKey(groupId);
    }

    // ------------------------------------------------------------------ ConsumerGroupHeartbeat

    CompletableFuture<ConsumerGroupHeartbeatResponseData> heartbeat(ConsumerGroupHeartbeatRequestData r, String clientId, String clientHost) {
        return exclusive(r.groupId(), () -> {
            Errors unavailable = shard.unavailable();
            if (unavailable != null) return completed(heartbeatError(unavailable, null));
            try {
                return r.memberEpoch() < 0 ? leave(r) : joinOrHeartbeat(r, clientId, clientHost);
            } catch (Refusal refusal) {
                return completed(heartbeatError(refusal.error, refusal.getMessage()));
            }
        });
    }

    static ConsumerGroupHeartbeatResponseData heartbeatError(Errors error, String message) {
        return new ConsumerGroupHeartbeatResponseData().setErrorCode(error.code()).setErrorMessage(message != null ? message : error.message());
    }

    private CompletableFuture<ConsumerGroupHeartbeatResponseData> joinOrHeartbeat(ConsumerGroupHeartbeatRequestData r, String clientId,
                                                                                  String clientHost) {
        long now = time.milliseconds();
        MetadataImage img = image.get();
        String groupId = r.groupId();
        ConsumerGroup existingGroup = groups.get(groupId);
        ClassicGroup replacedClassic = null;
        ConsumerGroup group = existingGroup;
        if (group == null) {
            ClassicGroup classic = shard.classicGroup(groupId);
            if (classic != null && !classic.members.isEmpty())
                throw new Refusal(Errors.GROUP_ID_NOT_FOUND, "Group " + groupId + " is a classic group with members;"
                        + " Runnel does not move a live group to the consumer protocol");
            if (r.memberEpoch() != 0) throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "Group " + groupId + " has no member " + r.memberId());
            group = new ConsumerGroup(groupId);
            if (classic != null) {
                group.offsets.putAll(classic.offsets);
                replacedClassic = classic;
            }
        }

        String memberId = r.memberId() == null || r.memberId().isEmpty() ? Uuid.randomUuid().toString() : r.memberId();
        Map<Uuid, Set<Integer>> owned = r.topicPartitions() == null ? null : ownedPartitions(r.topicPartitions());
        ConsumerGroupMember previous; // the member as the group knows it now, under this id
        ConsumerGroupMember base;     // what the heartbeat starts from
        String replacedMemberId = null;
        if (r.instanceId() != null) {
            String staticId = group.staticMembers.get(r.instanceId());
            ConsumerGroupMember holder = staticId == null ? null : group.members.get(staticId);
            if (r.memberEpoch() == 0) {
                if (holder == null) {
                    previous = group.members.get(memberId);
                    base = previous == null ? null : previous.withAssignment(MemberAssignmentState.INITIAL);
                } else if (holder.memberId().equals(memberId)) {
                    previous = holder;
                    base = holder.withAssignment(MemberAssignmentState.INITIAL);
                } else if (holder.memberEpoch() != ConsumerGroupMember.LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
                    throw new Refusal(Errors.UNRELEASED_INSTANCE_ID, "Static member " + holder.memberId() + " with instance id "
                            + r.instanceId() + " is still in group " + groupId + "; it must leave before another member takes its place");
                } else {
                    // A restarted static member takes over its predecessor's partitions and epoch.
                    replacedMemberId = holder.memberId();
                    previous = null;
                    MemberAssignmentState kept = holder.assignment();
                    base = holder.withId(memberId).withAssignment(new MemberAssignmentState(kept.previousMemberEpoch(),
                            kept.previousMemberEpoch(), kept.state(), kept.assigned(), kept.pendingRevocation()));
                }
            } else {
                previous = group.members.get(memberId);
                if (previous == null) throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in group " + groupId);
                if (!r.instanceId().equals(previous.instanceId()))
                    throw new Refusal(Errors.FENCED_INSTANCE_ID, "Member " + memberId + " does not have instance id " + r.instanceId());
                base = previous;
            }
        } else {
            previous = group.members.get(memberId);
            if (previous == null && r.memberEpoch() != 0)
                throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "Member " + memberId + " is not in group " + groupId);
            if (previous != null && previous.instanceId() != null)
                throw new Refusal(Errors.FENCED_INSTANCE_ID, "Member " + memberId + " is static; it must send its instance id");
            // Epoch 0 from a known member: it rejoins owning nothing.
            base = previous == null ? null : r.memberEpoch() == 0 ? previous.withAssignment(MemberAssignmentState.INITIAL) : previous;
        }
        if (previous != null && r.memberEpoch() > 0) checkEpoch(previous, r.memberEpoch(), owned);
        if (base == null) {
            if (group.members.size() >= config.consumerMaxSize())
                throw new Refusal(Errors.GROUP_MAX_SIZE_REACHED, "Group " + groupId + " has reached its maximum size of " + config.consumerMaxSize());
            base = ConsumerGroupMember.joining(memberId, r.instanceId());
        }

        ConsumerGroupMember updated = new ConsumerGroupMember(memberId, base.instanceId(),
                r.rackId() != null ? r.rackId() : base.rackId(), clientId, clientHost,
                r.subscribedTopicNames() != null ? r.subscribedTopicNames() : base.subscribedTopicNames(),
                r.subscribedTopicRegex() != null ? (r.subscribedTopicRegex().isEmpty() ? null : r.subscribedTopicRegex()) : base.subscribedTopicRegex(),
                r.serverAssignor() != null ? r.serverAssignor() : base.serverAssignor(),
                r.rebalanceTimeoutMs() != -1 ? r.rebalanceTimeoutMs() : base.rebalanceTimeoutMs(),
                base.assignment());

        LinkedHashMap<String, ConsumerGroupMember> after = new LinkedHashMap<>(group.members);
        if (replacedMemberId != null) after.remove(replacedMemberId);
        after.put(memberId, updated);
        Map<String, Set<String>> subscriptions = new HashMap<>();
        Set<String> allTopics = new TreeSet<>();
        for (ConsumerGroupMember m : after.values()) {
            Set<String> topics = group.subscribedTopics(m, img);
            subscriptions.put(m.memberId(), topics);
            allTopics.addAll(topics);
        }
        long metadataHash = ConsumerGroup.metadataHash(allTopics, img);
        boolean bump = existingGroup == null || updated.subscriptionDiffers(base) || metadataHash != group.metadataHash;
        int groupEpoch = bump ? group.groupEpoch + 1 : group.groupEpoch;

        Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>(group.targetAssignment);
        if (replacedMemberId != null) {
            Map<Uuid, Set<Integer>> inherited = target.remove(replacedMemberId);
            if (inherited != null) target.put(memberId, inherited);
        }
        boolean newTarget = groupEpoch > group.assignmentEpoch && now - group.lastAssignmentMs >= config.consumerAssignmentIntervalMs();
        int assignmentEpoch = group.assignmentEpoch;
        if (newTarget) {
            String assignor = preferredAssignor(after);
            target = TargetAssignmentBuilder.compute(ServerAssignors.byName(assignor), after, subscriptions, img, target);
            assignmentEpoch = groupEpoch;
        }

        ConsumerGroup g = group;
        String replaced = replacedMemberId;
        MemberAssignmentState next = MemberReconciler.reconcile(updated.assignment(), assignmentEpoch,
                target.getOrDefault(memberId, TopicPartitionSets.EMPTY), owned, (t, p) -> {
                    String owner = g.ownerOf(t, p);
                    return owner != null && !owner.equals(memberId) && !owner.equals(replaced);
                });
        ConsumerGroupMember reconciled = updated.withAssignment(next);

        List<SimpleRecord> records = new ArrayList<>();
        if (replacedClassic != null) records.add(new SimpleRecord(now, GroupRecords.groupKey(groupId), null));
        if (replaced != null) records.addAll(ConsumerGroupRecords.memberTombstones(now, groupId, replaced));
        if (previous == null || reconciled.metadataDiffers(previous)) records.add(ConsumerGroupRecords.memberMetadata(now, groupId, reconciled));
        if (bump) records.add(ConsumerGroupRecords.groupEpoch(now, groupId, groupEpoch, metadataHash));
        if (newTarget) {
            for (String id : after.keySet()) {
                Map<Uuid, Set<Integer>> t = target.get(id);
                if (replaced != null && id.equals(memberId) || !t.equals(group.targetAssignment.get(id)))
                    records.add(ConsumerGroupRecords.targetMember(now, groupId, id, t));
            }
            records.add(ConsumerGroupRecords.targetEpoch(now, groupId, assignmentEpoch));
        } else if (replaced != null) {
            records.add(ConsumerGroupRecords.targetMember(now, groupId, memberId, target.getOrDefault(memberId, TopicPartitionSets.EMPTY)));
        }
        if (previous == null || !next.equals(previous.assignment()))
            records.add(ConsumerGroupRecords.currentAssignment(now, groupId, memberId, next));

        ClassicGroup classicToDrop = replacedClassic;
        Map<String, Map<Uuid, Set<Integer>>> finalTarget = target;
        int finalAssignmentEpoch = assignmentEpoch;
        Runnable apply = () -> {
            if (classicToDrop != null) shard.dropClassic(classicToDrop);
            if (existingGroup == null) groups.put(groupId, g);
            if (replaced != null) {
                cancelTimers(g, replaced);
                g.removeMember(replaced);
            }
            if (bump) {
                g.groupEpoch = groupEpoch;
                g.metadataHash = metadataHash;
            }
            g.targetAssignment = finalTarget;
            g.assignmentEpoch = finalAssignmentEpoch;
            if (newTarget) g.lastAssignmentMs = now;
            g.putMember(reconciled);
            touchSession(g, memberId, now);
            if (next.state() == MemberState.UNREVOKED_PARTITIONS) {
                if (previous == null || previous.assignment().state() != MemberState.UNREVOKED_PARTITIONS
                        || previous.memberEpoch() != next.memberEpoch()) armRebalanceTimeout(g, reconciled);
            } else {
                shard.cancel(g.rebalanceTimers.remove(memberId));
            }
            if (previous == null) LOG.debugf("Member %s joined consumer group %s (group epoch %d)", memberId, groupId, g.groupEpoch);
        };

        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData().setMemberId(memberId)
                .setMemberEpoch(next.memberEpoch()).setHeartbeatIntervalMs(config.consumerHeartbeatIntervalMs());
        boolean fullRequest = r.rebalanceTimeoutMs() != -1 && (r.subscribedTopicNames() != null || r.subscribedTopicRegex() != null)
                && r.topicPartitions() != null;
        if (r.memberEpoch() == 0 || fullRequest || previous == null || !next.assigned().equals(previous.assignment().assigned()))
            response.setAssignment(responseAssignment(next.assigned()));
        return writeThenApply(records, apply, response, error -> heartbeatError(error, null));
    }

    /**
     * Kafka's fencing: a member may send its current epoch, or the one before with owned partitions
     * it still has a right to (it missed the response that moved it on); anything else is fenced.
     */
    private static void checkEpoch(ConsumerGroupMember member, int receivedEpoch, Map<Uuid, Set<Integer>> owned) {
        if (receivedEpoch == member.memberEpoch()) return;
        if (receivedEpoch < member.memberEpoch() && receivedEpoch == member.assignment().previousMemberEpoch() && owned != null
                && TopicPartitionSets.isSubset(owned, member.assignment().assigned())) return;
        throw new Refusal(Errors.FENCED_MEMBER_EPOCH, "The member epoch " + receivedEpoch + " of member " + member.memberId()
                + " is not its current epoch " + member.memberEpoch());
    }

    /** The assignor most members ask for; the configured default when none asks. */
    private String preferredAssignor(Map<String, ConsumerGroupMember> members) {
        Map<String, Integer> votes = new HashMap<>();
        for (ConsumerGroupMember m : members.values()) {
            if (m.serverAssignor() != null) votes.merge(m.serverAssignor(), 1, Integer::sum);
        }
        String best = config.consumerAssignors().get(0);
        int most = 0;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > most || e.getValue() == most && e.getKey().compareTo(best) < 0) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    private static Map<Uuid, Set<Integer>> ownedPartitions(List<ConsumerGroupHeartbeatRequestData.TopicPartitions> topics) {
        Map<Uuid, List<Integer>> owned = new HashMap<>();
        for (var t : topics) owned.computeIfAbsent(t.topicId(), k -> new ArrayList<>()).addAll(t.partitions());
        return TopicPartitionSets.copyOf(owned);
    }

    private static ConsumerGroupHeartbeatResponseData.Assignment responseAssignment(Map<Uuid, Set<Integer>> assigned) {
        List<ConsumerGroupHeartbeatResponseData.TopicPartitions> topics = new ArrayList<>();
        assigned.forEach((t, ps) -> topics.add(new ConsumerGroupHeartbeatResponseData.TopicPartitions().setTopicId(t)
                .setPartitions(new ArrayList<>(ps))));
        return new ConsumerGroupHeartbeatResponseData.Assignment().setTopicPartitions(topics);
    }

    // ------------------------------------------------------------------ leaving and being removed

    private CompletableFuture<ConsumerGroupHeartbeatResponseData> leave(ConsumerGroupHeartbeatRequestData r) {
        ConsumerGroup group = groups.get(r.groupId());
        if (group == null) throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "Group " + r.groupId() + " has no member " + r.memberId());
        if (r.memberEpoch() == ConsumerGroupMember.LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
            String staticId = group.staticMembers.get(r.instanceId());
            ConsumerGroupMember member = staticId == null ? null : group.members.get(staticId);
            if (member == null) throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "No member of group " + r.groupId() + " has instance id " + r.instanceId());
            if (!member.memberId().equals(r.memberId()))
                throw new Refusal(Errors.FENCED_INSTANCE_ID, "Instance id " + r.instanceId() + " belongs to member " + member.memberId());
            // A static member leaving for a while keeps its partitions until its session runs out.
            ConsumerGroupMember away = member.withAssignment(member.assignment().withEpoch(ConsumerGroupMember.LEAVE_GROUP_STATIC_MEMBER_EPOCH));
            long now = time.milliseconds();
            return writeThenApply(List.of(ConsumerGroupRecords.currentAssignment(now, group.groupId, member.memberId(), away.assignment())),
                    () -> group.putMember(away),
                    new ConsumerGroupHeartbeatResponseData().setMemberId(member.memberId()).setMemberEpoch(away.memberEpoch()),
                    error -> heartbeatError(error, null));
        }
        ConsumerGroupMember member = group.members.get(r.memberId());
        if (member == null) throw new Refusal(Errors.UNKNOWN_MEMBER_ID, "Member " + r.memberId() + " is not in group " + r.groupId());
        if (member.instanceId() != null && !member.instanceId().equals(r.instanceId()))
            throw new Refusal(Errors.FENCED_INSTANCE_ID, "Member " + r.memberId() + " has instance id " + member.instanceId());
        return remove(group, member.memberId(), "left the group").thenApply(error -> error != Errors.NONE ? heartbeatError(error, null)
                : new ConsumerGroupHeartbeatResponseData().setMemberId(member.memberId()).setMemberEpoch(ConsumerGroupMember.LEAVE_GROUP_MEMBER_EPOCH));
    }

    /** Takes a member out of the group and bumps the epoch so the others share its partitions. */
    private CompletableFuture<Errors> remove(ConsumerGroup group, String memberId, String reason) {
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>(ConsumerGroupRecords.memberTombstones(now, group.groupId, memberId));
        int epoch = group.groupEpoch + 1;
        records.add(ConsumerGroupRecords.groupEpoch(now, group.groupId, epoch, group.metadataHash));
        return writeThenApply(records, () -> {
            cancelTimers(group, memberId);
            group.removeMember(memberId);
            Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>(group.targetAssignment);
            target.remove(memberId);
            group.targetAssignment = target;
            group.groupEpoch = epoch;
            LOG.infof("Member %s %s; consumer group %s is at epoch %d with %d member(s)", memberId, reason, group.groupId, epoch,
                    group.members.size());
        }, Errors.NONE, error -> error);
    }

    private void touchSession(ConsumerGroup group, String memberId, long nowMs) {
        group.sessionDeadlinesMs.put(memberId, nowMs + config.consumerSessionTimeoutMs());
        if (!group.sessionTimers.containsKey(memberId)) armSessionTimer(group, memberId, config.consumerSessionTimeoutMs());
    }

    private void armSessionTimer(ConsumerGroup group, String memberId, long delayMs) {
        ScheduledFuture<?> timer = shard.schedule(() -> checkSession(group, memberId), delayMs);
        if (timer != null) group.sessionTimers.put(memberId, timer);
    }

    /** The session timer re-arms itself while heartbeats keep moving the deadline; once past it, the member is removed. */
    private void checkSession(ConsumerGroup group, String memberId) {
        group.sessionTimers.remove(memberId);
        if (groups.get(group.groupId) != group || !group.members.containsKey(memberId)) return;
        long now = time.milliseconds();
        long deadline = group.sessionDeadlinesMs.getOrDefault(memberId, now);
        if (deadline > now) {
            armSessionTimer(group, memberId, deadline - now);
            return;
        }
        exclusive(group.groupId, () -> {
            if (groups.get(group.groupId) != group || !group.members.containsKey(memberId)
                    || group.sessionDeadlinesMs.getOrDefault(memberId, 0L) > time.milliseconds()) return completed(Errors.NONE);
            return remove(group, memberId, "missed its session timeout of " + config.consumerSessionTimeoutMs() + " ms");
        });
    }

    /** A member told to revoke partitions must do so within its rebalance timeout, or it is removed. */
    private void armRebalanceTimeout(ConsumerGroup group, ConsumerGroupMember member) {
        shard.cancel(group.rebalanceTimers.remove(member.memberId()));
        int epoch = member.memberEpoch();
        long timeoutMs = member.rebalanceTimeoutMs() > 0 ? member.rebalanceTimeoutMs() : config.consumerSessionTimeoutMs();
        ScheduledFuture<?> timer = shard.schedule(() -> {
            group.rebalanceTimers.remove(member.memberId());
            exclusive(group.groupId, () -> {
                ConsumerGroupMember now = group.members.get(member.memberId());
                if (groups.get(group.groupId) != group || now == null || now.memberEpoch() != epoch
                        || now.assignment().state() != MemberState.UNREVOKED_PARTITIONS) return completed(Errors.NONE);
                return remove(group, member.memberId(), "did not revoke its partitions within its rebalance timeout of " + timeoutMs + " ms");
            });
        }, timeoutMs);
        if (timer != null) group.rebalanceTimers.put(member.memberId(), timer);
    }

    private void cancelTimers(ConsumerGroup group, String memberId) {
        shard.cancel(group.sessionTimers.remove(memberId));
        shard.cancel(group.rebalanceTimers.remove(memberId));
    }

    // ------------------------------------------------------------------ describe, list, delete, commits

    ConsumerGroupDescribeResponseData.DescribedGroup describe(String groupId) {
        ConsumerGroupDescribeResponseData.DescribedGroup described = new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId);
        ConsumerGroup group = groups.get(groupId);
        if (group == null) {
            String message = shard.classicGroup(groupId) != null ? "Group " + groupId + " is not a consumer group." : "Group " + groupId + " not found.";
            return described.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage(message).setGroupState("Dead");
        }
        MetadataImage img = image.get();
        described.setGroupState(group.state()).setGroupEpoch(group.groupEpoch).setAssignmentEpoch(group.assignmentEpoch)
                .setAssignorName(preferredAssignor(group.members));
        for (ConsumerGroupMember m : group.members.values()) {
            described.members().add(new ConsumerGroupDescribeResponseData.Member().setMemberId(m.memberId()).setInstanceId(m.instanceId())
                    .setRackId(m.rackId()).setMemberEpoch(m.memberEpoch()).setClientId(m.clientId()).setClientHost(m.clientHost())
                    .setSubscribedTopicNames(new ArrayList<>(m.subscribedTopicNames())).setSubscribedTopicRegex(m.subscribedTopicRegex())
                    .setAssignment(describedAssignment(m.assignment().assigned(), img))
                    .setTargetAssignment(describedAssignment(group.targetAssignment.getOrDefault(m.memberId(), TopicPartitionSets.EMPTY), img))
                    .setMemberType((byte) 1));
        }
        return described;
    }

    private static ConsumerGroupDescribeResponseData.Assignment describedAssignment(Map<Uuid, Set<Integer>> partitions, MetadataImage img) {
        List<ConsumerGroupDescribeResponseData.TopicPartitions> topics = new ArrayList<>();
        partitions.forEach((t, ps) -> {
            TopicImage topic = img.topic(t);
            topics.add(new ConsumerGroupDescribeResponseData.TopicPartitions().setTopicId(t).setTopicName(topic == null ? "" : topic.name())
                    .setPartitions(new ArrayList<>(ps)));
        });
        return new ConsumerGroupDescribeResponseData.Assignment().setTopicPartitions(topics);
    }

    /** DeleteGroups of a consumer group: only when it has no members; offsets and group records get tombstones. */
    CompletableFuture<Errors> delete(ConsumerGroup group) {
        return exclusive(group.groupId, () -> {
            if (groups.get(group.groupId) != group) return completed(Errors.GROUP_ID_NOT_FOUND);
            if (!group.members.isEmpty()) return completed(Errors.NON_EMPTY_GROUP);
            Set<org.apache.kafka.common.TopicPartition> offsets = shard.offsetsToDelete(group);
            return writeThenApply(tombstones(group, offsets), () -> {
                groups.remove(group.groupId, group);
                offsets.forEach(tp -> shard.pendingTxn.dropPartition(group.groupId, tp));
            }, Errors.NONE, e -> e);
        });
    }

    /** Tombstones for the given offsets and for the group itself. */
    List<SimpleRecord> tombstones(ConsumerGroup group, java.util.Collection<org.apache.kafka.common.TopicPartition> offsets) {
        long now = time.milliseconds();
        List<SimpleRecord> records = new ArrayList<>();
        for (var tp : offsets) records.add(new SimpleRecord(now, GroupRecords.offsetKey(group.groupId, tp), null));
        records.add(ConsumerGroupRecords.targetEpochTombstone(now, group.groupId));
        records.add(ConsumerGroupRecords.groupEpochTombstone(now, group.groupId));
        return records;
    }

    /**
     * Kafka's rules for a commit to a consumer group: without a member (admin client, simple
     * consumer) only while the group is empty; a member must exist, use OffsetCommit v9+ and send
     * its current epoch.
     */
    static Errors validateCommit(ConsumerGroup group, int memberEpoch, String memberId, short apiVersion) {
        if (memberEpoch < 0 && (memberId == null || memberId.isEmpty())) return group.members.isEmpty() ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
        ConsumerGroupMember member = group.members.get(memberId);
        if (member == null) return Errors.UNKNOWN_MEMBER_ID;
        if (apiVersion < 9) return Errors.UNSUPPORTED_VERSION;
        return memberEpoch == member.memberEpoch() ? Errors.NONE : Errors.STALE_MEMBER_EPOCH;
    }

    /**
     * Kafka's rules for a TxnOffsetCommit to a consumer group: without a member only while the
     * group is empty, or when the producer names no member at all (pre-KIP-447: epoch -1, no
     * member or instance id); else the member must exist (UNKNOWN_MEMBER_ID) at the epoch sent,
     * a mismatch being ILLEGAL_GENERATION before v6 (Kafka maps STALE_MEMBER_EPOCH to it) and
     * STALE_MEMBER_EPOCH from v6 (KIP-1319). The instance id is not checked.
     */
    static Errors validateTxnCommit(ConsumerGroup group, int memberEpoch, String memberId, String groupInstanceId, short apiVersion) {
        boolean noMemberId = memberId == null || memberId.isEmpty();
        if (memberEpoch < 0 && group.members.isEmpty()) return Errors.NONE;
        if (memberEpoch == -1 && noMemberId && groupInstanceId == null) return Errors.NONE;
        ConsumerGroupMember member = noMemberId ? null : group.members.get(memberId);
        if (member == null) return Errors.UNKNOWN_MEMBER_ID;
        if (memberEpoch == member.memberEpoch()) return Errors.NONE;
        return apiVersion >= 6 ? Errors.STALE_MEMBER_EPOCH : Errors.ILLEGAL_GENERATION;
    }

    /** OffsetFetch v9+ from a member checks it is one; without a member id anyone may read. */
    static Errors validateFetch(ConsumerGroup group, String memberId, int memberEpoch) {
        if (memberId == null || memberId.isEmpty()) return Errors.NONE;
        ConsumerGroupMember member = group.members.get(memberId);
        if (member == null) return Errors.UNKNOWN_MEMBER_ID;
        return memberEpoch == member.memberEpoch() ? Errors.NONE : Errors.STALE_MEMBER_EPOCH;
    }

    // ------------------------------------------------------------------ loading

    /** Applies one replayed record: the latest value per key wins, a tombstone deletes. */
    void replay(ConsumerGroupRecords.Decoded d) {
        switch (d.type()) {
            case ConsumerGroupRecords.GROUP_METADATA -> {
                if (d.value() == null) {
                    ConsumerGroup gone = groups.remove(d.groupId());
                    if (gone != null && !gone.offsets.isEmpty()) shard.restoreOffsetsOnly(gone);
                } else {
                    var v = (org.apache.kafka.coordinator.group.generated.ConsumerGroupMetadataValue) d.value();
                    ConsumerGroup g = replayGroup(d.groupId());
                    g.groupEpoch = v.epoch();
                    g.metadataHash = v.metadataHash();
                }
            }
            case ConsumerGroupRecords.MEMBER_METADATA -> {
                ConsumerGroup g = d.value() == null ? groups.get(d.groupId()) : replayGroup(d.groupId());
                if (g == null) return;
                if (d.value() == null) {
                    g.removeMember(d.memberId());
                } else {
                    ConsumerGroupMember existing = g.members.get(d.memberId());
                    g.putMember(ConsumerGroupRecords.member(d.memberId(),
                            (org.apache.kafka.coordinator.group.generated.ConsumerGroupMemberMetadataValue) d.value(),
                            existing == null ? MemberAssignmentState.INITIAL : existing.assignment()));
                }
            }
            case ConsumerGroupRecords.TARGET_METADATA -> {
                ConsumerGroup g = groups.get(d.groupId());
                if (g != null && d.value() != null)
                    g.assignmentEpoch = ((org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMetadataValue) d.value()).assignmentEpoch();
            }
            case ConsumerGroupRecords.TARGET_MEMBER -> {
                ConsumerGroup g = groups.get(d.groupId());
                if (g == null) return;
                Map<String, Map<Uuid, Set<Integer>>> target = new HashMap<>(g.targetAssignment);
                if (d.value() == null) target.remove(d.memberId());
                else target.put(d.memberId(), ConsumerGroupRecords.target(
                        (org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMemberValue) d.value()));
                g.targetAssignment = target;
            }
            case ConsumerGroupRecords.CURRENT_ASSIGNMENT -> {
                ConsumerGroup g = groups.get(d.groupId());
                if (g == null) return;
                ConsumerGroupMember m = g.members.get(d.memberId());
                if (d.value() == null) {
                    if (m != null) g.putMember(m.withAssignment(MemberAssignmentState.INITIAL));
                } else {
                    MemberAssignmentState a = ConsumerGroupRecords.assignment(
                            (org.apache.kafka.coordinator.group.generated.ConsumerGroupCurrentMemberAssignmentValue) d.value());
                    g.putMember((m != null ? m : ConsumerGroupMember.joining(d.memberId(), null)).withAssignment(a));
                }
            }
            default -> LOG.debugf("Skipping consumer group record type %d", d.type());
        }
    }

    /** The group a replayed record belongs to; a classic group of that id (its offsets) becomes this one. */
    private ConsumerGroup replayGroup(String groupId) {
        ConsumerGroup g = groups.get(groupId);
        if (g != null) return g;
        g = new ConsumerGroup(groupId);
        ClassicGroup classic = shard.classicGroup(groupId);
        if (classic != null) {
            g.offsets.putAll(classic.offsets);
            shard.dropClassic(classic);
        }
        groups.put(groupId, g);
        return g;
    }

    /** After loading: members get a fresh session, and those revoking a fresh rebalance timeout. */
    void finishLoad(long nowMs) {
        for (ConsumerGroup g : groups.values()) {
            for (ConsumerGroupMember m : g.members.values()) {
                touchSession(g, m.memberId(), nowMs);
                if (m.assignment().state() == MemberState.UNREVOKED_PARTITIONS) armRebalanceTimeout(g, m);
            }
        }
    }

    /** Answers every queued operation (they see the shard closed). */
    void close() {
        for (String groupId : new ArrayList<>(queues.keySet())) {
            ArrayDeque<Runnable> waiting = queues.remove(groupId);
            if (waiting != null) waiting.forEach(Runnable::run);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Appends the records, then applies the change and answers {@code response}; an append error answers {@code onError}. */
    private <T> CompletableFuture<T> writeThenApply(List<SimpleRecord> records, Runnable apply, T response,
                                                    java.util.function.Function<Errors, T> onError) {
        if (records.isEmpty()) {
            apply.run();
            return completed(response);
        }
        CompletableFuture<T> done = new CompletableFuture<>();
        shard.append(records, error -> {
            if (error == Errors.NONE) {
                apply.run();
                done.complete(response);
            } else {
                done.complete(onError.apply(error));
            }
        });
        return done;
    }

    private static <T> CompletableFuture<T> completed(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
