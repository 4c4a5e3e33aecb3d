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
 * confluent-kafka (Debian python3-confluent-kafka on librdkafka) group members:
 * e2e/clients/python/confluent_kafka_group_member.py, one process per member, committing what it
 * consumed on revoke and on SIGTERM.
 */
class ConsumerGroupConfluentKafkaIT {
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-confluent").config("group.initial.rebalance.delay.ms", "0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void twoMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "confluent", ConsumerGroupConfluentKafkaIT::member, 400, 40);
    }

    @Test
    void memberJoiningAndLeavingRebalancesAndConsumptionResumesFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "confluent", ConsumerGroupConfluentKafkaIT::member, 800);
    }

    /** librdkafka's cooperative-sticky assignor: incremental rebalances, only moved partitions revoked. */
    @Test
    void cooperativeStickyMembersJoiningAndLeavingResumeFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "confluent-cooperative",
                (name, group, topic, throttleMs) -> member(name, group, topic, throttleMs, "cooperative-sticky"), 800);
    }

    static GroupMember member(String name, String group, String topic, int throttleMs) {
        return member(name, group, topic, throttleMs, null);
    }

    static GroupMember member(String name, String group, String topic, int throttleMs, String assignor) {
        List<String> command = new java.util.ArrayList<>(List.of(ClientScripts.DEBIAN_PYTHON,
                ClientScripts.pythonDir().resolve("confluent_kafka_group_member.py").toString(),
                broker.bootstrap(), topic, group, Integer.toString(throttleMs)));
        if (assignor != null) command.add(assignor);
        return GroupMember.process(BackgroundProcess.start(name, broker.dir(), command,
                Map.of("PYTHONPATH", ClientScripts.pythonDir().toString(), "PYTHONUNBUFFERED", "1")));
    }
}
