package io.runnel.e2e.observability;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probes the operator will use stay truthful under full load: while Kafka's
 * producer-perf-test drives the broker as hard as it can take it, {@code /q/health/live} and
 * {@code /q/health/ready} keep answering 200, polled every 100 ms for the whole run (5 s per
 * answer is a hang guard, not a latency assertion).
 */
class HealthUnderLoadIT {
    private static final String PERF_TEST = "org.apache.kafka.tools.ProducerPerformance";
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("health-under-load").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void livenessAndReadinessStayUpWhileTheProducerPerfTestSaturatesTheBroker() {
        broker.assumeLaunchedHere("probes the broker process's HTTP port");
        String topic = broker.topic("health-load");
        KafkaClients.createTopic(broker.bootstrap(), topic, 4);
        CompletableFuture<ExternalCommand.Result> load = CompletableFuture.supplyAsync(() -> ExternalCommand.kafkaTool(PERF_TEST,
                        "--topic", topic, "--num-records", "400000", "--record-size", "1024", "--throughput", "-1",
                        "--producer-props", "bootstrap.servers=" + broker.bootstrap(), "acks=all", "linger.ms=5")
                .dir(broker.dir()).timeout(Duration.ofMinutes(5)).run());

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> failures = new ArrayList<>();
        int polls = 0;
        while (!load.isDone()) {
            for (String probe : List.of("/q/health/live", "/q/health/ready")) {
                polls++;
                try {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + probe))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() != 200) failures.add(probe + " -> " + answer.statusCode() + " " + answer.body());
                } catch (Exception e) {
                    failures.add(probe + " -> " + e);
                }
            }
            sleep(100);
        }
        ExternalCommand.Result result = load.join();
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        assertThat(result.stdout()).as(result.describe()).contains("400000 records sent");
        assertThat(polls).as("probes made while the load ran").isGreaterThan(10);
        assertThat(failures).as("probe answers other than 200 under load (%d probes)\n%s", polls, broker.logTail(20)).isEmpty();
    }

}
