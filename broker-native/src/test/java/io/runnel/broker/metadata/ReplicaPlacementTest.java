package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** Where new replicas go: every partition on distinct brokers and racks, leaderships spread evenly. */
class ReplicaPlacementTest {
    private static final Map<Integer, String> SIX_BROKERS_THREE_RACKS = new TreeMap<>(Map.of(
            1, "a", 2, "a", 3, "b", 4, "b", 5, "c", 6, "c"));

    @Test
    void everyPartitionHasOneReplicaPerRackAndLeadershipsAreSpread() {
        var placed = ReplicaPlacement.place(SIX_BROKERS_THREE_RACKS, 0, 12, 3);
        Map<Integer, Integer> leaderships = new TreeMap<>();
        for (List<Integer> replicas : placed.values()) {
            assertThat(replicas).hasSize(3).doesNotHaveDuplicates();
            assertThat(new HashSet<>(replicas.stream().map(SIX_BROKERS_THREE_RACKS::get).toList())).containsExactlyInAnyOrder("a", "b", "c");
            leaderships.merge(replicas.get(0), 1, Integer::sum);
        }
        assertThat(leaderships.values()).containsOnly(2); // 12 partitions, 6 brokers: two leaderships each
    }

    @Test
    void moreReplicasThanRacksUseEveryRackBeforeDoublingUp() {
        var placed = ReplicaPlacement.place(Map.of(1, "a", 2, "a", 3, "b", 4, "b"), 0, 4, 3);
        for (List<Integer> replicas : placed.values()) {
            assertThat(replicas).hasSize(3).doesNotHaveDuplicates();
            assertThat(replicas.subList(0, 2).stream().map(b -> b <= 2 ? "a" : "b").distinct()).hasSize(2);
        }
    }

    @Test
    void withoutRacksItIsRoundRobin() {
        var placed = ReplicaPlacement.place(Map.of(1, "", 2, "", 3, ""), 0, 3, 2);
        assertThat(placed).containsEntry(0, List.of(1, 2)).containsEntry(1, List.of(2, 3)).containsEntry(2, List.of(3, 1));
    }

    @Test
    void brokersAreInterleavedRackByRack() {
        assertThat(ReplicaPlacement.interleavedByRack(SIX_BROKERS_THREE_RACKS)).containsExactly(1, 3, 5, 2, 4, 6);
    }
}
