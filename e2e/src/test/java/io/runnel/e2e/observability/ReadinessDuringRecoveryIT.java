package io.runnel.e2e.observability;

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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probes tell the truth while a broker recovers a large log: 600,000 one-record batches are
 * produced (Kafka's producer-perf-test), the broker is killed with SIGKILL (so nothing was flushed
 * and every batch is recovered) and restarted while {@code /q/health/ready} and {@code /live} are
 * polled every 10 ms. Proves: readiness answers 503 while the broker's log says the logs are being
 * loaded and never 200 before it says they are loaded, liveness answers 200 meanwhile (a kubelet
 * must not kill a recovering broker), and the broker then serves every record.
 */
class ReadinessDuringRecoveryIT {
    private static final String PERF_TEST = "org.apache.kafka.tools.ProducerPerformance";
    /** One record per batch: recovery checks every batch, so many small ones make it last long enough to watch. */
    private static final int RECORDS = 600_000;
    /** What the broker logs once every partition log is loaded (ReplicaManager). */
    private static final String LOADED = "partition log(s) from";
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("ready-during-recovery").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void readinessIsFalseWhileALargeLogIsRecoveredAndTrueOnlyAfter() throws Exception {
        broker.assumeLaunchedHere("kills the broker and probes its HTTP port while it recovers");
        String topic = broker.topic("recovering");
        KafkaClients.createTopic(broker.bootstrap(), topic, 1);
        ExternalCommand.Result load = ExternalCommand.kafkaTool(PERF_TEST, "--topic", topic, "--num-records", Integer.toString(RECORDS),
                "--record-size", "100", "--throughput", "-1", "--producer-props", "bootstrap.servers=" + broker.bootstrap(), "acks=1",
                "linger.ms=0", "batch.size=100").dir(broker.dir()).timeout(Duration.ofMinutes(5)).run();
        assertThat(load.succeeded()).as(load.describe()).isTrue();

        broker.kill();
        long mark = broker.logMark();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        URI ready = URI.create("http://127.0.0.1:" + broker.httpPort() + "/q/health/ready");
        URI live = URI.create("http://127.0.0.1:" + broker.httpPort() + "/q/health/live");
        List<String> downWhileLoading = new ArrayList<>();
        List<String> liveWhileLoading = new ArrayList<>();
        List<String> upBeforeLoaded = new ArrayList<>();
        AtomicBoolean polling = new AtomicBoolean(true);
        Thread poller = new Thread(() -> {
            while (polling.get()) {
                try {
                    int status = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    int liveness = http.send(HttpRequest.newBuilder(live).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                    String log = broker.logSince(mark);
                    boolean loading = log.contains("Loading logs in") && !log.contains(LOADED);
                    boolean loaded = log.contains(LOADED);
                    synchronized (downWhileLoading) {
                        if (status == 503 && loading) downWhileLoading.add(java.time.Instant.now().toString());
                        if (liveness == 200 && loading) liveWhileLoading.add(java.time.Instant.now().toString());
                        if (status == 200 && !loaded) upBeforeLoaded.add(java.time.Instant.now().toString());
                    }
                } catch (Exception e) {
                    // not listening yet
                }
                io.runnel.e2e.support.Pause.sleep(10);
            }
        }, "readiness-poller");
        poller.start();
        try {
            broker.restart(); // returns once the broker is ready
        } finally {
            polling.set(false);
            poller.join();
        }

        String log = broker.logSince(mark);
        assertThat(log).as("the restart recovered the logs").contains("no clean shutdown marker: recovering").contains(LOADED);
        synchronized (downWhileLoading) {
            assertThat(downWhileLoading).as("503 answers while the logs were being loaded\n%s", broker.logTail(30)).isNotEmpty();
            assertThat(upBeforeLoaded).as("200 answers before the logs were loaded").isEmpty();
            // A kubelet must not kill a broker for recovering: the process answers its liveness probe meanwhile.
            assertThat(liveWhileLoading).as("liveness 200 while the logs were being loaded").isNotEmpty();
        }
        assertThat(KafkaClients.endOffsets(broker.bootstrap(), topic).values()).containsExactly((long) RECORDS);
    }
}
