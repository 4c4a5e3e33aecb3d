package io.runnel.broker.group;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiPredicate;

import org.apache.kafka.common.Uuid;

/**
 * Set algebra over assignments in the form KIP-848 speaks them: topic id to partition numbers.
 * Every result is unmodifiable, sorted, and has no topic with an empty set, so two equal
 * assignments are {@code equals}. Stateless.
 */
final class TopicPartitionSets {
    /** The empty assignment; {@code Collections.emptyMap()} because Kafka's assignors accept only that or an unmodifiable map. */
    static final Map<Uuid, Set<Integer>> EMPTY = Collections.emptyMap();

    private TopicPartitionSets() {}

    /** A normalized copy: sorted, unmodifiable, no empty topics. */
    static Map<Uuid, Set<Integer>> copyOf(Map<Uuid, ? extends java.util.Collection<Integer>> partitions) {
        TreeMap<Uuid, Set<Integer>> copy = new TreeMap<>();
        partitions.forEach((topic, ps) -> {
            if (!ps.isEmpty()) copy.put(topic, Collections.unmodifiableSet(new TreeSet<>(ps)));
        });
        return copy.isEmpty() ? EMPTY : Collections.unmodifiableMap(copy);
    }

    static Map<Uuid, Set<Integer>> union(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        TreeMap<Uuid, Set<Integer>> out = new TreeMap<>();
        a.forEach((t, ps) -> out.computeIfAbsent(t, k -> new TreeSet<>()).addAll(ps));
        b.forEach((t, ps) -> out.computeIfAbsent(t, k -> new TreeSet<>()).addAll(ps));
        return copyOf(out);
    }

    static Map<Uuid, Set<Integer>> intersection(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        return filter(a, (t, p) -> contains(b, t, p));
    }

    static Map<Uuid, Set<Integer>> minus(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        return filter(a, (t, p) -> !contains(b, t, p));
    }

    static Map<Uuid, Set<Integer>> filter(Map<Uuid, Set<Integer>> a, BiPredicate<Uuid, Integer> keep) {
        TreeMap<Uuid, Set<Integer>> out = new TreeMap<>();
        a.forEach((t, ps) -> ps.forEach(p -> {
            if (keep.test(t, p)) out.computeIfAbsent(t, k -> new TreeSet<>()).add(p);
        }));
        return copyOf(out);
    }

    static boolean contains(Map<Uuid, Set<Integer>> a, Uuid topic, int partition) {
        Set<Integer> ps = a.get(topic);
        return ps != null && ps.contains(partition);
    }

    static boolean overlaps(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        for (Map.Entry<Uuid, Set<Integer>> e : a.entrySet()) {
            for (int p : e.getValue()) {
                if (contains(b, e.getKey(), p)) return true;
            }
        }
        return false;
    }

    static boolean isSubset(Map<Uuid, Set<Integer>> a, Map<Uuid, Set<Integer>> b) {
        return minus(a, b).isEmpty();
    }

    static int size(Map<Uuid, Set<Integer>> a) {
        int n = 0;
        for (Set<Integer> ps : a.values()) n += ps.size();
        return n;
    }
}
