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
 * confluent-kafka (Debian's python3-confluent-kafka 1.7.0 on librdkafka 2.0.2, run by
 * /usr/bin/python3) creates a topic with its AdminClient, produces keyed records with an
 * idempotent acks=all producer and replays them with assign() at offset 0:
 * e2e/clients/python/confluent_kafka_roundtrip.py. Then the Java client checks what the broker
 * holds.
 */
class ConfluentKafkaRoundTripIT {
    private static final int COUNT = 1_000;
    private static final int PARTITIONS = 3;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.start("confluent-kafka");
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void confluentKafkaCreatesProducesIdempotentlyAndReplaysFromOffsetZero() {
        String topic = broker.topic("confluent-kafka-roundtrip");
        String ok = ClientScripts.assertOk(ClientScripts.python(broker, "confluent_kafka_roundtrip.py",
                broker.bootstrap(), topic, Integer.toString(COUNT), Integer.toString(PARTITIONS)));
        assertThat(ok).contains("consumed=" + COUNT);

        int partitionsUsed = KeyedRecords.assertCompleteReplay(KafkaClients.readAll(broker.bootstrap(), topic), COUNT);
        assertThat(partitionsUsed).isEqualTo(PARTITIONS);
    }
}
