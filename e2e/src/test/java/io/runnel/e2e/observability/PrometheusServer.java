package io.runnel.e2e.observability;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus} server as a separate process on a free loopback port, scraping one
 * target ({@code job="runnel"}) every second with a config this class writes. {@link #query} runs
 * an instant query through the HTTP API ({@code /api/v1/query}) and returns its JSON answer.
 * Timeouts are hang guards. Not thread-safe.
 */
public final class PrometheusServer implements AutoCloseable {
    static final String BINARY = "/usr/bin/prometheus";
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final int port;
    private final Path logFile;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private PrometheusServer(Process process, int port, Path logFile) {
        this.process = process;
        this.port = port;
        this.logFile = logFile;
    }

    /** Starts Prometheus in {@code dir} scraping {@code target} (host:port) at {@code metricsPath}. */
    public static PrometheusServer start(Path dir, String target, String metricsPath) {
        return start(dir, List.of(target), metricsPath);
    }

    /** Starts Prometheus in {@code dir} scraping every target (host:port) at {@code metricsPath}, as one job. */
    public static PrometheusServer start(Path dir, List<String> targets, String metricsPath) {
        return start(dir, targets, metricsPath, java.util.Map.of());
    }

    /** As {@link #start(Path, List, String)}, with {@code labels} on every target (as a PodMonitor's relabeling would add). */
    public static PrometheusServer start(Path dir, List<String> targets, String metricsPath, java.util.Map<String, String> labels) {
        assertThat(Path.of(BINARY)).as("Debian's prometheus package (bin/install-test-deps installs it)").isExecutable();
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      evaluation_interval: 1s
                    scrape_configs:
                      - job_name: runnel
                        metrics_path: %s
                        static_configs:
                          - targets: [%s]
                            labels: {%s}
                    """.formatted(metricsPath, String.join(", ", targets.stream().map(t -> "'" + t + "'").toList()),
                    String.join(", ", labels.entrySet().stream().map(e -> e.getKey() + ": '" + e.getValue() + "'").toList())));
            int port = freePort();
            Path log = dir.resolve("prometheus.log");
            Process process = new ProcessBuilder(BINARY, "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("tsdb"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusServer server = new PrometheusServer(process, port, log);
            server.awaitReady();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code data} of a successful instant query; an error answer fails the caller with Prometheus' message. */
    JsonNode query(String promql) {
        JsonNode answer = queryRaw(promql);
        assertThat(answer.path("status").asText()).as("query %s: %s", promql, answer).isEqualTo("success");
        return answer.path("data");
    }

    /** Prometheus' whole JSON answer to an instant query, whatever its status. */
    public JsonNode queryRaw(String promql) {
        String body = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError("Prometheus answered " + promql + " with something not JSON: " + body, e);
        }
    }

    /** The series of an instant-vector query's result. */
    public List<JsonNode> series(String promql) {
        JsonNode data = query(promql);
        assertThat(data.path("resultType").asText()).as(promql).isEqualTo("vector");
        return List.copyOf(data.path("result").valueStream().toList());
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private String get(String pathAndQuery) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " from Prometheus\n" + logTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (true) {
            assertThat(process.isAlive()).as("prometheus exited\n" + logTail()).isTrue();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready"))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            assertThat(Instant.now()).as("prometheus ready (hang guard)\n" + logTail()).isBefore(deadline);
            sleep(200);
        }
    }


    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(1, TimeUnit.MINUTES)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
