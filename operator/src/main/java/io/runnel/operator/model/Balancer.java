package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntPredicate;

import org.apache.kafka.common.TopicPartition;

/**
 * Plans the replica lists that drain removed brokers and even out replicas and preferred leaders over the remaining
 * ones, rack-aware, copying as little data as it can; a balanced assignment is its own plan. Pure; any thread.
 *
 * <p>Steps, in order, over partitions sorted by topic and partition: replicas on removed brokers (and second copies)
 * leave holes; a partition that cannot span {@code min(RF, racks)} racks gives up replicas on repeated racks; every
 * broker above its fair share gives up the surplus (the ceiling shares go to the brokers holding the most, which makes
 * the surplus the least any even assignment must copy), followers of its most-held topics first, each only with a
 * receiver in sight; holes go to the brokers furthest below their share, shifting an earlier copy along when only a full
 * broker can take one; then replicas, and leaders by reordering, are evened by improving moves (single or along
 * chains) until none is left. Leaders are even whenever reordering can make them so; only when it cannot (mixed
 * replication factors) do two replicas trade places between partitions to do it.
 *
 * <p>Limits. Racks of unequal size can make an even, rack-spanning assignment impossible: replica and leader counts are
 * then as even as the improving moves that keep every partition's racks spanned can make them. The copies made equal
 * the lower bound (each broker's count above its share, plus every drained replica) for a scale-up without racks and
 * with one replication factor; more can be needed when a drained replica's partition already holds every broker with
 * room left, when racks constrain where a replica may go, or when leaders need a trade.
 */
public final class Balancer {
    private static final Comparator<TopicPartition> ORDER =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    private Balancer() {
    }

    /**
     * @param current  every partition's replica list as the brokers hold it; the first replica is the preferred leader
     * @param brokers  the brokers that will remain, id -> rack (null rack = unknown/no rack awareness), sorted by id
     * @return the target replica list of every partition (same keys, same replication factor per partition)
     * @throws IllegalArgumentException if some partition's replication factor exceeds brokers.size() (message names the partition and
     *                                  the numbers)
     */
    public static Map<TopicPartition, List<Integer>> plan(Map<TopicPartition, List<Integer>> current, SortedMap<Integer, String> brokers) {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(brokers, "brokers");
        List<TopicPartition> order = new ArrayList<>(current.keySet());
        order.sort(ORDER);
        for (TopicPartition tp : order) {
            List<Integer> replicas = current.get(tp);
            if (replicas == null || replicas.stream().anyMatch(Objects::isNull))
                throw new IllegalArgumentException("partition " + tp + " has no replica list or a null replica: " + replicas);
            if (replicas.size() > brokers.size())
                throw new IllegalArgumentException("partition " + tp + " has replication factor " + replicas.size() + " but only "
                        + brokers.size() + " broker(s) remain");
        }
        State s = new State(order, current, brokers);
        s.spanRacks();
        s.evictAboveShare();
        s.fillHoles();
        s.evenReplicas();
        s.evenLeaders();
        return s.result();
    }

    /** How many replicas (partition, broker) pairs in target are not in current: the copies the plan makes. */
    public static int movedReplicas(Map<TopicPartition, List<Integer>> current, Map<TopicPartition, List<Integer>> target) {
        int moved = 0;
        for (Map.Entry<TopicPartition, List<Integer>> e : target.entrySet()) {
            List<Integer> before = current.getOrDefault(e.getKey(), List.of());
            for (Integer b : new LinkedHashSet<>(e.getValue()))
                if (!before.contains(b)) moved++;
        }
        return moved;
    }

    /** The partitions whose replica list (order included) differs between current and target. */
    public static Set<TopicPartition> changed(Map<TopicPartition, List<Integer>> current, Map<TopicPartition, List<Integer>> target) {
        Set<TopicPartition> all = new TreeSet<>(ORDER);
        all.addAll(current.keySet());
        all.addAll(target.keySet());
        Set<TopicPartition> changed = new LinkedHashSet<>();
        for (TopicPartition tp : all)
            if (!Objects.equals(current.get(tp), target.get(tp))) changed.add(tp);
        return Collections.unmodifiableSet(changed);
    }

    /** The working assignment of one plan() call, brokers and partitions by index. Confined to that call. */
    private static final class State {
        private static final int HOLE = -1;

        private final TopicPartition[] parts;
        private final int[] topicOf;
        private final int[] ids;
        /** Rack index per broker, or null when some broker has no rack and rack awareness is off. */
        private final int[] rackOf;
        private final int rackCount;
        private final int[][] members;
        private final int[][] original;
        private final int[] holes;
        private final int[] count;
        private final IntList[] hosted;
        private final Map<Long, int[]> topicCount = new HashMap<>();
        private final int brokerCount;
        private int[] share;

        State(List<TopicPartition> order, Map<TopicPartition, List<Integer>> current, SortedMap<Integer, String> brokers) {
            brokerCount = brokers.size();
            ids = brokers.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
            Map<Integer, Integer> index = new HashMap<>();
            for (int i = 0; i < ids.length; i++) index.put(ids[i], i);
            boolean rackAware = !brokers.isEmpty() && brokers.values().stream().allMatch(Objects::nonNull);
            if (rackAware) {
                Map<String, Integer> racks = new TreeMap<>();
                for (String r : brokers.values()) racks.putIfAbsent(r, racks.size());
                rackOf = new int[brokerCount];
                for (int i = 0; i < ids.length; i++) rackOf[i] = racks.get(brokers.get(ids[i]));
                rackCount = racks.size();
            } else {
                rackOf = null;
                rackCount = 0;
            }
            parts = order.toArray(new TopicPartition[0]);
            topicOf = new int[parts.length];
            Map<String, Integer> topics = new HashMap<>();
            members = new int[parts.length][];
            original = new int[parts.length][];
            holes = new int[parts.length];
            count = new int[brokerCount];
            hosted = new IntList[brokerCount];
            for (int b = 0; b < brokerCount; b++) hosted[b] = new IntList();
            for (int p = 0; p < parts.length; p++) {
                topicOf[p] = topics.computeIfAbsent(parts[p].topic(), t -> topics.size());
                List<Integer> replicas = current.get(parts[p]);
                original[p] = new int[replicas.size()];
                members[p] = new int[replicas.size()];
                Arrays.fill(members[p], HOLE);
                for (int i = 0; i < replicas.size(); i++) {
                    Integer b = index.get(replicas.get(i));
                    original[p][i] = b == null ? HOLE : b;
                    // A removed broker's replica, or a second copy on one broker, has to be placed again.
                    if (b == null || contains(members[p], b)) {
                        members[p][i] = HOLE;
                        holes[p]++;
                    } else {
                        members[p][i] = b;
                        count[b]++;
                        hosted[b].add(p);
                        addTopic(b, topicOf[p], 1);
                    }
                }
            }
        }

        /** Partitions that cannot reach their rack span even with every hole on a new rack give up repeated-rack replicas. */
        void spanRacks() {
            if (rackOf == null) return;
            for (int p = 0; p < parts.length; p++) {
                int need = Math.min(members[p].length, rackCount);
                while (distinctRacks(p, HOLE, HOLE) + holes[p] < need) {
                    int victim = -1;
                    for (int i = 0; i < members[p].length; i++) {
                        int b = members[p][i];
                        if (b == HOLE || !rackRepeated(p, i)) continue;
                        if (victim < 0 || betterRackVictim(p, i, victim)) victim = i;
                    }
                    remove(p, victim);
                }
            }
        }

        private boolean betterRackVictim(int p, int i, int victim) {
            int b = members[p][i];
            int v = members[p][victim];
            if (count[b] != count[v]) return count[b] > count[v];
            if ((i == 0) != (victim == 0)) return victim == 0;
            return b < v;
        }

        private boolean rackRepeated(int p, int i) {
            int r = rackOf[members[p][i]];
            for (int j = 0; j < members[p].length; j++)
                if (j != i && members[p][j] != HOLE && rackOf[members[p][j]] == r) return true;
            return false;
        }

        /**
         * Every broker gives up what it holds above its share. The ceiling shares go to the brokers holding the most: with
         * that choice the surplus is the least any even assignment can move.
         */
        void evictAboveShare() {
            long total = 0;
            for (int[] m : members) total += m.length;
            share = new int[brokerCount];
            if (brokerCount == 0) return;
            int floor = (int) (total / brokerCount);
            int extra = (int) (total % brokerCount);
            Integer[] byCount = brokersBy(Comparator.comparingInt((Integer b) -> -count[b]).thenComparingInt(b -> b));
            for (int i = 0; i < brokerCount; i++) share[byCount[i]] = floor + (i < extra ? 1 : 0);
            int[] room = new int[brokerCount];
            for (int b = 0; b < brokerCount; b++) room[b] = Math.max(0, share[b] - count[b]);
            Integer[] over = brokersBy(Comparator.comparingInt((Integer b) -> share[b] - count[b]).thenComparingInt(b -> b));
            for (int b : over) {
                if (count[b] <= share[b]) break;
                evictFrom(b, room);
            }
        }

        /**
         * Followers leave before leaders, partitions with no hole yet before those with one (two holes in one partition
         * can need two receivers where one is left), replicas of the broker's most-held topic first (spreads topics).
         */
        private void evictFrom(int b, int[] room) {
            record Candidate(int p, int rackRepeated, int holes, int topicHeld, int leader) {
            }
            Comparator<Candidate> order = Comparator.comparingInt(Candidate::rackRepeated).reversed()
                    .thenComparingInt(Candidate::holes)
                    .thenComparing(Comparator.comparingInt(Candidate::topicHeld).reversed())
                    .thenComparingInt(Candidate::leader)
                    .thenComparingInt(Candidate::p);
            PriorityQueue<Candidate> queue = new PriorityQueue<>(order);
            for (int k = 0; k < hosted[b].size; k++) {
                int p = hosted[b].get(k);
                int slot = indexOf(members[p], b);
                queue.add(new Candidate(p, rackOf != null && rackRepeated(p, slot) ? 1 : 0, holes[p], topicHeld(b, topicOf[p]),
                        slot == 0 ? 1 : 0));
            }
            while (count[b] > share[b] && !queue.isEmpty()) {
                Candidate c = queue.poll();
                // Only the topic count changes while this broker evicts, and only downwards: re-queue a stale candidate.
                int held = topicHeld(b, topicOf[c.p()]);
                if (held != c.topicHeld()) {
                    queue.add(new Candidate(c.p(), c.rackRepeated(), c.holes(), held, c.leader()));
                    continue;
                }
                // A replica leaves only with a receiver in sight, which it reserves: evicting two replicas that only one
                // broker's last free slot could take would leave a hole that fillHoles can fill only by overshooting.
                int receiver = -1;
                for (int u = 0; u < brokerCount; u++)
                    if (room[u] > 0 && (receiver < 0 || room[u] > room[receiver]) && canPlace(c.p(), u, b)) receiver = u;
                if (receiver >= 0) {
                    room[receiver]--;
                    remove(c.p(), indexOf(members[c.p()], b));
                }
            }
        }

        /** Each hole goes to the eligible broker furthest below its share, then to the one holding least of the topic. */
        void fillHoles() {
            boolean[] deadEnd = new boolean[brokerCount];
            for (int p = 0; p < parts.length; p++) {
                for (int i = 0; i < members[p].length; i++) {
                    if (members[p][i] != HOLE) continue;
                    int best = -1;
                    for (int u = 0; u < brokerCount; u++) {
                        if (count[u] >= share[u] || !canPlace(p, u, HOLE)) continue;
                        if (best < 0 || betterReceiver(p, u, best)) best = u;
                    }
                    if (best < 0) best = freeByShifting(p, deadEnd);
                    if (best < 0) {
                        // Nothing below its share can take it, even by shifting: rack constraints; evenReplicas does what it can.
                        for (int u = 0; u < brokerCount; u++) {
                            if (!canPlace(p, u, HOLE)) continue;
                            if (best < 0 || count[u] < count[best] || count[u] == count[best] && betterReceiver(p, u, best)) best = u;
                        }
                    }
                    place(p, i, best);
                }
            }
        }

        private boolean betterReceiver(int p, int u, int best) {
            int du = share[u] - count[u];
            int db = share[best] - count[best];
            if (du != db) return du > db;
            int tu = topicHeld(u, topicOf[p]);
            int tb = topicHeld(best, topicOf[p]);
            if (tu != tb) return tu < tb;
            if (count[u] != count[best]) return count[u] < count[best];
            return u < best;
        }

        /**
         * When every broker below its share already holds p (or is on a rack p cannot take), a broker that can take p hands
         * one of the replicas it was just given to another, along a shortest chain ending at a broker below its share. The
         * chain moves only replicas that move anyway, so it costs no extra copies. Returns the broker freed for p, or -1.
         */
        private int freeByShifting(int p, boolean[] deadEnd) {
            Chains chains = new Chains();
            // A failed search's brokers stay a dead end: none is below its share, and the hole then goes to one of them, so
            // whoever could later take that replica from it could have taken the hole, and was searched already.
            for (int b = 0; b < brokerCount; b++) if (deadEnd[b]) chains.exclude(b);
            for (int s = 0; s < brokerCount; s++) if (!deadEnd[s] && canPlace(p, s, HOLE)) chains.start(s);
            for (int head = 0; head < chains.queue.size && chains.unseen > 0; head++) {
                int x = chains.queue.get(head);
                for (int k = 0; k < hosted[x].size; k++) {
                    int q = hosted[x].get(k);
                    if (q == p || !isNew(q, x) || chains.uses(x, q)) continue;
                    int y = chains.expand(x, q, v -> count[v] < share[v]);
                    if (y >= 0) return chains.apply(y);
                }
            }
            for (int k = 0; k < chains.queue.size; k++) deadEnd[chains.queue.get(k)] = true;
            return -1;
        }

        /**
         * Improving moves until none is left: a replica from a broker to one holding at least two fewer, or, when racks rule
         * that out, along a chain (a's replica to x, one of x's to y...). After fillHoles this only has work when racks
         * kept a hole from every broker below its share. Moves of replicas that move anyway go first.
         */
        void evenReplicas() {
            while (moveOne() || moveAlongChain()) {
                // each move lowers the sum of squared counts, so this ends
            }
        }

        /** The busiest broker that can gives a replica to the least busy broker that can take it and holds two fewer. */
        private boolean moveOne() {
            IntList[] byCount = groups();
            for (IntList group : byCount) {
                Integer[] sorted = new Integer[group.size];
                for (int i = 0; i < group.size; i++) sorted[i] = group.get(i);
                Arrays.sort(sorted, Comparator.comparingInt((Integer b) -> count[b]).thenComparingInt(b -> b));
                for (int i = 0; i < sorted.length; i++) group.set(i, sorted[i]);
            }
            int min = Integer.MAX_VALUE;
            for (int b = 0; b < brokerCount; b++) min = Math.min(min, count[b]);
            for (int a : brokersBy(Comparator.comparingInt((Integer b) -> -count[b]).thenComparingInt(b -> b))) {
                if (count[a] - min < 2) return false;
                for (int pass = 0; pass < 2; pass++) {
                    for (int k = 0; k < hosted[a].size; k++) {
                        int q = hosted[a].get(k);
                        if (isNew(q, a) != (pass == 0)) continue;
                        int rule = rackRule(q, a);
                        int best = -1;
                        for (int g = 0; g < byCount.length; g++) {
                            if (!rackAllowed(q, a, g, rule)) continue;
                            for (int i = 0; i < byCount[g].size; i++) {
                                int b = byCount[g].get(i);
                                if (count[a] - count[b] < 2) break;
                                if (contains(members[q], b)) continue;
                                if (best < 0 || count[b] < count[best] || count[b] == count[best] && b < best) best = b;
                                break;
                            }
                        }
                        if (best >= 0) {
                            replace(q, a, best);
                            return true;
                        }
                    }
                }
            }
            return false;
        }

        private boolean moveAlongChain() {
            int min = Integer.MAX_VALUE;
            for (int b = 0; b < brokerCount; b++) min = Math.min(min, count[b]);
            // Sources come busiest first: one reached by a failed search reaches only what that search did, none of it two
            // below the earlier source, so it need not be searched from again.
            boolean[] failed = new boolean[brokerCount];
            for (int s : brokersBy(Comparator.comparingInt((Integer b) -> -count[b]).thenComparingInt(b -> b))) {
                if (count[s] - min < 2) return false;
                if (failed[s]) continue;
                Chains chains = new Chains();
                chains.start(s);
                int most = count[s];
                for (int head = 0; head < chains.queue.size && chains.unseen > 0; head++) {
                    int x = chains.queue.get(head);
                    for (int pass = 0; pass < 2; pass++) {
                        for (int k = 0; k < hosted[x].size; k++) {
                            int q = hosted[x].get(k);
                            if (isNew(q, x) != (pass == 0) || chains.uses(x, q)) continue;
                            int y = chains.expand(x, q, v -> count[v] <= most - 2);
                            if (y >= 0) {
                                chains.apply(y);
                                return true;
                            }
                        }
                    }
                }
                for (int k = 0; k < chains.queue.size; k++) failed[chains.queue.get(k)] = true;
            }
            return false;
        }

        /**
         * A breadth-first search over "broker x hands its replica of q to broker y", each broker reached once, by its
         * shortest chain. Unreached brokers are kept per rack: a replica that must stay on a new rack looks only there.
         */
        private final class Chains {
            private final int[] fromBroker = new int[brokerCount];
            private final int[] viaPartition = new int[brokerCount];
            private final boolean[] seen = new boolean[brokerCount];
            private final IntList[] unseenByRack = groups();
            private final IntList queue = new IntList();
            private int unseen = brokerCount;

            void exclude(int b) {
                seen[b] = true;
                unseen--;
            }

            void start(int s) {
                seen[s] = true;
                unseen--;
                fromBroker[s] = -1;
                queue.add(s);
            }

            boolean uses(int x, int q) {
                for (int t = x; fromBroker[t] >= 0; t = fromBroker[t]) if (viaPartition[t] == q) return true;
                return false;
            }

            /** Reaches every unreached broker that can take x's replica of q; returns the first that is a target, or -1. */
            int expand(int x, int q, IntPredicate target) {
                int rule = rackRule(q, x);
                for (int g = 0; g < unseenByRack.length; g++) {
                    if (!rackAllowed(q, x, g, rule)) continue;
                    IntList list = unseenByRack[g];
                    int kept = 0;
                    int found = -1;
                    for (int i = 0; i < list.size; i++) {
                        int y = list.get(i);
                        if (seen[y]) continue;
                        if (found >= 0 || contains(members[q], y)) {
                            list.set(kept++, y);
                            continue;
                        }
                        seen[y] = true;
                        unseen--;
                        fromBroker[y] = x;
                        viaPartition[y] = q;
                        if (target.test(y)) found = y;
                        else queue.add(y);
                    }
                    list.size = kept;
                    if (found >= 0) return found;
                }
                return -1;
            }

            /** Makes the moves of y's chain; returns the broker at its start, which has handed its replica on. */
            int apply(int y) {
                int t = y;
                while (fromBroker[t] >= 0) {
                    int from = fromBroker[t];
                    replace(viaPartition[t], from, t);
                    t = from;
                }
                return t;
            }
        }

        /** The brokers by rack (one group when rack awareness is off), each group in broker order. */
        private IntList[] groups() {
            IntList[] groups = new IntList[rackOf == null ? 1 : rackCount];
            for (int g = 0; g < groups.length; g++) groups[g] = new IntList();
            for (int b = 0; b < brokerCount; b++) groups[rackOf == null ? 0 : rackOf[b]].add(b);
            return groups;
        }

        /** Where a replica of q can go in place of broker x: 0 any rack, 1 only a rack q does not have yet, 2 nowhere. */
        private int rackRule(int q, int x) {
            if (rackOf == null) return 0;
            int need = Math.min(members[q].length, rackCount);
            int holesAfter = holes[q] + (x == HOLE ? 0 : 1) - 1;
            int have = distinctRacks(q, x, HOLE);
            if (have + holesAfter >= need) return 0;
            return have + 1 + holesAfter >= need ? 1 : 2;
        }

        private boolean rackAllowed(int q, int x, int rack, int rule) {
            if (rule != 1) return rule == 0;
            for (int v : members[q]) if (v != HOLE && v != x && rackOf[v] == rack) return false;
            return true;
        }

        /**
         * Leaders are evened by reordering: first direct hand-overs inside a partition, then hand-overs along a chain of
         * partitions (a partition led by a busy broker passes to a follower that passes one of its own on...), which reach an
         * even spread whenever one exists for these replica sets. Only if none exists are replicas swapped between partitions.
         */
        void evenLeaders() {
            Leaders leaders = new Leaders();
            leaders.handOverDirectly();
            leaders.handOverAlongChains();
            while (leaders.spread() >= 2 && leaders.swapReplicas()) leaders.handOverAlongChains();
        }

        /** Leader counts and the partitions each broker leads, kept in step with members[p][0]. */
        private final class Leaders {
            private final int[] led = new int[brokerCount];
            private final IntList[] leads = new IntList[brokerCount];
            private final int[] position = new int[parts.length];

            Leaders() {
                for (int b = 0; b < brokerCount; b++) leads[b] = new IntList();
                for (int p = 0; p < parts.length; p++) {
                    if (members[p].length == 0) continue;
                    int l = members[p][0];
                    led[l]++;
                    position[p] = leads[l].size;
                    leads[l].add(p);
                }
            }

            int spread() {
                int max = Integer.MIN_VALUE;
                int min = Integer.MAX_VALUE;
                for (int b = 0; b < brokerCount; b++) {
                    max = Math.max(max, led[b]);
                    min = Math.min(min, led[b]);
                }
                return brokerCount == 0 ? 0 : max - min;
            }

            /** The slot's replica becomes p's preferred leader; the old leader takes its slot, the rest keep their order. */
            private void promote(int p, int slot) {
                int from = members[p][0];
                int to = members[p][slot];
                members[p][0] = to;
                members[p][slot] = from;
                moveLead(p, from, to);
            }

            private void moveLead(int p, int from, int to) {
                int at = position[p];
                int last = leads[from].get(leads[from].size - 1);
                leads[from].set(at, last);
                position[last] = at;
                leads[from].size--;
                position[p] = leads[to].size;
                leads[to].add(p);
                led[from]--;
                led[to]++;
            }

            /** Cheap first pass: most imbalance is removed by a partition handing leadership to its least-leading follower. */
            void handOverDirectly() {
                boolean changed = true;
                for (int round = 0; round < 4 && changed; round++) {
                    changed = false;
                    for (int p = 0; p < parts.length; p++) {
                        int[] m = members[p];
                        if (m.length < 2) continue;
                        int best = 0;
                        for (int i = 1; i < m.length; i++) if (led[m[i]] < led[m[best]]) best = i;
                        if (led[m[0]] - led[m[best]] >= 2) {
                            promote(p, best);
                            changed = true;
                        }
                    }
                }
            }

            /**
             * Augmenting paths: from a broker leading c, a breadth-first search over "leads a partition that has a replica on"
             * to a broker leading at most c - 2. Stops when no such path exists from any broker, which is the most even
             * leader spread these replica sets allow.
             */
            void handOverAlongChains() {
                while (true) {
                    int min = Integer.MAX_VALUE;
                    for (int b = 0; b < brokerCount; b++) min = Math.min(min, led[b]);
                    Integer[] desc = brokersBy(Comparator.comparingInt((Integer b) -> -led[b]).thenComparingInt(b -> b));
                    // As in moveAlongChain: a broker a failed search reached cannot succeed either.
                    boolean[] failed = new boolean[brokerCount];
                    boolean moved = false;
                    for (int s : desc) {
                        if (led[s] - min < 2) break;
                        if (failed[s]) continue;
                        if (augmentFrom(s, failed)) {
                            moved = true;
                            break;
                        }
                    }
                    if (!moved) return;
                }
            }

            /** Brokers reachable from s by "leads a partition that has a replica on", in breadth-first order, with how. */
            private IntList reach(int s, int[] via) {
                boolean[] seen = new boolean[brokerCount];
                seen[s] = true;
                IntList order = new IntList();
                order.add(s);
                for (int head = 0; head < order.size; head++) {
                    int x = order.get(head);
                    for (int j = 0; j < leads[x].size; j++) {
                        int p = leads[x].get(j);
                        for (int v : members[p]) {
                            if (seen[v]) continue;
                            seen[v] = true;
                            via[v] = p;
                            order.add(v);
                        }
                    }
                }
                return order;
            }

            /** Each partition on the path from s to t passes leadership one step along it: s leads one fewer, t one more. */
            private void handOverPath(int s, int t, int[] via) {
                while (t != s) {
                    int p = via[t];
                    int from = members[p][0];
                    promote(p, indexOf(members[p], t));
                    t = from;
                }
            }

            private boolean augmentFrom(int s, boolean[] failed) {
                int[] via = new int[brokerCount];
                IntList order = reach(s, via);
                // The nearest target first (fewest leadership changes), the least-leading among equally near ones.
                int target = -1;
                int depthOfTarget = Integer.MAX_VALUE;
                int[] depth = new int[brokerCount];
                for (int k = 1; k < order.size; k++) {
                    int v = order.get(k);
                    depth[v] = depth[members[via[v]][0]] + 1;
                    if (depth[v] > depthOfTarget) break;
                    if (led[v] <= led[s] - 2 && (target < 0 || led[v] < led[target] || led[v] == led[target] && v < target)) {
                        target = v;
                        depthOfTarget = depth[v];
                    }
                }
                if (target < 0) {
                    for (int k = 0; k < order.size; k++) failed[order.get(k)] = true;
                    return false;
                }
                handOverPath(s, target, via);
                return true;
            }

            /**
             * Reordering cannot even the leaders (mixed replication factors, e.g. single-replica partitions piled on one
             * broker). Two replicas trade places instead: in a partition p led by x, which busy broker s can hand leadership
             * to along a chain, broker y takes the place of a replica z and z takes y's follower place in another partition q,
             * where y can hand leadership along a chain to a broker leading at least two fewer than s. If z is x, y now
             * leads p; otherwise p now lets x hand over to y. Then leadership passes s → ... → x → y → ... → that broker.
             * Replica counts stay; s leads one fewer. Trades of replicas that move anyway are preferred.
             */
            boolean swapReplicas() {
                int min = Integer.MAX_VALUE;
                for (int b = 0; b < brokerCount; b++) min = Math.min(min, led[b]);
                Integer[] desc = brokersBy(Comparator.comparingInt((Integer b) -> -led[b]).thenComparingInt(b -> b));
                Integer[] asc = brokersBy(Comparator.comparingInt((Integer b) -> led[b]).thenComparingInt(b -> b));
                for (int s : desc) {
                    if (led[s] - min < 2) return false;
                    int[] via = new int[brokerCount];
                    IntList reachable = reach(s, via);
                    int[] next = new int[brokerCount];
                    int[] nextVia = new int[brokerCount];
                    boolean[] toLow = reachingLow(led[s] - 2, next, nextVia);
                    int[] best = null;
                    int bestCost = Integer.MAX_VALUE;
                    search:
                    for (int k = 0; k < reachable.size; k++) {
                        int x = reachable.get(k);
                        for (int j = 0; j < leads[x].size; j++) {
                            int p = leads[x].get(j);
                            for (int z : members[p]) {
                                for (int y : asc) {
                                    if (!toLow[y] || !canPlace(p, y, z)) continue;
                                    for (int i = 0; i < hosted[y].size; i++) {
                                        int q = hosted[y].get(i);
                                        if (q == p || members[q][0] == y || !canPlace(q, z, y)) continue;
                                        int cost = (isNew(p, z) ? 0 : 1) + (isNew(q, y) ? 0 : 1);
                                        if (cost < bestCost) {
                                            bestCost = cost;
                                            best = new int[] {p, q, x, z, y};
                                            if (cost == 0) break search;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if (best == null) continue;
                    int p = best[0];
                    int x = best[2];
                    int z = best[3];
                    int y = best[4];
                    replace(p, z, y);
                    replace(best[1], y, z);
                    if (z == x) moveLead(p, x, y);
                    handOverPath(s, x, via);
                    if (z != x) promote(p, indexOf(members[p], y));
                    for (int t = y; next[t] >= 0; t = next[t]) promote(nextVia[t], indexOf(members[nextVia[t]], next[t]));
                    return true;
                }
                return false;
            }

            /**
             * Brokers that can hand leadership along a chain to one leading at most {@code atMost}; next and nextVia give
             * each one's first step (-1 for the low brokers themselves).
             */
            private boolean[] reachingLow(int atMost, int[] next, int[] nextVia) {
                boolean[] reaching = new boolean[brokerCount];
                IntList queue = new IntList();
                for (int b = 0; b < brokerCount; b++) {
                    next[b] = -1;
                    if (led[b] <= atMost) {
                        reaching[b] = true;
                        queue.add(b);
                    }
                }
                for (int head = 0; head < queue.size; head++) {
                    int w = queue.get(head);
                    for (int i = 0; i < hosted[w].size; i++) {
                        int q = hosted[w].get(i);
                        int l = members[q][0];
                        if (!reaching[l]) {
                            reaching[l] = true;
                            next[l] = w;
                            nextVia[l] = q;
                            queue.add(l);
                        }
                    }
                }
                return reaching;
            }
        }

        Map<TopicPartition, List<Integer>> result() {
            Map<TopicPartition, List<Integer>> target = new LinkedHashMap<>();
            for (int p = 0; p < parts.length; p++) {
                List<Integer> replicas = new ArrayList<>(members[p].length);
                for (int b : members[p]) replicas.add(ids[b]);
                target.put(parts[p], List.copyOf(replicas));
            }
            return Collections.unmodifiableMap(target);
        }

        /**
         * Whether broker u can take a replica of p in place of broker x (HOLE: into one of p's holes) and p can still span
         * min(RF, racks) racks once its remaining holes are filled.
         */
        private boolean canPlace(int p, int u, int x) {
            int[] m = members[p];
            for (int v : m) if (v == u && v != x) return false;
            if (rackOf == null) return true;
            int need = Math.min(m.length, rackCount);
            int holesAfter = holes[p] + (x == HOLE ? 0 : 1) - 1;
            return distinctRacks(p, x, u) + holesAfter >= need;
        }

        /** Distinct racks of p's replicas without broker {@code without}, with broker {@code with} (HOLE: none). */
        private int distinctRacks(int p, int without, int with) {
            int[] m = members[p];
            int[] seen = new int[m.length + 1];
            int n = 0;
            if (with != HOLE) seen[n++] = rackOf[with];
            for (int v : m) {
                if (v == HOLE || v == without) continue;
                int r = rackOf[v];
                boolean known = false;
                for (int i = 0; i < n && !known; i++) known = seen[i] == r;
                if (!known) seen[n++] = r;
            }
            return n;
        }

        private boolean isNew(int p, int b) {
            return !contains(original[p], b);
        }

        private void remove(int p, int slot) {
            int b = members[p][slot];
            members[p][slot] = HOLE;
            holes[p]++;
            count[b]--;
            hosted[b].removeValue(p);
            addTopic(b, topicOf[p], -1);
        }

        private void place(int p, int slot, int b) {
            members[p][slot] = b;
            holes[p]--;
            count[b]++;
            hosted[b].add(p);
            addTopic(b, topicOf[p], 1);
        }

        private void replace(int p, int from, int to) {
            int slot = indexOf(members[p], from);
            remove(p, slot);
            place(p, slot, to);
        }

        private int topicHeld(int b, int topic) {
            int[] c = topicCount.get(key(b, topic));
            return c == null ? 0 : c[0];
        }

        private void addTopic(int b, int topic, int delta) {
            topicCount.computeIfAbsent(key(b, topic), k -> new int[1])[0] += delta;
        }

        private static long key(int b, int topic) {
            return ((long) b << 32) | topic;
        }

        private Integer[] brokersBy(Comparator<Integer> order) {
            Integer[] all = new Integer[brokerCount];
            for (int b = 0; b < brokerCount; b++) all[b] = b;
            Arrays.sort(all, order);
            return all;
        }

        private static boolean contains(int[] a, int v) {
            return indexOf(a, v) >= 0;
        }

        private static int indexOf(int[] a, int v) {
            for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
            return -1;
        }
    }

    /** A growable int array; avoids boxing in the hot loops. */
    private static final class IntList {
        private int[] values = new int[8];
        private int size;

        void add(int v) {
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }

        int get(int i) {
            return values[i];
        }

        void set(int i, int v) {
            values[i] = v;
        }

        /** Removes by swapping the last value in: order is not kept, but stays a function of the calls made. */
        void removeValue(int v) {
            for (int i = 0; i < size; i++) {
                if (values[i] == v) {
                    values[i] = values[--size];
                    return;
                }
            }
        }
    }
}
