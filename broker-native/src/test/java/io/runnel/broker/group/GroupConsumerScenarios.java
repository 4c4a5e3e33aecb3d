package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

/**
 * The group-consumer scenarios both protocols must pass, with Java clients from a factory
 * ({@code (group, extra configs) -> consumer}: classic or {@code group.protocol=consumer}). Each
 * creates its own topic and group from {@code name}. Test only.
 */
final class GroupConsumerScenarios {
    /** Makes a member of {@code group} with extra consumer configs. */
    interface Consumers extends BiFunction<String, Map<String, Object>, KafkaConsumer<String, String>> {}

    /** More checks of a scenario's group, made while its members are still in it. */
    interface LiveCheck {
        void run() throws Exception;
    }

    private GroupConsumerScenarios() {}

    /** Two members split a 4-partition topic two and two, none owned twice, and together read every record, each only its own partitions. */
    static void twoMembersSplitAndReadEverything(Admin admin, KafkaProducer<String, String> producer, Consumers consumers, String name,
                                                 LiveCheck whileMembersAreLive) throws Exception {
        String topic = name + "-topic";
        String group = name + "-group";
        createTopic(admin, topic, 4);
        try (var c1 = consumers.apply(group, Map.of()); var c2 = consumers.apply(group, Map.of())) {
            c1.subscribe(List.of(topic));
            c2.subscribe(List.of(topic));
            Reads reads = new Reads();
            pollUntil(List.of(c1, c2), reads, () -> c1.assignment().size() == 2 && c2.assignment().size() == 2, false);
            assertThat(c1.assignment()).hasSize(2).doesNotContainAnyElementsOf(c2.assignment());
            assertThat(c2.assignment()).hasSize(2);
            Set<TopicPartition> union = new HashSet<>(c1.assignment());
            union.addAll(c2.assignment());
            assertThat(union).hasSize(4);

            produce(producer, topic, 4, 0, 200);
            pollUntil(List.of(c1, c2), reads, () -> reads.all().size() >= 200, false);
            assertThat(reads.all()).hasSize(200);
            assertThat(reads.distinctValues()).hasSize(200);
            for (KafkaConsumer<String, String> c : List.of(c1, c2)) {
                Set<TopicPartition> own = c.assignment();
                assertThat(reads.of(c)).isNotEmpty()
                        .allSatisfy(r -> assertThat(own).contains(new TopicPartition(r.topic(), r.partition())));
            }
            whileMembersAreLive.run();
        }
    }

    /**
     * Two members consume and commit; a third joins (every member ends with 2 of the 6 partitions);
     * one leaves (the other two take its partitions from its last commit). Every record is read,
     * every partition from offset 0 to its end with no gap, and the group's commits end at the end.
     */
    static void memberJoinsAndLeavesWithNothingLost(Admin admin, KafkaProducer<String, String> producer, Consumers consumers, String name)
            throws Exception {
        String topic = name + "-topic";
        String group = name + "-group";
        int partitions = 6;
        createTopic(admin, topic, partitions);
        Reads reads = new Reads();
        var c1 = consumers.apply(group, Map.of());
        var c2 = consumers.apply(group, Map.of());
        var c3 = consumers.apply(group, Map.of());
        try {
            c1.subscribe(List.of(topic));
            c2.subscribe(List.of(topic));
            produce(producer, topic, partitions, 0, 300);
            pollUntil(List.of(c1, c2), reads, () -> reads.distinctValues().size() >= 300, true);

            c3.subscribe(List.of(topic));
            produce(producer, topic, partitions, 300, 300);
            pollUntil(List.of(c1, c2, c3), reads, () -> reads.distinctValues().size() >= 600
                    && c1.assignment().size() == 2 && c2.assignment().size() == 2 && c3.assignment().size() == 2, true);
            assertThat(List.of(c1.assignment(), c2.assignment(), c3.assignment())).allSatisfy(a -> assertThat(a).hasSize(2));

            c2.close(); // leaves the group: the others take over its partitions from its last commit
            produce(producer, topic, partitions, 600, 300);
            pollUntil(List.of(c1, c3), reads, () -> reads.distinctValues().size() >= 900
                    && c1.assignment().size() + c3.assignment().size() == partitions, true);
            assertThat(c1.assignment().size() + c3.assignment().size()).isEqualTo(partitions);
            assertThat(c1.assignment()).doesNotContainAnyElementsOf(c3.assignment());
        } finally {
            c1.close();
            c3.close();
        }
        Set<String> expected = IntStream.range(0, 900).mapToObj(i -> "value-" + i).collect(Collectors.toSet());
        assertThat(reads.distinctValues()).isEqualTo(expected);
        Map<Integer, TreeSet<Long>> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> r : reads.all()) offsets.computeIfAbsent(r.partition(), p -> new TreeSet<>()).add(r.offset());
        for (int p = 0; p < partitions; p++) {
            assertThat(offsets.get(p)).as("partition %d", p).containsExactlyElementsOf(range(0, 150));
        }
        var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        assertThat(committed).hasSize(partitions);
        assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(150));
    }

    /** A member commits offset 37 with metadata and goes; the next member of the group starts exactly there. */
    static void newMemberStartsAfterTheLastCommit(Admin admin, KafkaProducer<String, String> producer, Consumers consumers, String name)
            throws Exception {
        String topic = name + "-topic";
        String group = name + "-group";
        createTopic(admin, topic, 1);
        produce(producer, topic, 1, 0, 100);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (var first = consumers.apply(group, Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10"))) {
            first.subscribe(List.of(topic));
            Reads reads = new Reads();
            pollUntil(List.of(first), reads, () -> reads.all().size() >= 30, false);
            first.commitSync(Map.of(tp, new OffsetAndMetadata(37, "checkpoint")));
        }
        try (var second = consumers.apply(group, Map.of())) {
            second.subscribe(List.of(topic));
            Reads reads = new Reads();
            pollUntil(List.of(second), reads, () -> !reads.all().isEmpty(), false);
            assertThat(reads.all().get(0).offset()).isEqualTo(37);
            assertThat(second.committed(Set.of(tp)).get(tp).metadata()).isEqualTo("checkpoint");
        }
    }

    /** from, from+1, ..., toExclusive-1 as a sorted set. */
    static TreeSet<Long> range(long from, long toExclusive) {
        TreeSet<Long> s = new TreeSet<>();
        for (long i = from; i < toExclusive; i++) s.add(i);
        return s;
    }
}
