package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The records every client round trip writes, {@code "key-i" -> "value-i"} for i in [0, count),
 * and the one check they all end with: read from offset 0, each partition holds offsets
 * 0, 1, 2... with its records in the order they were sent, and every record is there exactly once.
 */
public final class KeyedRecords {
    private KeyedRecords() {}

    public static String key(int i) {
        return "key-" + i;
    }

    public static String value(int i) {
        return "value-" + i;
    }

    /** Checks the replay and returns how many partitions received records. */
    public static int assertCompleteReplay(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition, int count) {
        Map<Integer, Integer> seenIn = new HashMap<>();
        byPartition.forEach((partition, records) -> {
            int previous = -1;
            for (int position = 0; position < records.size(); position++) {
                ConsumerRecord<byte[], byte[]> record = records.get(position);
                String key = new String(record.key(), StandardCharsets.UTF_8);
                String value = new String(record.value(), StandardCharsets.UTF_8);
                assertThat(record.offset()).as("offset of record %d in partition %d", position, partition).isEqualTo(position);
                assertThat(value).as("value at %d/%d", partition, record.offset()).startsWith("value-");
                int index = Integer.parseInt(value.substring("value-".length()));
                assertThat(key).as("key at %d/%d", partition, record.offset()).isEqualTo(key(index));
                assertThat(index).as("partition %d: order of sends at offset %d", partition, record.offset()).isGreaterThan(previous);
                assertThat(seenIn.put(index, partition)).as("value-%d read more than once", index).isNull();
                previous = index;
            }
        });
        assertThat(seenIn).as("records read back").hasSize(count);
        return (int) seenIn.values().stream().distinct().count();
    }

    /** partition -> "offset key value" lines of the non-empty partitions, to compare two reads of one log. */
    public static Map<Integer, List<String>> summary(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition) {
        Map<Integer, List<String>> summary = new TreeMap<>();
        byPartition.forEach((partition, records) -> {
            if (records.isEmpty()) return;
            summary.put(partition, records.stream().map(r -> r.offset() + " " + text(r.key()) + " " + text(r.value())).toList());
        });
        return summary;
    }

    private static String text(byte[] bytes) {
        return bytes == null ? "null" : new String(bytes, StandardCharsets.UTF_8);
    }
}
