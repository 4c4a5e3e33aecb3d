package io.runnel.e2e.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ClientScripts;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.KeyedRecords;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kafka-python (Debian's python3-kafka 2.0.2, run by /usr/bin/python3) creates a topic with its
 * admin client, produces keyed records with acks=all and replays them with assign()+seek(0):
 * e2e/clients/python/kafka_python_roundtrip.py. Then the Java client checks what the broker holds.
 *
 * <p>kafka-python 2.0.2 predates Kafka 4 and probes the broker's version from ApiVersions; it
 * settles on its "2.5" request set, which Kafka 4.4 still accepts (checked against Kafka 4.4.0).
 */
class KafkaPythonRoundTripIT {
    private static final int COUNT = 1_000;
    private static final int PARTITIONS = 3;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("kafka-python");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void kafkaPythonCreatesProducesAndReplaysFromOffsetZero() {
        String topic = broker.topic("kafka-python-roundtrip");
        String ok = ClientScripts.assertOk(ClientScripts.python(broker, "kafka_python_roundtrip.py",
                broker.bootstrap(), topic, Integer.toString(COUNT), Integer.toString(PARTITIONS)));
        assertThat(ok).contains("consumed=" + COUNT);

        int partitionsUsed = KeyedRecords.assertCompleteReplay(KafkaClients.readAll(broker.bootstrap(), topic), COUNT);
        assertThat(partitionsUsed).isEqualTo(PARTITIONS);
    }
}
