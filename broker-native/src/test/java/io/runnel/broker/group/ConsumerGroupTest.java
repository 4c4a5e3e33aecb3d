package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unmodified Java kafka-clients consumers ({@code group.protocol=classic}) subscribing in groups
 * against a real broker: partitions are split with no partition owned twice, joins and leaves
 * rebalance without losing a record, and a new member starts exactly after the last commit.
 */
class ConsumerGroupTest {
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static Admin admin;
    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void start() {
        broker = new GroupTestBroker(dataDir);
        admin = admin(broker.bootstrapServers());
        producer = producer(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        producer.close();
        admin.close();
        broker.close();
    }

    @Test
    void twoConsumersSplitFourPartitionsWithNoPartitionOwnedTwiceAndTogetherReadEverything() throws Exception {
        createTopic(admin, "split-topic", 4);
        try (var c1 = consumer(broker.bootstrapServers(), "split-group"); var c2 = consumer(broker.bootstrapServers(), "split-group")) {
            c1.subscribe(List.of("split-topic"));
            c2.subscribe(List.of("split-topic"));
            Reads reads = new Reads();
            pollUntil(List.of(c1, c2), reads, () -> !c1.assignment().isEmpty() && !c2.assignment().isEmpty()
                    && c1.assignment().size() + c2.assignment().size() == 4, false);
            assertThat(c1.assignment()).doesNotContainAnyElementsOf(c2.assignment());
            Set<TopicPartition> union = new HashSet<>(c1.assignment());
            union.addAll(c2.assignment());
            assertThat(union).hasSize(4);

            produce(producer, "split-topic", 4, 0, 200);
            pollUntil(List.of(c1, c2), reads, () -> reads.all().size() >= 200, false);
            assertThat(reads.all()).hasSize(200);
            assertThat(reads.distinctValues()).hasSize(200);
            for (KafkaConsumer<String, String> c : List.of(c1, c2)) {
                Set<TopicPartition> own = c.assignment();
                assertThat(reads.of(c)).isNotEmpty()
                        .allSatisfy(r -> assertThat(own).contains(new TopicPartition(r.topic(), r.partition())));
            }
        }
    }

    @Test
    void aThirdMemberJoiningAndOneLeavingRebalanceAndConsumptionResumesFromCommittedOffsetsWithNothingLost() throws Exception {
        String topic = "churn-topic";
        int partitions = 6;
        createTopic(admin, topic, partitions);
        Reads reads = new Reads();
        var c1 = consumer(broker.bootstrapServers(), "churn-group");
        var c2 = consumer(broker.bootstrapServers(), "churn-group");
        var c3 = consumer(broker.bootstrapServers(), "churn-group");
        try {
            c1.subscribe(List.of(topic));
            c2.subscribe(List.of(topic));
            produce(producer, topic, partitions, 0, 300);
            pollUntil(List.of(c1, c2), reads, () -> reads.distinctValues().size() >= 300, true);

            c3.subscribe(List.of(topic));
            produce(producer, topic, partitions, 300, 300);
            pollUntil(List.of(c1, c2, c3), reads, () -> reads.distinctValues().size() >= 600 && !c3.assignment().isEmpty(), true);
            assertThat(c3.assignment()).isNotEmpty();
            assertThat(List.of(c1.assignment(), c2.assignment(), c3.assignment())).allSatisfy(a -> assertThat(a).hasSize(2));

            c2.close(); // LeaveGroup: the others take over its partitions from its last commit
            produce(producer, topic, partitions, 600, 300);
            pollUntil(List.of(c1, c3), reads, () -> reads.distinctValues().size() >= 900, true);
            assertThat(c1.assignment().size() + c3.assignment().size()).isEqualTo(partitions);
        } finally {
            c1.close();
            c3.close();
        }
        Set<String> expected = IntStream.range(0, 900).mapToObj(i -> "value-" + i).collect(Collectors.toSet());
        assertThat(reads.distinctValues()).isEqualTo(expected);
        // Every partition was read from offset 0 to its end with no gap.
        Map<Integer, TreeSet<Long>> offsets = new HashMap<>();
        for (ConsumerRecord<String, String> r : reads.all()) offsets.computeIfAbsent(r.partition(), p -> new TreeSet<>()).add(r.offset());
        for (int p = 0; p < partitions; p++) {
            assertThat(offsets.get(p)).as("partition %d", p).containsExactlyElementsOf(LongRangeSet.of(0, 150));
        }
        var committed = admin.listConsumerGroupOffsets("churn-group").partitionsToOffsetAndMetadata().get();
        assertThat(committed).hasSize(partitions);
        assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(150));
    }

    @Test
    void aNewConsumerInTheGroupStartsExactlyAfterTheLastCommit() throws Exception {
        createTopic(admin, "resume-topic", 1);
        produce(producer, "resume-topic", 1, 0, 100);
        TopicPartition tp = new TopicPartition("resume-topic", 0);
        try (var first = consumer(broker.bootstrapServers(), "resume-group", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10"))) {
            first.subscribe(List.of("resume-topic"));
            Reads reads = new Reads();
            pollUntil(List.of(first), reads, () -> reads.all().size() >= 30, false);
            first.commitSync(Map.of(tp, new OffsetAndMetadata(37, "checkpoint")));
        }
        try (var second = consumer(broker.bootstrapServers(), "resume-group")) {
            second.subscribe(List.of("resume-topic"));
            Reads reads = new Reads();
            pollUntil(List.of(second), reads, () -> !reads.all().isEmpty(), false);
            assertThat(reads.all().get(0).offset()).isEqualTo(37);
            assertThat(second.committed(Set.of(tp)).get(tp).metadata()).isEqualTo("checkpoint");
        }
    }

    @Test
    void textbookUserSignupsSplitBetweenTwoAnalyticsConsumersWhoTogetherSeeEverySignup() throws Exception {
        createTopic(admin, "user-signups", 3);
        try (var alice = consumer(broker.bootstrapServers(), "analytics-group"); var bob = consumer(broker.bootstrapServers(), "analytics-group")) {
            alice.subscribe(List.of("user-signups"));
            bob.subscribe(List.of("user-signups"));
            Reads reads = new Reads();
            pollUntil(List.of(alice, bob), reads, () -> !alice.assignment().isEmpty() && !bob.assignment().isEmpty()
                    && alice.assignment().size() + bob.assignment().size() == 3, false);
            produce(producer, "user-signups", 3, 0, 30);
            pollUntil(List.of(alice, bob), reads, () -> reads.distinctValues().size() >= 30, true);
            assertThat(reads.of(alice)).isNotEmpty();
            assertThat(reads.of(bob)).isNotEmpty();
            assertThat(alice.assignment()).doesNotContainAnyElementsOf(bob.assignment());
            assertThat(reads.distinctValues()).hasSize(30);
            assertThat(reads.all()).hasSize(30);
        }
    }

    /** 0, 1, ..., end-1 as a sorted set. */
    static final class LongRangeSet {
        static TreeSet<Long> of(long from, long toExclusive) {
            TreeSet<Long> s = new TreeSet<>();
            for (long i = from; i < toExclusive; i++) s.add(i);
            return s;
        }
    }
}
