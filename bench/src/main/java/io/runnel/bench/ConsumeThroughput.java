package io.runnel.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Consume throughput without a consumer group: {@code assign()} every partition of a topic,
 * {@code seekToBeginning}, then read {@code records} records as fast as one KafkaConsumer can.
 *
 * <p>Why not Kafka's ConsumerPerformance: it always subscribes with a group, and Runnel has no
 * consumer groups yet (issue 3). This tool uses the consumer's default fetch settings, as
 * ConsumerPerformance does. The clock starts just before the first poll (after assign and seek, so
 * metadata and connection setup are excluded) and stops when the last expected record arrives.
 *
 * <p>Usage: {@code ConsumeThroughput <bootstrap> <topic> <records> [timeoutSeconds]}. Prints one
 * line: {@code consume-result records=N bytes=B ms=T records_per_s=R mb_per_s=M}.
 */
public final class ConsumeThroughput {
    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: ConsumeThroughput <bootstrap> <topic> <records> [timeoutSeconds]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        long expected = Long.parseLong(args[2]);
        long timeoutNanos = Duration.ofSeconds(args.length > 3 ? Long.parseLong(args[3]) : 600).toNanos();

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-bench-consume");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(60))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (TopicPartition tp : partitions) consumer.position(tp, Duration.ofSeconds(60)); // resolve offsets now

            long records = 0;
            long bytes = 0;
            long start = System.nanoTime();
            long deadline = start + timeoutNanos;
            while (records < expected) {
                if (System.nanoTime() > deadline) {
                    System.err.println("consume-timeout after " + records + " of " + expected + " records");
                    System.exit(1);
                }
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    records++;
                    bytes += record.serializedValueSize() + Math.max(0, record.serializedKeySize());
                }
            }
            long nanos = System.nanoTime() - start;
            double seconds = nanos / 1e9;
            System.out.printf(Locale.ROOT, "consume-result records=%d bytes=%d ms=%.1f records_per_s=%.1f mb_per_s=%.2f%n",
                    records, bytes, nanos / 1e6, records / seconds, bytes / seconds / (1024.0 * 1024.0));
        }
    }
}
