package io.runnel.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Kafka's own {@code org.apache.kafka.tools.VerifiableProducer} (the kafka-tools jar, the tool
 * Kafka's system tests use) running as a separate process for as long as a test wants: it sends
 * the increasing integers 0, 1, 2, ... as record values at a limited rate and prints one JSON line
 * per send outcome. This class keeps what it acknowledged ({@code producer_send_success}: value,
 * partition, offset) and what failed ({@code producer_send_error}).
 *
 * <p>What an acknowledgement means depends on the producer config the caller passes (with
 * {@code acks=-1}: every in-sync replica had the record when the broker answered).
 *
 * <p>Thread-safe: the test thread and a watcher may both ask for the acknowledgements.
 */
public final class VerifiableProducerProcess implements AutoCloseable {
    public static final String MAIN_CLASS = "org.apache.kafka.tools.VerifiableProducer";

    /** One acknowledged send: the broker said {@code value} is at {@code offset} of {@code partition}. */
    public record Ack(int partition, long offset, String value, String key) {}

    /** One send the producer gave up on: the tool's exception class and message. */
    public record SendError(String value, String key, String exception, String message) {}

    private final BackgroundProcess process;
    private final JsonLinesTail output;
    private final List<Ack> acked = new ArrayList<>();
    private final List<SendError> errors = new ArrayList<>();
    private boolean shutdownComplete;
    private Summary summary;

    /** The tool's last line ({@code tool_data}): how many records it sent and how many were acknowledged. */
    public record Summary(long sent, long acked) {}

    private VerifiableProducerProcess(BackgroundProcess process) {
        this.process = process;
        this.output = new JsonLinesTail(process.stdoutFile());
    }

    /**
     * Starts the producer: {@code messagesPerSecond} at most, keys {@code 0..keys-1} in turn (so
     * the default partitioner spreads the records over the partitions), the given producer
     * configs (written to a {@code --command-config} file in {@code dir}).
     */
    public static VerifiableProducerProcess start(String bootstrap, String topic, int messagesPerSecond, int keys,
                                                  Map<String, String> producerConfig, Path dir) {
        Path configFile = writeProperties(dir.resolve("verifiable-producer.properties"), producerConfig);
        List<String> command = new ArrayList<>(List.of(E2eSettings.javaLauncher(), "-Xmx256m", "-Dlog4j2.level=WARN",
                "-cp", E2eSettings.toolsClasspath(), MAIN_CLASS,
                "--bootstrap-server", bootstrap, "--topic", topic, "--max-messages", "-1",
                "--throughput", Integer.toString(messagesPerSecond), "--acks", "-1",
                "--repeating-keys", Integer.toString(keys), "--command-config", configFile.toString()));
        return new VerifiableProducerProcess(BackgroundProcess.start("verifiable-producer", dir, command, Map.of()));
    }

    /** Every acknowledgement so far, in the order the producer printed them. */
    public synchronized List<Ack> acked() {
        readOutput();
        return List.copyOf(acked);
    }

    public synchronized List<SendError> errors() {
        readOutput();
        return List.copyOf(errors);
    }

    public synchronized int ackedCount() {
        readOutput();
        return acked.size();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGTERM: the tool closes its producer, which first waits for every send in flight to be
     * acknowledged or to fail, prints the outcome of each and its {@link #summary}. Returns the
     * exit code (143, as for any JVM ended by SIGTERM, even a clean shutdown).
     */
    public synchronized int stop() {
        int exit = process.stop();
        readOutput();
        return exit;
    }

    /** The tool's closing summary, once it has stopped. */
    public synchronized Optional<Summary> summary() {
        readOutput();
        return Optional.ofNullable(summary);
    }

    /** Whether the tool printed {@code shutdown_complete} (its producer closed with every send answered). */
    public synchronized boolean shutdownComplete() {
        readOutput();
        return shutdownComplete;
    }

    public String describe() {
        return process.describe();
    }

    @Override
    public void close() {
        process.close();
    }

    private void readOutput() {
        for (JsonNode event : output.readNew()) {
            switch (event.path("name").asText()) {
                case "producer_send_success" -> acked.add(new Ack(event.get("partition").asInt(), event.get("offset").asLong(),
                        event.get("value").asText(), event.path("key").asText(null)));
                case "producer_send_error" -> errors.add(new SendError(event.path("value").asText(null), event.path("key").asText(null),
                        event.path("exception").asText(null), event.path("message").asText(null)));
                case "shutdown_complete" -> shutdownComplete = true;
                case "tool_data" -> summary = new Summary(event.get("sent").asLong(), event.get("acked").asLong());
                default -> { } // startup_complete: nothing to keep
            }
        }
    }

    static Path writeProperties(Path file, Map<String, String> properties) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, properties.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("\n", "", "\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
