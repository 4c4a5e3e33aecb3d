package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Where replicas and preferred leaders go when brokers join or leave: even, rack-spanning, with as little copying as it can. */
class BalancerTest {

    private static SortedMap<Integer, String> brokers(int from, int toExclusive) {
        SortedMap<Integer, String> b = new TreeMap<>();
        for (int i = from; i < toExclusive; i++) b.put(i, null);
        return b;
    }

    private static SortedMap<Integer, String> racked(String... racks) {
        SortedMap<Integer, String> b = new TreeMap<>();
        for (int i = 0; i < racks.length; i++) b.put(i, racks[i]);
        return b;
    }

    /** Kafka's round-robin layout: partition i's replicas start at broker i and walk on, so replicas and leaders are even. */
    private static void roundRobin(Map<TopicPartition, List<Integer>> into, String topic, int partitions, int rf, int brokers, int offset) {
        for (int p = 0; p < partitions; p++) {
            List<Integer> replicas = new ArrayList<>();
            for (int r = 0; r < rf; r++) replicas.add((p + offset + r) % brokers);
            into.put(new TopicPartition(topic, p), replicas);
        }
    }

    private static Map<Integer, Integer> replicaCounts(Map<TopicPartition, List<Integer>> a, Set<Integer> brokers) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int b : brokers) counts.put(b, 0);
        a.values().forEach(l -> l.forEach(b -> counts.merge(b, 1, Integer::sum)));
        return counts;
    }

    private static Map<Integer, Integer> leaderCounts(Map<TopicPartition, List<Integer>> a, Set<Integer> brokers) {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (int b : brokers) counts.put(b, 0);
        a.values().stream().filter(l -> !l.isEmpty()).forEach(l -> counts.merge(l.get(0), 1, Integer::sum));
        return counts;
    }

    private static int spread(Map<Integer, Integer> counts) {
        return Collections.max(counts.values()) - Collections.min(counts.values());
    }

    /** The lower bound on copies: what each broker holds above its share, the ceiling shares going to the fullest brokers. */
    private static int lowerBound(Map<TopicPartition, List<Integer>> current, SortedMap<Integer, String> brokers) {
        Map<Integer, Integer> counts = replicaCounts(current, brokers.keySet());
        int total = current.values().stream().mapToInt(List::size).sum();
        List<Integer> held = new ArrayList<>();
        int drained = 0;
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            if (brokers.containsKey(e.getKey())) held.add(e.getValue());
            else drained += e.getValue();
        }
        held.sort(Collections.reverseOrder());
        int n = brokers.size();
        int surplus = 0;
        for (int i = 0; i < n; i++) surplus += Math.max(0, held.get(i) - (total / n + (i < total % n ? 1 : 0)));
        return surplus + drained;
    }

    /** Invariants 1 to 5: shape, drain, even replicas, even leaders, rack span. */
    private static void assertBalanced(Map<TopicPartition, List<Integer>> current, SortedMap<Integer, String> brokers,
                                       Map<TopicPartition, List<Integer>> target, boolean canBeEven) {
        assertThat(target.keySet()).isEqualTo(current.keySet());
        for (Map.Entry<TopicPartition, List<Integer>> e : target.entrySet()) {
            List<Integer> replicas = e.getValue();
            assertThat(replicas).as("%s", e.getKey()).hasSameSizeAs(current.get(e.getKey())).doesNotHaveDuplicates();
            assertThat(brokers.keySet()).as("%s", e.getKey()).containsAll(replicas);
        }
        if (canBeEven) {
            assertThat(spread(replicaCounts(target, brokers.keySet()))).as("replica spread").isLessThanOrEqualTo(1);
            assertThat(spread(leaderCounts(target, brokers.keySet()))).as("leader spread").isLessThanOrEqualTo(1);
        }
        if (brokers.values().stream().allMatch(r -> r != null)) {
            long racks = brokers.values().stream().distinct().count();
            for (Map.Entry<TopicPartition, List<Integer>> e : target.entrySet()) {
                long spanned = e.getValue().stream().map(brokers::get).distinct().count();
                assertThat(spanned).as("racks of %s %s", e.getKey(), e.getValue()).isEqualTo(Math.min(e.getValue().size(), racks));
            }
        }
    }

    @Test
    void scaleUpFromThreeToFiveBrokersEvensReplicasAndLeaders() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        roundRobin(current, "orders", 10, 3, 3, 0);
        roundRobin(current, "payments", 10, 3, 3, 1);
        roundRobin(current, "audit", 10, 3, 3, 2);
        SortedMap<Integer, String> five = brokers(0, 5);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, five);

        assertThat(replicaCounts(target, five.keySet())).containsOnly(
                Map.entry(0, 18), Map.entry(1, 18), Map.entry(2, 18), Map.entry(3, 18), Map.entry(4, 18));
        assertThat(leaderCounts(target, five.keySet())).containsOnly(
                Map.entry(0, 6), Map.entry(1, 6), Map.entry(2, 6), Map.entry(3, 6), Map.entry(4, 6));
        assertBalanced(current, five, target, true);
    }

    @Test
    void scaleUpMovesOnlyTheReplicasTheNewBrokersNeed() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        roundRobin(current, "orders", 7, 3, 3, 0);
        roundRobin(current, "payments", 7, 3, 3, 1);
        SortedMap<Integer, String> five = brokers(0, 5);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, five);

        // 42 replicas over 5 brokers: shares 9, 9, 8, 8, 8; the old brokers hold 14 each, so 5 + 5 + 6 must move.
        assertThat(lowerBound(current, five)).isEqualTo(16);
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(16);
        // Every copy lands on a new broker: an old broker only ever loses replicas.
        current.forEach((tp, before) -> target.get(tp).stream().filter(b -> b < 3).forEach(b -> assertThat(before).contains(b)));
        assertBalanced(current, five, target, true);
    }

    @Test
    void scaleUpSpreadsEachTopicOverTheNewBrokers() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        roundRobin(current, "a", 6, 3, 3, 0);
        roundRobin(current, "b", 6, 3, 3, 0);
        SortedMap<Integer, String> six = brokers(0, 6);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, six);

        for (int broker = 3; broker < 6; broker++) {
            for (String topic : List.of("a", "b")) {
                int b = broker;
                long held = target.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue().contains(b)).count();
                assertThat(held).as("replicas of %s on broker %d", topic, broker).isEqualTo(3);
            }
        }
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(lowerBound(current, six)).isEqualTo(18);
    }

    @Test
    void movedReplicasGoWhereTheirTopicIsLeastHeld() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("a", 0), List.of(0));
        current.put(new TopicPartition("a", 1), List.of(0));
        current.put(new TopicPartition("a", 2), List.of(1));
        current.put(new TopicPartition("b", 0), List.of(0));
        current.put(new TopicPartition("b", 1), List.of(0));
        current.put(new TopicPartition("b", 2), List.of(2));
        SortedMap<Integer, String> three = brokers(0, 3);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, three);

        // Brokers 1 and 2 have equal room; each takes the topic it does not have yet, so every broker holds one of each.
        for (int broker = 0; broker < 3; broker++) {
            for (String topic : List.of("a", "b")) {
                int b = broker;
                long held = target.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue().contains(b)).count();
                assertThat(held).as("partitions of %s on broker %d", topic, broker).isEqualTo(1);
            }
        }
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(2);
    }

    @Test
    void scaleDownDrainsTheRemovedBrokers() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        roundRobin(current, "orders", 10, 3, 5, 0);
        roundRobin(current, "payments", 5, 2, 5, 2);
        SortedMap<Integer, String> three = brokers(0, 3);
        int onRemoved = (int) current.values().stream().flatMap(List::stream).filter(b -> b >= 3).count();

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, three);

        assertThat(target.values()).allSatisfy(l -> assertThat(l).allMatch(b -> b < 3));
        // The remaining brokers all end above what they held, so nothing but the drained replicas moves.
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(onRemoved).isEqualTo(lowerBound(current, three));
        assertBalanced(current, three, target, true);
    }

    @Test
    void scaleDownShiftsAnEarlierCopyRatherThanCopyingTwice() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("t", 0), List.of(1, 0));
        current.put(new TopicPartition("t", 1), List.of(0, 1));
        current.put(new TopicPartition("t", 2), List.of(3, 0));
        SortedMap<Integer, String> withoutZero = brokers(1, 4);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, withoutZero);

        // t-2 can only take broker 2, which the first two holes filled up; broker 3, which t-0 can take, still has room.
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(3);
        assertThat(replicaCounts(target, withoutZero.keySet())).containsOnly(Map.entry(1, 2), Map.entry(2, 2), Map.entry(3, 2));
        assertBalanced(current, withoutZero, target, true);
    }

    @Test
    void aSurplusReplicaLeavesOnlyForABrokerWithRoomForIt() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("t", 0), List.of(2, 1));
        current.put(new TopicPartition("t", 1), List.of(0, 2));
        current.put(new TopicPartition("t", 2), List.of(0, 2));
        current.put(new TopicPartition("t", 3), List.of(2, 0));
        current.put(new TopicPartition("t", 4), List.of(1, 2));
        current.put(new TopicPartition("t", 5), List.of(2, 1));
        SortedMap<Integer, String> three = brokers(0, 3);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, three);

        // Broker 2 sheds two of six; t-1 and t-2 could each only go to broker 1, which has room for one.
        assertThat(lowerBound(current, three)).isEqualTo(2);
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(2);
        assertBalanced(current, three, target, true);
    }

    @Test
    void scaleDownWithASurplusMovesOnlyTheLowerBound() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("t", 0), List.of(0, 1, 3));
        current.put(new TopicPartition("t", 1), List.of(0, 2, 3));
        current.put(new TopicPartition("t", 2), List.of(5, 3, 1));
        current.put(new TopicPartition("t", 3), List.of(4, 3, 2));
        current.put(new TopicPartition("t", 4), List.of(5, 4, 2));
        SortedMap<Integer, String> withoutZero = brokers(1, 6);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, withoutZero);

        // Two drained replicas and one of broker 3's four, and the room for them is on different brokers for each.
        assertThat(lowerBound(current, withoutZero)).isEqualTo(3);
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(3);
        assertBalanced(current, withoutZero, target, true);
    }

    @Test
    void alreadyBalancedAssignmentIsUnchanged() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        roundRobin(current, "orders", 12, 3, 4, 0);
        roundRobin(current, "payments", 8, 2, 4, 1);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, brokers(0, 4));

        assertThat(target).isEqualTo(current);
        assertThat(Balancer.changed(current, target)).isEmpty();
        assertThat(Balancer.movedReplicas(current, target)).isZero();
    }

    @Test
    void planIsIdempotent() {
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        // Everything piled on brokers 0-2, broker 6 leaving, brokers 3-5 empty.
        roundRobin(current, "orders", 11, 3, 3, 0);
        current.put(new TopicPartition("payments", 0), List.of(6, 0));
        current.put(new TopicPartition("payments", 1), List.of(0, 6));
        SortedMap<Integer, String> six = brokers(0, 6);

        Map<TopicPartition, List<Integer>> once = Balancer.plan(current, six);
        Map<TopicPartition, List<Integer>> twice = Balancer.plan(once, six);

        assertThat(Balancer.changed(current, once)).isNotEmpty();
        assertThat(twice).isEqualTo(once);
        assertThat(Balancer.changed(once, twice)).isEmpty();
    }

    @Test
    void planIgnoresInputOrder() {
        Map<TopicPartition, List<Integer>> sorted = new LinkedHashMap<>();
        roundRobin(sorted, "orders", 9, 3, 3, 0);
        roundRobin(sorted, "payments", 7, 2, 3, 1);
        roundRobin(sorted, "audit", 4, 1, 3, 2);
        SortedMap<Integer, String> five = brokers(0, 5);
        Map<TopicPartition, List<Integer>> expected = Balancer.plan(sorted, five);

        for (long seed = 1; seed <= 5; seed++) {
            List<TopicPartition> keys = new ArrayList<>(sorted.keySet());
            Collections.shuffle(keys, new Random(seed));
            Map<TopicPartition, List<Integer>> shuffled = new LinkedHashMap<>();
            keys.forEach(k -> shuffled.put(k, sorted.get(k)));
            assertThat(Balancer.plan(shuffled, five)).as("seed %d", seed).isEqualTo(expected);
        }
        assertThat(Balancer.plan(new HashMap<>(sorted), five)).isEqualTo(expected);
    }

    @Test
    void leadersAreEvenedByReorderingBeforeMovingData() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        for (int p = 0; p < 6; p++) current.put(new TopicPartition("orders", p), List.of(0, 1, 2));
        SortedMap<Integer, String> three = brokers(0, 3);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, three);

        assertThat(Balancer.movedReplicas(current, target)).isZero();
        target.forEach((tp, l) -> assertThat(l).containsExactlyInAnyOrderElementsOf(current.get(tp)));
        assertThat(leaderCounts(target, three.keySet())).containsOnly(Map.entry(0, 2), Map.entry(1, 2), Map.entry(2, 2));
        // Partitions keep broker 0 as leader where they can: only the four that must change do.
        assertThat(Balancer.changed(current, target)).hasSize(4);
    }

    @Test
    void leadersAreEvenedByTradingReplicasWhenReorderingCannot() {
        // Both single-replica partitions sit on broker 0, so it must lead both unless replicas move.
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("a", 0), List.of(0));
        current.put(new TopicPartition("a", 1), List.of(0));
        current.put(new TopicPartition("b", 0), List.of(1, 2, 3));
        current.put(new TopicPartition("b", 1), List.of(2, 3, 1));
        SortedMap<Integer, String> four = brokers(0, 4);

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, four);

        assertThat(leaderCounts(target, four.keySet())).containsOnly(Map.entry(0, 1), Map.entry(1, 1), Map.entry(2, 1), Map.entry(3, 1));
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(2);
        assertBalanced(current, four, target, true);
    }

    @Test
    void replicasSpanRacks() {
        SortedMap<Integer, String> sixOnThreeRacks = racked("a", "a", "b", "b", "c", "c");
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        // Rack-spanning apart from orders-0 (racks a, a, b) and payments-0 (rack a twice); broker 1 holds two too many,
        // brokers 4 and 5 one too few: the two rack fixes are all the copying needed.
        current.put(new TopicPartition("orders", 0), List.of(0, 1, 2));
        current.put(new TopicPartition("orders", 1), List.of(2, 4, 1));
        current.put(new TopicPartition("orders", 2), List.of(4, 0, 3));
        current.put(new TopicPartition("orders", 3), List.of(3, 5, 0));
        current.put(new TopicPartition("orders", 4), List.of(5, 3, 1));
        current.put(new TopicPartition("orders", 5), List.of(1, 5, 2));
        current.put(new TopicPartition("payments", 0), List.of(1, 0));
        current.put(new TopicPartition("payments", 1), List.of(2, 4));
        current.put(new TopicPartition("payments", 2), List.of(1, 3));

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, sixOnThreeRacks);

        assertBalanced(current, sixOnThreeRacks, target, true);
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(2);
        assertThat(Balancer.plan(target, sixOnThreeRacks)).isEqualTo(target);
    }

    @Test
    void rackViolationsAreFixedWhenTheLoadIsAlreadyEven() {
        SortedMap<Integer, String> fourOnTwoRacks = racked("a", "a", "b", "b");
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("orders", 0), List.of(0, 1));
        current.put(new TopicPartition("orders", 1), List.of(2, 3));
        current.put(new TopicPartition("orders", 2), List.of(1, 2));
        current.put(new TopicPartition("orders", 3), List.of(3, 0));

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, fourOnTwoRacks);

        // Replicas and leaders are even already: only the two single-rack partitions change, by trading followers.
        assertThat(target).containsEntry(new TopicPartition("orders", 0), List.of(0, 3))
                .containsEntry(new TopicPartition("orders", 1), List.of(2, 1))
                .containsEntry(new TopicPartition("orders", 2), List.of(1, 2))
                .containsEntry(new TopicPartition("orders", 3), List.of(3, 0));
        assertBalanced(current, fourOnTwoRacks, target, true);
    }

    @Test
    void racksCanNeedAChainOfMovesToEvenReplicas() {
        SortedMap<Integer, String> fourOnTwoRacks = racked("a", "b", "a", "b");
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        for (int p = 0; p < 3; p++) current.put(new TopicPartition("spanning", p), List.of(2, 3));
        current.put(new TopicPartition("spanning", 3), List.of(0, 3));
        current.put(new TopicPartition("spanning", 4), List.of(0, 3));
        current.put(new TopicPartition("spanning", 5), List.of(2, 1));
        current.put(new TopicPartition("spanning", 6), List.of(0, 1));
        current.put(new TopicPartition("single", 0), List.of(1));
        current.put(new TopicPartition("single", 1), List.of(1));

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, fourOnTwoRacks);

        // Broker 3 holds 5, broker 0 holds 3. None of 3's replicas can go to 0 (same rack as their other replica): 3 hands
        // one to 1 on its own rack, and 1 hands a single-replica partition to 0.
        assertThat(replicaCounts(target, fourOnTwoRacks.keySet())).containsOnly(
                Map.entry(0, 4), Map.entry(1, 4), Map.entry(2, 4), Map.entry(3, 4));
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(2);
        assertBalanced(current, fourOnTwoRacks, target, true);
    }

    @Test
    void racksAreIgnoredWhenABrokerHasNone() {
        SortedMap<Integer, String> brokers = new TreeMap<>(Map.of(0, "a", 1, "a"));
        brokers.put(2, null);
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        current.put(new TopicPartition("orders", 0), List.of(0, 1));
        current.put(new TopicPartition("orders", 1), List.of(1, 2));
        current.put(new TopicPartition("orders", 2), List.of(2, 0));

        assertThat(Balancer.plan(current, brokers)).isEqualTo(current);
    }

    @Test
    void aReplicationFactorAboveTheBrokerCountIsRefused() {
        Map<TopicPartition, List<Integer>> current = Map.of(
                new TopicPartition("orders", 0), List.of(0, 1),
                new TopicPartition("orders", 1), List.of(0, 1, 2));

        assertThatThrownBy(() -> Balancer.plan(current, brokers(0, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("orders-1").hasMessageContaining("replication factor 3").hasMessageContaining("only 2 broker");
    }

    @Test
    void singleBrokerClusterKeepsEverything() {
        Map<TopicPartition, List<Integer>> current = new LinkedHashMap<>();
        roundRobin(current, "orders", 4, 1, 1, 0);

        assertThat(Balancer.plan(current, brokers(0, 1))).isEqualTo(current);

        current.put(new TopicPartition("payments", 0), List.of(1));
        Map<TopicPartition, List<Integer>> drained = Balancer.plan(current, brokers(0, 1));
        assertThat(drained.values()).containsOnly(List.of(0));
    }

    @Test
    void changedAndMovedCompareReplicaListsAndCopies() {
        TopicPartition a = new TopicPartition("t", 0);
        TopicPartition b = new TopicPartition("t", 1);
        TopicPartition c = new TopicPartition("t", 2);
        Map<TopicPartition, List<Integer>> current = Map.of(a, List.of(0, 1), b, List.of(1, 2), c, List.of(2, 0));
        Map<TopicPartition, List<Integer>> target = Map.of(a, List.of(1, 0), b, List.of(1, 3), c, List.of(4, 5));

        assertThat(Balancer.changed(current, target)).containsExactly(a, b, c);
        assertThat(Balancer.movedReplicas(current, target)).isEqualTo(3);
        assertThat(Balancer.changed(current, current)).isEmpty();
    }

    /** Random clusters: brokers leaving and joining, mixed replication factors, with and without racks. */
    @Test
    void randomAssignmentsKeepEveryInvariant() {
        int exactLowerBounds = 0;
        for (long seed = 1; seed <= 1000; seed++) {
            Random random = new Random(seed);
            int remaining = 1 + random.nextInt(9);
            int removed = random.nextInt(3);
            int racks = random.nextInt(4);
            boolean evenRacks = random.nextBoolean();
            SortedMap<Integer, String> brokers = new TreeMap<>();
            for (int b = 0; b < remaining; b++)
                brokers.put(b, racks == 0 ? null : "rack-" + (evenRacks ? b % racks : random.nextInt(racks)));
            // Old brokers: a random subset of the remaining ones plus those being removed.
            List<Integer> old = new ArrayList<>();
            for (int b = 0; b < remaining; b++) if (random.nextInt(3) > 0) old.add(b);
            for (int b = 0; b < removed; b++) old.add(100 + b);
            if (old.isEmpty()) old.add(0);
            int maxRf = Math.min(3, Math.min(remaining, old.size()));
            boolean uniformRf = random.nextBoolean();
            int rf = 1 + random.nextInt(maxRf);
            Map<TopicPartition, List<Integer>> current = new HashMap<>();
            int topics = 1 + random.nextInt(4);
            for (int t = 0; t < topics; t++) {
                int topicRf = uniformRf ? rf : 1 + random.nextInt(maxRf);
                int partitions = 1 + random.nextInt(10);
                for (int p = 0; p < partitions; p++) {
                    List<Integer> pool = new ArrayList<>(old);
                    Collections.shuffle(pool, random);
                    current.put(new TopicPartition("topic-" + t, p), List.copyOf(pool.subList(0, topicRf)));
                }
            }
            // Racks of unequal size can make even, rack-spanning replicas and leaders impossible; then only the rest is promised.
            boolean canBeEven = racks == 0 || evenRacks && remaining % racks == 0;

            Map<TopicPartition, List<Integer>> target = Balancer.plan(current, brokers);

            String scenario = "seed " + seed + ": " + brokers + " " + current;
            try {
                assertBalanced(current, brokers, target, canBeEven);
                assertThat(Balancer.plan(target, brokers)).as("idempotent").isEqualTo(target);
                if (racks == 0 && removed == 0 && uniformRf) {
                    assertThat(Balancer.movedReplicas(current, target)).as("copies").isEqualTo(lowerBound(current, brokers));
                    exactLowerBounds++;
                }
            } catch (AssertionError e) {
                throw new AssertionError(scenario + " -> " + target + ": " + e.getMessage(), e);
            }
        }
        assertThat(exactLowerBounds).as("scenarios checked against the lower bound").isGreaterThan(25);
    }

    @Test
    void tenThousandPartitionsOverAHundredBrokersBalance() {
        Random random = new Random(42);
        SortedMap<Integer, String> brokers = new TreeMap<>();
        for (int b = 0; b < 100; b++) brokers.put(b, "zone-" + b % 4);
        Map<TopicPartition, List<Integer>> current = new HashMap<>();
        // Placed at random over the first 90 brokers plus 5 that are leaving; brokers 90-99 are new.
        for (int t = 0; t < 100; t++) {
            for (int p = 0; p < 100; p++) {
                Set<Integer> replicas = new HashSet<>();
                while (replicas.size() < 3) replicas.add(random.nextInt(20) == 0 ? 200 + random.nextInt(5) : random.nextInt(90));
                List<Integer> list = new ArrayList<>(replicas);
                Collections.shuffle(list, random);
                current.put(new TopicPartition("topic-" + t, p), list);
            }
        }

        Map<TopicPartition, List<Integer>> target = Balancer.plan(current, brokers);

        assertBalanced(current, brokers, target, true);
        assertThat(Balancer.plan(target, brokers)).isEqualTo(target);
    }
}
