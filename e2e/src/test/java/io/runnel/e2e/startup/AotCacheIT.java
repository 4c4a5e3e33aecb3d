package io.runnel.e2e.startup;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.E2eSettings.BrokerKind;
import io.runnel.e2e.support.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The AOT cache the build trains (ADR 0016) is one the JDK can use: the packaged broker starts with
 * {@code -XX:AOTMode=on} (the JVM refuses to start rather than run without a cache it cannot map),
 * Runnel's own classes and its libraries' are loaded from the cache rather than from their jars
 * (the reason for the aot-jar layout: Quarkus' own class loader would keep them out), and the
 * broker serves a produce and a fetch as usual.
 */
class AotCacheIT {

    @Test
    void theTrainedCacheIsUsedForRunnelsOwnClassesAndTheBrokerServes() throws Exception {
        Assumptions.assumeTrue(E2eSettings.brokerKind() == BrokerKind.RUNNEL, "the AOT cache is Runnel's build's");
        Assumptions.assumeTrue(E2eSettings.externalBootstrap().isEmpty(), "needs a broker process this suite launches");
        Path cache = E2eSettings.aotCache();
        assertThat(cache).as("the build (package) trains the broker's AOT cache on JDK 24+; this JDK is " + Runtime.version())
                .isRegularFile();

        Path classLoadLog = Files.createTempFile("aot-class-load", ".txt");
        try (BrokerProcess broker = BrokerProcess.builder("aot-cache")
                .jvmArgs("-Xmx512m", "-XX:AOTMode=on", "-Xlog:class+load=info:file=" + classLoadLog)
                .start()) {
            String topic = broker.topic("aot");
            KafkaClients.createTopic(broker.bootstrap(), topic, 1);
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
                producer.send(new ProducerRecord<>(topic, "from-a-cached-broker".getBytes(StandardCharsets.UTF_8)))
                        .get(KafkaClients.PATIENCE.toSeconds(), TimeUnit.SECONDS);
            }
            var records = KafkaClients.readAll(broker.bootstrap(), topic).get(0);
            assertThat(records).hasSize(1);
            assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("from-a-cached-broker");

            List<String> loads = Files.readAllLines(classLoadLog);
            assertThat(loads).as("class loads of the broker's own entry point")
                    .filteredOn(line -> line.contains(" io.runnel.broker.Broker "))
                    .singleElement().asString().contains("source: shared objects file");
            assertThat(loads).as("class loads of kafka-clients' request codec")
                    .filteredOn(line -> line.contains(" org.apache.kafka.common.requests.ProduceRequest "))
                    .singleElement().asString().contains("source: shared objects file");
        } finally {
            Files.deleteIfExists(classLoadLog);
        }
    }
}
