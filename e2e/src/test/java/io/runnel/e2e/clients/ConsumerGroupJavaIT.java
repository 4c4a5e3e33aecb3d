package io.runnel.e2e.clients;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.GroupMember;
import io.runnel.e2e.support.GroupScenarios;
import io.runnel.e2e.support.JavaGroupMember;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Java kafka-clients group members with {@code group.protocol=classic} and with
 * {@code group.protocol=consumer} (KIP-848) (threads in the test JVM, {@link JavaGroupMember})
 * against the broker process, through the same scenarios as the other clients. broker-native's own tests cover the coordinator in depth; this is the process-level
 * check.
 */
class ConsumerGroupJavaIT {
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-java").config("group.initial.rebalance.delay.ms", "0")
                .config("group.consumer.heartbeat.interval.ms", "500").config("group.consumer.min.heartbeat.interval.ms", "500").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void twoClassicMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "java", ConsumerGroupJavaIT::member, 400, 40);
    }

    @Test
    void memberJoiningAndLeavingRebalancesAndConsumptionResumesFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "java", ConsumerGroupJavaIT::member, 800);
    }

    /** CooperativeStickyAssignor: incremental rebalances (only moved partitions are revoked, in a second round). */
    @Test
    void cooperativeStickyMembersJoiningAndLeavingResumeFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "java-cooperative",
                (name, group, topic, throttleMs) -> JavaGroupMember.start(broker.bootstrap(), name, group, topic, throttleMs,
                        CooperativeStickyAssignor.class.getName()), 800);
    }

    @Test
    void consumerProtocolMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "java-kip848", ConsumerGroupJavaIT::consumerProtocolMember, 400, 40);
    }

    /** KIP-848: the broker moves partitions member by member (revoke, then assign); no stop-the-world rebalance. */
    @Test
    void consumerProtocolMembersJoiningAndLeavingResumeFromCommittedOffsets() {
        GroupScenarios.memberJoinAndLeaveResumeFromCommittedOffsets(broker, "java-kip848", ConsumerGroupJavaIT::consumerProtocolMember, 800);
    }

    static GroupMember consumerProtocolMember(String name, String group, String topic, int throttleMs) {
        return JavaGroupMember.startConsumerProtocol(broker.bootstrap(), name, group, topic, throttleMs);
    }

    static GroupMember member(String name, String group, String topic, int throttleMs) {
        return JavaGroupMember.start(broker.bootstrap(), name, group, topic, throttleMs);
    }
}
