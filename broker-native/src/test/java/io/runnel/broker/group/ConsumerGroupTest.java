package io.runnel.broker.group;

import static io.runnel.broker.group.GroupClients.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
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
    static final GroupConsumerScenarios.Consumers CLASSIC = (group, extra) -> consumer(broker.bootstrapServers(), group, extra);

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
        GroupConsumerScenarios.twoMembersSplitAndReadEverything(admin, producer, CLASSIC, "split", () -> { });
    }

    @Test
    void aThirdMemberJoiningAndOneLeavingRebalanceAndConsumptionResumesFromCommittedOffsetsWithNothingLost() throws Exception {
        GroupConsumerScenarios.memberJoinsAndLeavesWithNothingLost(admin, producer, CLASSIC, "churn");
    }

    @Test
    void aNewConsumerInTheGroupStartsExactlyAfterTheLastCommit() throws Exception {
        GroupConsumerScenarios.newMemberStartsAfterTheLastCommit(admin, producer, CLASSIC, "resume");
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
}
