package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

/**
 * The consumer-group scenarios every group client goes through, whatever the client: the test
 * supplies a {@link MemberFactory} that starts one member of a group (kcat -G, a Python script, a
 * Java consumer), and the scenario drives the members and checks what they report (see
 * {@link GroupMember}) against what the broker holds (Admin describeConsumerGroups and
 * listConsumerGroupOffsets, the topic's end offsets).
 *
 * <p>Waits are hang guards ({@link #PATIENCE}), never speed checks.
 */
public final class GroupScenarios {
    public static final Duration PATIENCE = Duration.ofMinutes(2);
    public static final int PARTITIONS = 4;

    private GroupScenarios() {}

    /** Starts one member named {@code name} in {@code group}, subscribed to {@code topic}. */
    @FunctionalInterface
    public interface MemberFactory {
        /** throttleMs: the member sleeps this long after each record (0: full speed). */
        GroupMember start(String name, String group, String topic, int throttleMs);
    }

    /**
     * Two members split a 4-partition topic (disjoint assignments covering every partition, as
     * the members report them and as DescribeGroups shows them), consume {@code count} records
     * produced after the split, together every record exactly once, each only from its own
     * partitions; they commit and leave; the group's committed offsets are the end offsets. A
     * third member started afterwards reads nothing old and every record produced after it.
     */
    public static void twoMembersSplitThenNewMemberResumes(BrokerProcess broker, String label, MemberFactory factory,
                                                           int count, int laterCount) {
        String topic = broker.topic("group-split-" + label);
        String group = broker.topic("group-split-" + label + "-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
        List<GroupMember> members = new ArrayList<>();
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            GroupMember a = factory.start(label + "-a", group, topic, 0);
            members.add(a);
            GroupMember b = factory.start(label + "-b", group, topic, 0);
            members.add(b);

            await("both members assigned disjoint shares covering all " + PARTITIONS + " partitions", members, () -> {
                Set<Integer> as = a.view().assignment();
                Set<Integer> bs = b.view().assignment();
                return !as.isEmpty() && !bs.isEmpty() && disjoint(as, bs) && union(as, bs).equals(allPartitions());
            });
            GroupMember.View aStable = a.view();
            GroupMember.View bStable = b.view();
            assertThat(aStable.records()).as("nothing produced yet").isEmpty();
            assertThat(bStable.records()).as("nothing produced yet").isEmpty();
            assertBrokerSeesAssignments(admin, group, topic, List.of(aStable.assignment(), bStable.assignment()), members);

            produce(broker, topic, 0, count);
            await("the two members together consumed all " + count + " records", members,
                    () -> distinctValues(members).size() >= count);

            GroupMember.View aView = a.view();
            GroupMember.View bView = b.view();
            String story = "\n" + a.describe() + "\n" + b.describe();
            assertThat(aView.rebalanceEvents()).as("no rebalance while consuming" + story).isEqualTo(aStable.rebalanceEvents());
            assertThat(bView.rebalanceEvents()).as("no rebalance while consuming" + story).isEqualTo(bStable.rebalanceEvents());
            assertThat(aView.partitionsConsumed()).as("a consumed only its own partitions" + story).isSubsetOf(aView.assignment());
            assertThat(bView.partitionsConsumed()).as("b consumed only its own partitions" + story).isSubsetOf(bView.assignment());
            assertThat(disjoint(aView.partitionsConsumed(), bView.partitionsConsumed()))
                    .as("no partition consumed by both members" + story).isTrue();
            assertThat(aView.records()).as("a got records" + story).isNotEmpty();
            assertThat(bView.records()).as("b got records" + story).isNotEmpty();
            assertCompleteOnce(members, 0, count, story);

            a.signalStop();
            b.signalStop();
            assertCleanExit(a);
            assertCleanExit(b);
            Map<TopicPartition, Long> end = KafkaClients.endOffsets(broker.bootstrap(), topic);
            assertThat(committed(admin, group)).as("the group's committed offsets after both members left: the end offsets"
                    + "\n" + a.describe() + "\n" + b.describe()).isEqualTo(end);
            assertThat(describe(admin, group).groupState()).as("group state after both members left").isEqualTo(GroupState.EMPTY);

            GroupMember c = factory.start(label + "-c", group, topic, 0);
            members.add(c);
            await("the new member owns all " + PARTITIONS + " partitions", members,
                    () -> c.view().assignment().equals(allPartitions()));
            produce(broker, topic, count, laterCount);
            await("the new member consumed the " + laterCount + " new records", members,
                    () -> distinctValues(List.of(c)).size() >= laterCount);
            GroupMember.View cView = c.view();
            String cStory = "\n" + c.describe();
            for (GroupMember.Consumed r : cView.records()) {
                assertThat(r.offset()).as("new member read an offset before the group's commit: " + r + cStory)
                        .isGreaterThanOrEqualTo(end.get(new TopicPartition(topic, r.partition())));
            }
            assertCompleteOnce(List.of(c), count, laterCount, cStory);
            assertCleanExit(c);
            assertThat(committed(admin, group)).as("committed offsets after the new member left" + cStory)
                    .isEqualTo(KafkaClients.endOffsets(broker.bootstrap(), topic));
        } finally {
            members.forEach(GroupMember::close);
        }
    }

    /**
     * Member a consumes part of a topic (throttled), member b joins (a rebalance moves partitions
     * to b), a leaves (b takes everything, including the partition a was part-way through): b finishes, the members together read every record,
     * each partition's offsets without a gap and no record twice (each member commits what it
     * consumed when partitions are revoked), and the committed offsets end at the end offsets.
     */
    public static void memberJoinAndLeaveResumeFromCommittedOffsets(BrokerProcess broker, String label,
                                                                    MemberFactory factory, int count) {
        String topic = broker.topic("group-rebalance-" + label);
        String group = broker.topic("group-rebalance-" + label + "-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
        produce(broker, topic, 0, count);
        List<GroupMember> members = new ArrayList<>();
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            GroupMember a = factory.start(label + "-a", group, topic, 10);
            members.add(a);
            await("member a owns every partition and consumed some records", members,
                    () -> a.view().assignment().equals(allPartitions()) && a.view().records().size() >= 50);

            GroupMember b = factory.start(label + "-b", group, topic, 2);
            members.add(b);
            await("b joined: a and b hold disjoint shares of all partitions", members, () -> {
                GroupMember.View av = a.view();
                GroupMember.View bv = b.view();
                return !av.assignment().isEmpty() && !bv.assignment().isEmpty() && disjoint(av.assignment(), bv.assignment())
                        && union(av.assignment(), bv.assignment()).equals(allPartitions());
            });
            assertThat(distinctValues(members).size()).as("the join happened before everything was consumed").isLessThan(count);

            // Stop a while it is part-way through one of its partitions (at least 40 records from
            // its end; a reads at most one poll's worth more before it stops), so that b must carry
            // that partition on from the offset a committed.
            int perPartition = count / PARTITIONS;
            await("a is part-way through one of its own partitions", members, () -> {
                GroupMember.View av = a.view();
                GroupMember.Consumed last = av.records().get(av.records().size() - 1);
                return av.assignment().contains(last.partition()) && last.offset() < perPartition - 40;
            });
            assertCleanExit(a);
            await("after a left, b owns every partition and the members together consumed all " + count + " records",
                    members, () -> b.view().assignment().equals(allPartitions()) && distinctValues(members).size() >= count);
            assertCleanExit(b);

            String story = "\n" + a.describe() + "\n" + b.describe();
            assertCompleteOnce(members, 0, count, story);
            assertThat(a.view().assignmentHistory()).as("a's assignment shrank when b joined" + story)
                    .anySatisfy(s -> assertThat(s).isNotEmpty().isNotEqualTo(allPartitions()));
            // a stopped part-way through a partition (it never got to read everything): b carried
            // that partition on from a's commit. That is the hand-over this scenario is about.
            Set<Integer> handedOver = new TreeSet<>(a.view().partitionsConsumed());
            handedOver.retainAll(b.view().partitionsConsumed());
            assertThat(handedOver).as("partitions read partly by a, then on from a's commit by b" + story).isNotEmpty();
            assertThat(committed(admin, group)).as("committed offsets after both left" + story)
                    .isEqualTo(KafkaClients.endOffsets(broker.bootstrap(), topic));
        } finally {
            members.forEach(GroupMember::close);
        }
    }

    /** Records "value-i" (key "key-i") for i in [from, from+count), record i to partition i % 4. */
    public static void produce(BrokerProcess broker, String topic, int from, int count) {
        var props = KafkaClients.producerProps(broker.bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = from; i < from + count; i++) {
                producer.send(new ProducerRecord<>(topic, i % PARTITIONS, KeyedRecords.key(i).getBytes(),
                        KeyedRecords.value(i).getBytes()));
            }
            producer.flush();
        }
    }

    public static Map<TopicPartition, Long> committed(Admin admin, String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            Map<TopicPartition, Long> result = new HashMap<>();
            offsets.forEach((tp, om) -> { if (om != null) result.put(tp, om.offset()); });
            return result;
        } catch (Exception e) {
            throw new AssertionError("listConsumerGroupOffsets(" + group + ") failed", e);
        }
    }

    public static ConsumerGroupDescription describe(Admin admin, String group) {
        try {
            return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("describeConsumerGroups(" + group + ") failed", e);
        }
    }

    private static void assertBrokerSeesAssignments(Admin admin, String group, String topic,
                                                    List<Set<Integer>> reported, List<GroupMember> members) {
        ConsumerGroupDescription description = describe(admin, group);
        Set<Set<Integer>> brokerView = new HashSet<>();
        for (MemberDescription member : description.members()) {
            Set<Integer> partitions = new TreeSet<>();
            member.assignment().topicPartitions().forEach(tp -> {
                assertThat(tp.topic()).isEqualTo(topic);
                partitions.add(tp.partition());
            });
            brokerView.add(partitions);
        }
        String story = "\nDescribeGroups: " + description + "\n"
                + members.stream().map(GroupMember::describe).collect(Collectors.joining("\n"));
        assertThat(description.groupState()).as("group state" + story).isEqualTo(GroupState.STABLE);
        assertThat(description.members()).as("members in DescribeGroups" + story).hasSize(reported.size());
        assertThat(brokerView).as("assignments DescribeGroups shows = what the members report" + story)
                .isEqualTo(new HashSet<>(reported));
    }

    private static void assertCleanExit(GroupMember member) {
        int code = member.stop();
        GroupMember.View view = member.view();
        assertThat(code).as("exit code of " + member.name() + "\n" + member.describe()).isZero();
        assertThat(view.errors()).as("client errors of " + member.name() + "\n" + member.describe()).isEmpty();
    }

    /** Every value in [from, from+count) consumed exactly once, each partition's offsets contiguous. */
    private static void assertCompleteOnce(List<GroupMember> members, int from, int count, String story) {
        Map<String, Integer> times = new HashMap<>();
        Map<Integer, TreeSet<Long>> offsets = new TreeMap<>();
        for (GroupMember m : members) {
            for (GroupMember.Consumed r : m.view().records()) {
                times.merge(r.value(), 1, Integer::sum);
                offsets.computeIfAbsent(r.partition(), p -> new TreeSet<>()).add(r.offset());
            }
        }
        Set<String> expected = IntStream.range(from, from + count).mapToObj(KeyedRecords::value).collect(Collectors.toSet());
        assertThat(times.keySet()).as("values consumed" + story).isEqualTo(expected);
        assertThat(times.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList())
                .as("records consumed more than once" + story).isEmpty();
        offsets.forEach((p, set) -> assertThat(set.last() - set.first() + 1)
                .as("partition " + p + " offsets without a gap" + story).isEqualTo(set.size()));
    }

    private static Set<String> distinctValues(List<GroupMember> members) {
        Set<String> values = new HashSet<>();
        members.forEach(m -> m.view().records().forEach(r -> values.add(r.value())));
        return values;
    }

    private static void await(String what, List<GroupMember> members, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                fail("waited " + PATIENCE + " (hang guard) for: " + what + "\n"
                        + members.stream().map(GroupMember::describe).collect(Collectors.joining("\n")));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static Set<Integer> allPartitions() {
        return IntStream.range(0, PARTITIONS).boxed().collect(Collectors.toSet());
    }

    private static boolean disjoint(Set<Integer> a, Set<Integer> b) {
        return a.stream().noneMatch(b::contains);
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }
}
