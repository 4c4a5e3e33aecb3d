package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KIP-848 groups with Java kafka-clients 4.x consumers set to {@code group.protocol=consumer},
 * against a real broker: the server-side assignors split partitions with none owned twice, members
 * joining and leaving move partitions incrementally with nothing lost, commits resume a group,
 * and the admin client sees the group as a consumer group.
 */
class ConsumerProtocolGroupTest {
    @TempDir
    static Path dataDir;
    static GroupTestBroker broker;
    static Admin admin;
    static KafkaProducer<String, String> producer;

    @BeforeAll
    static void start() {
        broker = new GroupTestBroker(dataDir, Map.of("group.consumer.heartbeat.interval.ms", "200",
                "group.consumer.session.timeout.ms", "6000"));
        admin = admin(broker.bootstrapServers());
        producer = producer(broker.bootstrapServers());
    }

    @AfterAll
    static void stop() {
        producer.close();
        admin.close();
        broker.close();
    }

    static final GroupConsumerScenarios.Consumers MODERN = ConsumerProtocolGroupTest::modern;

    static KafkaConsumer<String, String> modern(String group, Map<String, Object> extra) {
        return modernConsumer(broker.bootstrapServers(), group, extra);
    }

    static KafkaConsumer<String, String> modern(String group) {
        return modern(group, Map.of());
    }

    @Test
    void twoConsumerProtocolMembersSplitFourPartitionsWithNoneOwnedTwiceAndTogetherReadEverything() throws Exception {
        GroupConsumerScenarios.twoMembersSplitAndReadEverything(admin, producer, MODERN, "kip848-split", () -> {
            ConsumerGroupDescription described = admin.describeConsumerGroups(List.of("kip848-split-group")).all().get().get("kip848-split-group");
            assertThat(described.type()).isEqualTo(GroupType.CONSUMER);
            assertThat(described.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(described.partitionAssignor()).isEqualTo("uniform");
            assertThat(described.members()).hasSize(2).allSatisfy(m -> assertThat(m.assignment().topicPartitions()).hasSize(2));
            assertThat(described.groupEpoch()).isPresent();
            var listed = admin.listGroups(ListGroupsOptions.forConsumerGroups().withTypes(Set.of(GroupType.CONSUMER))).all().get();
            assertThat(listed).extracting(GroupListing::groupId).contains("kip848-split-group");
            assertThat(listed.stream().filter(l -> l.groupId().equals("kip848-split-group")).findFirst().orElseThrow().type())
                    .contains(GroupType.CONSUMER);
        });
    }

    @Test
    void membersJoiningAndLeavingMovePartitionsIncrementallyAndConsumptionResumesFromCommitsWithNothingLost() throws Exception {
        GroupConsumerScenarios.memberJoinsAndLeavesWithNothingLost(admin, producer, MODERN, "kip848-churn");
    }

    @Test
    void aNewConsumerProtocolMemberStartsExactlyAfterTheLastCommit() throws Exception {
        GroupConsumerScenarios.newMemberStartsAfterTheLastCommit(admin, producer, MODERN, "kip848-resume");
    }

    @Test
    void theRangeAssignorGivesEachMemberAContiguousRangeWhenMembersAskForIt() throws Exception {
        createTopic(admin, "kip848-range", 4);
        Map<String, Object> range = Map.of(ConsumerConfig.GROUP_REMOTE_ASSIGNOR_CONFIG, "range");
        try (var c1 = modern("kip848-range-group", range); var c2 = modern("kip848-range-group", range)) {
            c1.subscribe(List.of("kip848-range"));
            c2.subscribe(List.of("kip848-range"));
            pollUntil(List.of(c1, c2), new Reads(), () -> c1.assignment().size() == 2 && c2.assignment().size() == 2, false);
            for (var c : List.of(c1, c2)) {
                List<Integer> ps = c.assignment().stream().map(TopicPartition::partition).sorted().toList();
                assertThat(ps.get(1) - ps.get(0)).as("range of %s", ps).isEqualTo(1);
            }
            assertThat(admin.describeConsumerGroups(List.of("kip848-range-group")).all().get().get("kip848-range-group").partitionAssignor())
                    .isEqualTo("range");
        }
    }

    @Test
    void aServerSideRegexSubscriptionPicksUpMatchingTopicsIncludingOnesCreatedLater() throws Exception {
        createTopic(admin, "kip848-regex-a", 1);
        createTopic(admin, "kip848-other", 1);
        produce(producer, "kip848-regex-a", 1, 0, 10);
        produce(producer, "kip848-other", 1, 0, 10);
        try (var c = modern("kip848-regex-group")) {
            c.subscribe(new SubscriptionPattern("kip848-regex-.*"));
            Reads reads = new Reads();
            pollUntil(List.of(c), reads, () -> reads.all().size() >= 10, false);
            createTopic(admin, "kip848-regex-b", 1);
            produce(producer, "kip848-regex-b", 1, 100, 10);
            pollUntil(List.of(c), reads, () -> reads.all().size() >= 20, false);
            assertThat(reads.all()).hasSize(20).extracting(ConsumerRecord::topic).containsOnly("kip848-regex-a", "kip848-regex-b");
        }
    }

    @Test
    void aStaticMemberThatRestartsWithinItsSessionGetsItsOwnPartitionsBack() throws Exception {
        createTopic(admin, "kip848-static", 4);
        Map<String, Object> a = Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-a");
        Map<String, Object> b = Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-b");
        Set<TopicPartition> before;
        try (var other = modern("kip848-static-group", b)) {
            other.subscribe(List.of("kip848-static"));
            try (var first = modern("kip848-static-group", a)) {
                first.subscribe(List.of("kip848-static"));
                pollUntil(List.of(first, other), new Reads(), () -> first.assignment().size() == 2 && other.assignment().size() == 2, false);
                before = new HashSet<>(first.assignment());
            }
            // Left with epoch -2: its partitions wait for it, the other member does not take them.
            pollFor(List.of(other), 1500);
            assertThat(other.assignment()).hasSize(2);
            try (var again = modern("kip848-static-group", a)) {
                again.subscribe(List.of("kip848-static"));
                pollUntil(List.of(again, other), new Reads(), () -> again.assignment().size() == 2, false);
                assertThat(again.assignment()).isEqualTo(before);
            }
        }
    }

    /** Polls for a fixed time: to show that something does not happen. */
    private static void pollFor(List<KafkaConsumer<String, String>> consumers, long forMs) {
        long end = System.nanoTime() + Duration.ofMillis(forMs).toNanos();
        while (System.nanoTime() < end) {
            for (var c : consumers) c.poll(Duration.ofMillis(50));
        }
    }
}
