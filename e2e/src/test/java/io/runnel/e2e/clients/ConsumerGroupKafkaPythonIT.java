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
 * kafka-python (Debian python3-kafka 2.0.2) group members:
 * e2e/clients/python/kafka_python_group_member.py, one process per member, committing what it
 * consumed on revoke and on SIGTERM. kafka-python 2.0.2 predates Kafka 4; that it really runs the
 * group protocol (and not a group-less fallback) is checked by DescribeGroups showing both members
 * with the assignments they report.
 */
class ConsumerGroupKafkaPythonIT {
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-kafka-python").config("group.initial.rebalance.delay.ms", "0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void twoMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "kafka-python", ConsumerGroupKafkaPythonIT::member, 400, 40);
    }

    @Test
    void memberJoiningAndLeavingRebalancesAndConsumptionResumesFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "kafka-python", ConsumerGroupKafkaPythonIT::member, 800);
    }

    static GroupMember member(String name, String group, String topic, int throttleMs) {
        return GroupMember.process(BackgroundProcess.start(name, broker.dir(), List.of(ClientScripts.DEBIAN_PYTHON,
                ClientScripts.pythonDir().resolve("kafka_python_group_member.py").toString(),
                broker.bootstrap(), topic, group, Integer.toString(throttleMs)),
                Map.of("PYTHONPATH", ClientScripts.pythonDir().toString(), "PYTHONUNBUFFERED", "1")));
    }
}
