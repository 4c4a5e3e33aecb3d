package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What one client read of some topics from offset 0: topic, partition, and the records of each
 * partition in the order the client delivered them, so that one check serves every client.
 *
 * <p>External clients report their reads as lines {@code topic<TAB>partition<TAB>offset<TAB>key<TAB>value}
 * (kcat's {@code -f '%t\t%p\t%o\t%k\t%s\n'}, and the compression scripts under e2e/clients print
 * the same), which {@link #addLines} parses; keys and values are text without tabs or newlines.
 */
public final class TopicRead {
    /** One record as a client delivered it. */
    public record Entry(long offset, String key, String value) {}

    private final Map<String, Map<Integer, List<Entry>>> byTopic = new TreeMap<>();

    /**
     * Adds every record line of a client's output; the client's closing "OK ..." line is skipped,
     * anything else that is not a record line fails the calling test.
     */
    public TopicRead addLines(String output) {
        for (String line : output.split("\n")) {
            if (line.isEmpty() || line.startsWith("OK ")) continue;
            String[] fields = line.split("\t", 5);
            assertThat(fields).as("a record line (topic, partition, offset, key, value): %s", line).hasSize(5);
            add(fields[0], Integer.parseInt(fields[1]), new Entry(Long.parseLong(fields[2]), fields[3], fields[4]));
        }
        return this;
    }

    /** Adds what the Java consumer read of one topic ({@link KafkaClients#readAll}). */
    public TopicRead addJava(String topic, Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition) {
        byPartition.forEach((partition, records) ->
                records.forEach(r -> add(topic, partition, new Entry(r.offset(), text(r.key()), text(r.value())))));
        return this;
    }

    /** The records read from one partition, in delivery order; empty if none were. */
    public List<Entry> partition(String topic, int partition) {
        return byTopic.getOrDefault(topic, Map.of()).getOrDefault(partition, List.of());
    }

    /** partition -> records read, of the partitions that delivered any. */
    public Map<Integer, List<Entry>> topic(String topic) {
        Map<Integer, List<Entry>> partitions = new TreeMap<>();
        byTopic.getOrDefault(topic, Map.of()).forEach((p, entries) -> {
            if (!entries.isEmpty()) partitions.put(p, entries);
        });
        return partitions;
    }

    private void add(String topic, int partition, Entry entry) {
        byTopic.computeIfAbsent(topic, t -> new TreeMap<>()).computeIfAbsent(partition, p -> new ArrayList<>()).add(entry);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }
}
