package io.runnel.broker.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Kafka's own clients as the cluster suites (and others) use them, and their one way of waiting. Stateless. */
public final class ClusterClients {
    private ClusterClients() {
    }

    static Admin admin(String bootstrap) {
        return admin(bootstrap, Map.of());
    }

    /** An Admin with the client {@code security} settings ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}). */
    static Admin admin(String bootstrap, Map<String, Object> security) {
        Map<String, Object> config = new java.util.HashMap<>(security);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(config);
    }

    /**
     * Every value of {@code topic}, read from the start of each partition without a group, until
     * {@code expected} arrived (60 s hang guard) and a little longer, so duplicates would show.
     */
    public static List<String> readAll(String bootstrap, String topic, int expected) {
        return readAll(bootstrap, topic, expected, "read_uncommitted");
    }

    /** {@link #readAll(String, String, int)} with the consumer's {@code isolation.level}. */
    static List<String> readAll(String bootstrap, String topic, int expected, String isolationLevel) {
        return readAll(bootstrap, topic, expected, isolationLevel, Map.of());
    }

    /** {@link #readAll(String, String, int, String)} with the client {@code security} settings. */
    static List<String> readAll(String bootstrap, String topic, int expected, String isolationLevel, Map<String, Object> security) {
        Properties p = new Properties();
        p.putAll(security);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolationLevel);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) values.add(r.value());
        }
        return values;
    }

    /** Polls {@code condition} every 50 ms; a hang guard of 30 s, never a speed check. */
    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(50);
        }
    }
}
