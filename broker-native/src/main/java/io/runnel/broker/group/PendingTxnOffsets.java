package io.runnel.broker.group;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

/**
 * The transactional offsets of one shard that are in {@code __consumer_offsets} but whose
 * transaction has not ended yet (KIP-98, KIP-447), as Kafka's group coordinator keeps them: per
 * producer id, then per group and partition, the latest offset that producer's open transaction
 * committed, with the log offset of its record.
 *
 * <p>Rules (the same at runtime and when the shard replays its partition):
 * <ol>
 *   <li>A transactional offset record (a transactional batch of the producer) is held here, not in
 *       the group's offsets: OffsetFetch, lag metrics and offset expiry do not see it.</li>
 *   <li>The producer's COMMIT marker makes each of its pending offsets the group's committed one
 *       <em>unless</em> the group already has a committed offset for that partition whose record
 *       is later in the log (a regular OffsetCommit written after the transactional one, before
 *       the marker): the record offset decides, never the order in which markers arrive
 *       ({@link #replaces}). Its ABORT marker drops them. A marker of a producer with nothing
 *       pending changes nothing.</li>
 *   <li>An offset tombstone (OffsetDelete, DeleteGroups, expiry) of a partition drops every pending
 *       offset of that group and partition; the producers stay open for the group until their
 *       markers (Kafka keeps a group with an open transaction alive, see {@link #hasOpenTransactions}).</li>
 * </ol>
 * Markers are matched by producer id only, as in Kafka: the log has already fenced older epochs.
 *
 * <p>Threading: confined to the owning {@link GroupShard}'s thread; not thread-safe.
 */
final class PendingTxnOffsets {
    /** producer id → group id → partition → pending offset (with its record offset). */
    private final Map<Long, Map<String, Map<TopicPartition, CommittedOffset>>> byProducer = new HashMap<>();
    /** group id → producers with an open transaction that committed offsets of the group. */
    private final Map<String, Set<Long>> openByGroup = new HashMap<>();

    /** Rule 1: holds {@code offset} (its {@code recordOffset} set) for the producer's open transaction. */
    void add(long producerId, String groupId, TopicPartition partition, CommittedOffset offset) {
        if (offset.recordOffset() < 0) throw new IllegalArgumentException("a pending offset must know its record offset: " + offset);
        byProducer.computeIfAbsent(producerId, id -> new HashMap<>()).computeIfAbsent(groupId, id -> new HashMap<>()).put(partition, offset);
        openByGroup.computeIfAbsent(groupId, id -> new HashSet<>()).add(producerId);
    }

    /** Whether some open transaction holds an offset of this group and partition (OffsetFetch require_stable). */
    boolean isPending(String groupId, TopicPartition partition) {
        Set<Long> producers = openByGroup.get(groupId);
        if (producers == null) return false;
        for (long producerId : producers) {
            Map<TopicPartition, CommittedOffset> offsets = byProducer.getOrDefault(producerId, Map.of()).get(groupId);
            if (offsets != null && offsets.containsKey(partition)) return true;
        }
        return false;
    }

    /** Whether an open transaction committed offsets of the group: such a group is not forgotten by expiry. */
    boolean hasOpenTransactions(String groupId) {
        return openByGroup.containsKey(groupId);
    }

    /** The partitions of the group with a pending offset (DeleteGroups writes their tombstones too). */
    Set<TopicPartition> pendingPartitions(String groupId) {
        Set<TopicPartition> partitions = new HashSet<>();
        for (long producerId : openByGroup.getOrDefault(groupId, Set.of())) {
            partitions.addAll(byProducer.getOrDefault(producerId, Map.of()).getOrDefault(groupId, Map.of()).keySet());
        }
        return partitions;
    }

    /** Rule 3: a tombstone of the group's offset for this partition drops every pending offset of it. */
    void dropPartition(String groupId, TopicPartition partition) {
        for (long producerId : openByGroup.getOrDefault(groupId, Set.of())) {
            Map<String, Map<TopicPartition, CommittedOffset>> groups = byProducer.get(producerId);
            Map<TopicPartition, CommittedOffset> offsets = groups == null ? null : groups.get(groupId);
            if (offsets == null) continue;
            offsets.remove(partition);
            if (offsets.isEmpty()) groups.remove(groupId);
        }
    }

    /**
     * Rule 2: ends the producer's transaction here, returning what it had pending (group →
     * partition → offset; empty if nothing) for the caller to apply on COMMIT or forget on ABORT.
     */
    Map<String, Map<TopicPartition, CommittedOffset>> end(long producerId) {
        Map<String, Map<TopicPartition, CommittedOffset>> pending = byProducer.remove(producerId);
        for (var it = openByGroup.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getValue().remove(producerId) && entry.getValue().isEmpty()) it.remove();
        }
        return pending == null ? Map.of() : pending;
    }

    /** Rule 2's order: a committed transactional offset replaces {@code current} only if its record is later in the log. */
    static boolean replaces(CommittedOffset committedTxn, CommittedOffset current) {
        return current == null || committedTxn.recordOffset() > current.recordOffset();
    }

    /** Producers with an open transaction on this shard (for tests and logs). */
    Set<Long> openProducers() {
        Set<Long> producers = new HashSet<>();
        openByGroup.values().forEach(producers::addAll);
        return producers;
    }
}
