package io.runnel.e2e.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.KeyedRecords;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kcat (librdkafka, Debian's package) produces keyed records and reads them back from offset 0
 * without a consumer group; the Java client then checks what the broker holds.
 */
class KcatRoundTripIT {
    private static final int COUNT = 2_000;
    private static final int PARTITIONS = 3;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("kcat");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void kcatProducesKeyedRecordsAndReplaysThemFromOffsetZeroInOrderPerPartition() throws IOException {
        String topic = broker.topic("kcat-roundtrip");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
        Path input = broker.dir().resolve("kcat-input.txt");
        Files.write(input, IntStream.range(0, COUNT).mapToObj(i -> KeyedRecords.key(i) + ":" + KeyedRecords.value(i)).toList());

        ExternalCommand.Result produce = ExternalCommand.of("kcat", "-b", broker.bootstrap(), "-t", topic, "-P", "-K", ":",
                        "-X", "acks=all", "-X", "enable.idempotence=true")
                .name("kcat-produce").dir(broker.dir()).stdin(input).run();
        assertThat(produce.succeeded()).as(produce.describe()).isTrue();
        assertThat(produce.stderr()).as(produce.describe()).doesNotContainIgnoringCase("error");

        ExternalCommand.Result consume = ExternalCommand.of("kcat", "-b", broker.bootstrap(), "-t", topic, "-C",
                        "-o", "beginning", "-e", "-f", "%p\t%o\t%k\t%s\n")
                .name("kcat-consume").dir(broker.dir()).run();
        assertThat(consume.succeeded()).as(consume.describe()).isTrue();

        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = parseKcatOutput(topic, consume.stdout());
        int partitionsUsed = KeyedRecords.assertCompleteReplay(byPartition, COUNT);
        assertThat(partitionsUsed).as("librdkafka's partitioner spreads %d keys over %d partitions", COUNT, PARTITIONS)
                .isEqualTo(PARTITIONS);
        // The Java client reads the same log the same way.
        assertThat(KeyedRecords.summary(KafkaClients.readAll(broker.bootstrap(), topic)))
                .isEqualTo(KeyedRecords.summary(byPartition));
    }

    static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> parseKcatOutput(String topic, String output) {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition = new TreeMap<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) continue;
            String[] fields = line.split("\t", 4);
            assertThat(fields).as("kcat output line %s", line).hasSize(4);
            int partition = Integer.parseInt(fields[0]);
            byPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(new ConsumerRecord<>(topic, partition,
                    Long.parseLong(fields[1]), fields[2].getBytes(StandardCharsets.UTF_8), fields[3].getBytes(StandardCharsets.UTF_8)));
        }
        return byPartition;
    }
}
