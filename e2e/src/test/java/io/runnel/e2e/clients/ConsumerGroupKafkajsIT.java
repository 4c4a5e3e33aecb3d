package io.runnel.e2e.clients;

import io.runnel.e2e.support.BackgroundProcess;
import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ClientScripts;
import io.runnel.e2e.support.GroupMember;
import io.runnel.e2e.support.GroupScenarios;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kafkajs group members (e2e/clients/node/group_member.js, one node process per member, kafkajs'
 * default autoCommit) through the same scenarios as the other clients. KafkajsRoundTripIT keeps
 * its single-consumer group read; this adds the split and the resume after the last commit.
 *
 * <p>Not here: the join-and-leave scenario ({@link GroupScenarios#memberJoinAndLeaveResumeFromCommittedOffsets}).
 * With kafkajs 2.2.4 it hung against Apache Kafka 4.4 itself (after member a left, b logged
 * "The group is rebalancing, re-joining" and never reported a new assignment), so it proves
 * nothing about a broker; confluent-kafka, kafka-python and Java cover that scenario.
 */
class ConsumerGroupKafkajsIT {
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-kafkajs").config("group.initial.rebalance.delay.ms", "0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void twoMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "kafkajs", ConsumerGroupKafkajsIT::member, 400, 40);
    }

    static GroupMember member(String name, String group, String topic, int throttleMs) {
        return GroupMember.process(BackgroundProcess.start(name, broker.dir(), List.of("node",
                ClientScripts.nodeDir().resolve("group_member.js").toString(),
                broker.bootstrap(), topic, group, Integer.toString(throttleMs)),
                Map.of("KAFKAJS_NO_PARTITIONER_WARNING", "1")));
    }
}
