package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where new partitions' replicas go: spread over the brokers and, when brokers name racks
 * ({@code broker.rack}), over the racks, so that a partition keeps a copy when a whole rack is
 * lost. Brokers are interleaved rack by rack (r1-b1, r2-b1, r3-b1, r1-b2, ...); partition p's
 * leader is the broker at position p of that list, shifting the load of leadership evenly, and
 * each further replica is the next broker whose rack the partition does not use yet (only once
 * every rack has a replica may one hold two). Without racks this is plain round robin. A broker
 * without a rack counts as a rack of its own. Stateless: a pure function.
 */
final class ReplicaPlacement {
    private ReplicaPlacement() {
    }

    /**
     * @param brokers the brokers to place on, by id, each with its rack ("" for none)
     * @return replicas for partitions {@code firstPartition} .. {@code firstPartition + count - 1}, leader first
     */
    static Map<Integer, List<Integer>> place(Map<Integer, String> brokers, int firstPartition, int count, int replicationFactor) {
        List<Integer> order = interleavedByRack(brokers);
        Map<Integer, List<Integer>> result = new TreeMap<>();
        for (int p = firstPartition; p < firstPartition + count; p++) {
            List<Integer> replicas = new ArrayList<>();
            Set<String> racksUsed = new HashSet<>();
            int racks = new HashSet<>(brokers.values()).size();
            int start = p % order.size();
            // First pass: one replica per rack; second pass (more replicas than racks): any broker not used yet.
            for (int pass = 0; pass < 2 && replicas.size() < replicationFactor; pass++) {
                for (int i = 0; i < order.size() && replicas.size() < replicationFactor; i++) {
                    int broker = order.get((start + i) % order.size());
                    if (replicas.contains(broker)) continue;
                    String rack = brokers.get(broker);
                    if (pass == 0 && racksUsed.contains(rack) && racksUsed.size() < racks) continue;
                    replicas.add(broker);
                    racksUsed.add(rack);
                }
            }
            result.put(p, replicas);
        }
        return result;
    }

    /** Brokers ordered r1-b1, r2-b1, r3-b1, r1-b2, ...: racks by name, brokers by id within each. */
    static List<Integer> interleavedByRack(Map<Integer, String> brokers) {
        Map<String, List<Integer>> byRack = new TreeMap<>();
        new TreeMap<>(brokers).forEach((id, rack) -> byRack.computeIfAbsent(rack, r -> new ArrayList<>()).add(id));
        List<List<Integer>> columns = new ArrayList<>(byRack.values());
        List<Integer> order = new ArrayList<>();
        for (int row = 0; order.size() < brokers.size(); row++)
            for (List<Integer> column : columns) if (row < column.size()) order.add(column.get(row));
        return order;
    }

    /** The usable brokers of an image with their racks. */
    static Map<Integer, String> racksOf(MetadataImage image, List<Integer> brokerIds) {
        Map<Integer, String> racks = new LinkedHashMap<>();
        for (int id : brokerIds) {
            String rack = image.brokers().get(id).rack();
            racks.put(id, rack == null ? "" : rack);
        }
        return racks;
    }
}
