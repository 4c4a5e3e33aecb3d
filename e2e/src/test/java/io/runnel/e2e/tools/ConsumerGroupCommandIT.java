package io.runnel.e2e.tools;

import static io.runnel.e2e.support.Pause.sleep;
import static io.runnel.e2e.support.ExternalCommand.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.GroupMember;
import io.runnel.e2e.support.GroupScenarios;
import io.runnel.e2e.support.JavaGroupMember;
import io.runnel.e2e.support.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's consumer-group tooling from the kafka-tools jar, each run as a separate {@code java}
 * process: kafka-console-consumer with {@code --group} (joins, consumes, commits), and
 * kafka-consumer-groups (ConsumerGroupCommand) --list, --describe (offsets and lag),
 * --reset-offsets (--to-earliest, --to-datetime, --shift-by, --to-latest; --execute),
 * --delete-offsets and --delete, and on a group with an active member --describe (with --members
 * and --state), --list --state, and the refusals to reset or delete it. Every change is read back through the Admin API
 * (listConsumerGroupOffsets), not only from the tool's own output.
 */
class ConsumerGroupCommandIT {
    private static final String GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    private static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    /** Record timestamps for --to-datetime: partition p's record i has BASE + i seconds. */
    private static final Instant BASE = Instant.parse("2024-01-01T00:00:00Z");
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("group-tools").config("group.initial.rebalance.delay.ms", "0")
                .config("group.consumer.heartbeat.interval.ms", "500").config("group.consumer.min.heartbeat.interval.ms", "500").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void consoleConsumerWithAGroupConsumesFromTheBeginningAndCommits() {
        String topic = broker.topic("tools-console-group");
        String group = broker.topic("tools-console-group-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
        produceTimestamped(topic, 2, 0, 15);

        ExternalCommand.Result consumed = consoleConsume(group, topic, 30);
        assertThat(consumed.stdout().lines().filter(l -> l.matches("\\d+-\\d+")).sorted().toList()).as(consumed.describe())
                .isEqualTo(values(2, 0, 15));
        assertThat(consumed.stderr()).contains("Processed a total of 30 messages");
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            assertThat(GroupScenarios.committed(admin, group)).as(consumed.describe())
                    .isEqualTo(Map.of(new TopicPartition(topic, 0), 15L, new TopicPartition(topic, 1), 15L));
        }
    }

    @Test
    void consumerGroupsToolListsDescribesResetsDeletesOffsetsAndDeletesTheGroup() {
        String topic = broker.topic("tools-groups");
        String other = broker.topic("tools-groups-other");
        String group = broker.topic("tools-groups-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, 3);
        KafkaClients.createTopic(broker.bootstrap(), other, 1);
        produceTimestamped(topic, 3, 0, 10);
        produceTimestamped(other, 1, 0, 4);
        ok(consoleConsume(group, topic, 30));
        produceTimestamped(topic, 1, 10, 5); // partition 0 now ends at 15: lag 5 there

        assertThat(listed(groups("--list"))).contains(group);

        ExternalCommand.Result describe = groups("--describe", "--group", group);
        assertThat(describeRows(describe, group, topic)).as(describe.describe())
                .isEqualTo(Map.of(0, List.of(10L, 15L, 5L), 1, List.of(10L, 10L, 0L), 2, List.of(10L, 10L, 0L)));

        ExternalCommand.Result earliest = groups("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        assertThat(committed(group, topic)).as(ok(earliest)).isEqualTo(Map.of(0, 0L, 1, 0L, 2, 0L));

        // The first record at or after BASE + 5 s is offset 5 in every partition.
        ExternalCommand.Result datetime = groups("--reset-offsets", "--group", group, "--topic", topic,
                "--to-datetime", "2024-01-01T00:00:05.000", "--execute");
        assertThat(committed(group, topic)).as(ok(datetime)).isEqualTo(Map.of(0, 5L, 1, 5L, 2, 5L));

        ExternalCommand.Result shift = groups("--reset-offsets", "--group", group, "--topic", topic, "--shift-by", "-2", "--execute");
        assertThat(committed(group, topic)).as(ok(shift)).isEqualTo(Map.of(0, 3L, 1, 3L, 2, 3L));

        ExternalCommand.Result describeAfter = groups("--describe", "--group", group);
        assertThat(describeRows(describeAfter, group, topic)).as(describeAfter.describe())
                .isEqualTo(Map.of(0, List.of(3L, 15L, 12L), 1, List.of(3L, 10L, 7L), 2, List.of(3L, 10L, 7L)));

        ExternalCommand.Result latestOther = groups("--reset-offsets", "--group", group, "--topic", other, "--to-latest", "--execute");
        assertThat(committed(group, other)).as(ok(latestOther)).isEqualTo(Map.of(0, 4L));

        ExternalCommand.Result deleteOffsets = groups("--delete-offsets", "--group", group, "--topic", topic);
        ok(deleteOffsets);
        assertThat(committed(group, topic)).as(deleteOffsets.describe()).isEmpty();
        assertThat(committed(group, other)).as("the other topic's offsets stay\n" + deleteOffsets.describe())
                .isEqualTo(Map.of(0, 4L));

        ExternalCommand.Result delete = groups("--delete", "--group", group);
        assertThat(ok(delete)).contains("Deletion of requested consumer groups ('" + group + "') was successful");
        assertThat(listed(groups("--list"))).doesNotContain(group);
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            assertThat(GroupScenarios.committed(admin, group)).as("offsets of the deleted group").isEmpty();
        }
    }

    @Test
    void consumerGroupsToolDescribesAnActiveGroupAndRefusesToResetOrDeleteIt() {
        String topic = broker.topic("tools-active");
        String group = broker.topic("tools-active-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, 3);
        produceTimestamped(topic, 3, 0, 4);
        GroupMember member = JavaGroupMember.start(broker.bootstrap(), "tools-active-member", group, topic, 0);
        try {
            awaitAllTwelveRecordsOnThreePartitions(member);
            // It consumed without committing: the group has no offsets yet, so CURRENT-OFFSET and LAG are "-".
            ExternalCommand.Result describe = groups("--describe", "--group", group);
            List<String[]> rows = ok(describe).lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 9 && f[0].equals(group) && f[1].equals(topic)).toList();
            assertThat(rows).as(describe.describe()).hasSize(3);
            assertThat(rows).as(describe.describe()).allSatisfy(f -> {
                assertThat(f[3]).isEqualTo("-");
                assertThat(f[4]).isEqualTo("4");
                assertThat(f[5]).isEqualTo("-");
                assertThat(f[6]).startsWith("tools-active-member-");
                assertThat(f[7]).isEqualTo("/127.0.0.1");
                assertThat(f[8]).isEqualTo("tools-active-member");
            });

            ExternalCommand.Result members = groups("--describe", "--group", group, "--members");
            List<String[]> memberRows = ok(members).lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 5 && f[0].equals(group)).toList();
            assertThat(memberRows).as(members.describe()).hasSize(1);
            assertThat(memberRows.get(0)[3]).as(members.describe()).isEqualTo("tools-active-member");
            assertThat(memberRows.get(0)[memberRows.get(0).length - 1]).as("#PARTITIONS\n" + members.describe()).isEqualTo("3");

            ExternalCommand.Result state = groups("--describe", "--group", group, "--state");
            List<String[]> stateRows = ok(state).lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 5 && f[0].equals(group)).toList();
            assertThat(stateRows).as(state.describe()).hasSize(1);
            String[] stateRow = stateRows.get(0);
            assertThat(List.of(stateRow).subList(stateRow.length - 3, stateRow.length)).as("ASSIGNMENT-STRATEGY STATE #MEMBERS\n" + state.describe())
                    .containsExactly("range", "Stable", "1");

            assertThat(listed(groups("--list", "--state", "Stable"))).contains(group);
            assertThat(listed(groups("--list", "--state", "Empty"))).doesNotContain(group);

            ExternalCommand.Result reset = groups("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
            assertThat(reset.stdout() + reset.stderr()).as(reset.describe())
                    .contains("can only be reset if the group '" + group + "' is inactive");
            ExternalCommand.Result delete = groups("--delete", "--group", group);
            assertThat(delete.stdout() + delete.stderr()).as(delete.describe()).contains("GroupNotEmptyException");
            assertThat(GroupScenariosView.committed(broker, group)).as("nothing committed by the refused reset").isEmpty();

            assertThat(member.stop()).as(member.describe()).isZero();
            assertThat(listed(groups("--list", "--state", "Empty"))).contains(group);
            ExternalCommand.Result describeEmpty = groups("--describe", "--group", group, "--state");
            assertThat(ok(describeEmpty)).as(describeEmpty.describe()).containsPattern("(?m)^" + group + "\\s.*\\sEmpty\\s+0\\s*$");
            assertThat(GroupScenariosView.committed(broker, group)).as("the member committed when it stopped\n" + member.describe())
                    .isEqualTo(Map.of(new TopicPartition(topic, 0), 4L, new TopicPartition(topic, 1), 4L, new TopicPartition(topic, 2), 4L));
        } finally {
            member.close();
        }
    }

    @Test
    void consumerGroupsToolDescribesAndListsAConsumerProtocolGroup() {
        String topic = broker.topic("tools-kip848");
        String group = broker.topic("tools-kip848-g");
        KafkaClients.createTopic(broker.bootstrap(), topic, 3);
        produceTimestamped(topic, 3, 0, 4);
        GroupMember member = JavaGroupMember.startConsumerProtocol(broker.bootstrap(), "tools-kip848-member", group, topic, 0);
        try {
            awaitAllTwelveRecordsOnThreePartitions(member);
            ExternalCommand.Result state = groups("--describe", "--group", group, "--state");
            List<String[]> stateRows = ok(state).lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 5 && f[0].equals(group)).toList();
            assertThat(stateRows).as(state.describe()).hasSize(1);
            String[] stateRow = stateRows.get(0);
            // The server-side assignor, the KIP-848 state name, one member.
            assertThat(List.of(stateRow).subList(stateRow.length - 3, stateRow.length)).as("ASSIGNMENT-STRATEGY STATE #MEMBERS\n" + state.describe())
                    .containsExactly("uniform", "Stable", "1");

            ExternalCommand.Result members = groups("--describe", "--group", group, "--members");
            List<String[]> memberRows = ok(members).lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 5 && f[0].equals(group)).toList();
            assertThat(memberRows).as(members.describe()).hasSize(1);
            assertThat(memberRows.get(0)).as(members.describe()).contains("tools-kip848-member", "3");

            assertThat(listed(groups("--list", "--type", "consumer"))).contains(group);
            assertThat(listed(groups("--list", "--type", "classic"))).doesNotContain(group);

            assertThat(member.stop()).as(member.describe()).isZero();
            ExternalCommand.Result describe = groups("--describe", "--group", group);
            assertThat(describeRows(describe, group, topic)).as(describe.describe())
                    .isEqualTo(Map.of(0, List.of(4L, 4L, 0L), 1, List.of(4L, 4L, 0L), 2, List.of(4L, 4L, 0L)));
        } finally {
            member.close();
        }
    }

    /** The group names a --list printed (with --state it prints a GROUP STATE table). */
    private static List<String> listed(ExternalCommand.Result result) {
        return ok(result).lines().map(String::trim).filter(l -> !l.isEmpty())
                .map(l -> l.split("\\s+")[0]).filter(g -> !g.equals("GROUP")).toList();
    }


    /** The group's committed offsets through the Admin API. */
    private static final class GroupScenariosView {
        static Map<TopicPartition, Long> committed(BrokerProcess broker, String group) {
            try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
                return GroupScenarios.committed(admin, group);
            }
        }
    }

    /** Records "p-i" with timestamp BASE + i s, for i in [from, from+count), in each of partitions [0, partitions). */
    private static void produceTimestamped(String topic, int partitions, int from, int count) {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            for (int p = 0; p < partitions; p++) {
                for (int i = from; i < from + count; i++) {
                    producer.send(new ProducerRecord<>(topic, p, BASE.toEpochMilli() + i * 1000L, null, (p + "-" + i).getBytes()));
                }
            }
            producer.flush();
        }
    }

    private static List<String> values(int partitions, int from, int count) {
        List<String> values = new java.util.ArrayList<>();
        for (int p = 0; p < partitions; p++) for (int i = from; i < from + count; i++) values.add(p + "-" + i);
        return values.stream().sorted().toList();
    }

    private static Map<Integer, Long> committed(String group, String topic) {
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            Map<Integer, Long> result = new TreeMap<>();
            GroupScenarios.committed(admin, group).forEach((tp, offset) -> {
                if (tp.topic().equals(topic)) result.put(tp.partition(), offset);
            });
            return result;
        }
    }

    /** --describe rows of topic: partition -> [CURRENT-OFFSET, LOG-END-OFFSET, LAG]. */
    private static Map<Integer, List<Long>> describeRows(ExternalCommand.Result result, String group, String topic) {
        Map<Integer, List<Long>> rows = new TreeMap<>();
        ok(result).lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 6 && f[0].equals(group) && f[1].equals(topic))
                .forEach(f -> rows.put(Integer.parseInt(f[2]), List.of(number(f[3]), number(f[4]), number(f[5]))));
        return rows;
    }

    private static long number(String field) {
        return field.equals("-") ? -1 : Long.parseLong(field);
    }

    private static ExternalCommand.Result consoleConsume(String group, String topic, int count) {
        return ExternalCommand.kafkaTool(CONSOLE_CONSUMER, "--bootstrap-server", broker.bootstrap(), "--group", group,
                        "--topic", topic, "--from-beginning", "--max-messages", Integer.toString(count), "--timeout-ms", "120000",
                        "--command-property", "session.timeout.ms=6000", "--command-property", "heartbeat.interval.ms=500")
                .dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
    }

    private static ExternalCommand.Result groups(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--bootstrap-server", broker.bootstrap()));
        all.addAll(List.of(args));
        // --to-datetime without a zone is read in the tool's default time zone: make it UTC.
        return ExternalCommand.kafkaTool(GROUPS, all.toArray(String[]::new)).env("TZ", "UTC")
                .dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
    }


    /** Waits (with a hang guard) until the member owns all 3 partitions and has consumed all 12 records. */
    private static void awaitAllTwelveRecordsOnThreePartitions(GroupMember member) {
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        while (member.view().records().size() < 12 || member.view().assignment().size() < 3) {
            assertThat(Instant.now()).as("the member consumed all 12 records (hang guard)\n" + member.describe()).isBefore(deadline);
            sleep(100);
        }
    }
}
