package io.runnel.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kafka's own {@code org.apache.kafka.tools.VerifiableConsumer} (the kafka-tools jar) running as a
 * separate process in a consumer group for as long as a test wants, with {@code --verbose}: it
 * prints one JSON line per record it consumed ({@code record_data}: partition, offset, value) and
 * one per change of its assignment ({@code partitions_assigned}, {@code partitions_revoked}). It
 * commits its position after every poll, so after a rebalance it resumes from the last commit
 * and may consume some records again; this class keeps the events in order so a check can tell a
 * redelivery after a rebalance from an offset going back within one assignment.
 *
 * <p>Thread-safe.
 */
public final class VerifiableConsumerProcess implements AutoCloseable {
    public static final String MAIN_CLASS = "org.apache.kafka.tools.VerifiableConsumer";

    /** What the consumer printed, in order. */
    public sealed interface Event permits Consumed, AssignmentChange {}

    /** One record consumed. */
    public record Consumed(int partition, long offset, String value) implements Event {}

    /** The consumer's assignment changed: these partitions were assigned, or revoked. */
    public record AssignmentChange(boolean assigned, List<Integer> partitions) implements Event {}

    private final BackgroundProcess process;
    private final JsonLinesTail output;
    private final List<Event> events = new ArrayList<>();
    private int consumedCount;

    private VerifiableConsumerProcess(BackgroundProcess process) {
        this.process = process;
        this.output = new JsonLinesTail(process.stdoutFile());
    }

    /** Starts the consumer in group {@code groupId}, from the earliest offset, with the given consumer configs. */
    public static VerifiableConsumerProcess start(String bootstrap, String topic, String groupId, Map<String, String> consumerConfig,
                                                  Path dir) {
        Path configFile = VerifiableProducerProcess.writeProperties(dir.resolve("verifiable-consumer.properties"), consumerConfig);
        List<String> command = new ArrayList<>(List.of(E2eSettings.javaLauncher(), "-Xmx256m", "-Dlog4j2.level=WARN",
                "-cp", E2eSettings.toolsClasspath(), MAIN_CLASS,
                "--bootstrap-server", bootstrap, "--topic", topic, "--group-id", groupId, "--max-messages", "-1",
                "--reset-policy", "earliest", "--verbose", "--command-config", configFile.toString()));
        return new VerifiableConsumerProcess(BackgroundProcess.start("verifiable-consumer", dir, command, Map.of()));
    }

    public synchronized List<Event> events() {
        readOutput();
        return List.copyOf(events);
    }

    public synchronized int consumedCount() {
        readOutput();
        return consumedCount;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM: the tool wakes its consumer, commits, leaves the group and exits. Returns the exit code. */
    public synchronized int stop() {
        int exit = process.stop();
        readOutput();
        return exit;
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
                case "record_data" -> {
                    events.add(new Consumed(event.get("partition").asInt(), event.get("offset").asLong(), event.get("value").asText()));
                    consumedCount++;
                }
                case "partitions_assigned" -> events.add(new AssignmentChange(true, partitions(event)));
                case "partitions_revoked" -> events.add(new AssignmentChange(false, partitions(event)));
                default -> { } // records_consumed (a summary of the record_data lines), offsets_committed, startup/shutdown
            }
        }
    }

    private static List<Integer> partitions(JsonNode event) {
        List<Integer> partitions = new ArrayList<>();
        for (JsonNode partition : event.path("partitions")) partitions.add(partition.get("partition").asInt());
        return partitions;
    }
}
