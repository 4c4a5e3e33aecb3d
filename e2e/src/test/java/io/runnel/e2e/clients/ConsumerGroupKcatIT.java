package io.runnel.e2e.clients;

import io.runnel.e2e.support.BackgroundProcess;
import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.GroupMember;
import io.runnel.e2e.support.GroupScenarios;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kcat's balanced consumer ({@code kcat -G GROUP TOPIC}, librdkafka's classic group protocol with
 * its default eager range,roundrobin assignors and auto commit) as a group member: records
 * printed with {@code -f 'RECORD %p %o %s\n'}, assignments read from kcat's own "Group ...
 * rebalanced" lines. SIGTERM makes kcat close the consumer, which commits and leaves the group.
 */
class ConsumerGroupKcatIT {
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-kcat").config("group.initial.rebalance.delay.ms", "0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void twoKcatMembersSplitPartitionsCommitAndANewMemberStartsAfterTheLastCommit() {
        GroupScenarios.twoMembersSplitThenNewMemberResumes(broker, "kcat", ConsumerGroupKcatIT::kcat, 400, 40);
    }

    static GroupMember kcat(String name, String group, String topic, int throttleMs) {
        if (throttleMs != 0) throw new IllegalArgumentException("kcat cannot be throttled");
        return GroupMember.process(BackgroundProcess.start(name, broker.dir(), List.of("kcat",
                "-b", broker.bootstrap(), "-G", group, topic, "-u", "-f", "RECORD %p %o %s\\n",
                "-X", "client.id=" + name, "-X", "auto.offset.reset=earliest",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
                "-X", "auto.commit.interval.ms=500"), Map.of()));
    }
}
