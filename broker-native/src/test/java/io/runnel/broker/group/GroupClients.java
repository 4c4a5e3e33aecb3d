package io.runnel.broker.group;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Real Java kafka-clients set up for quick group tests (classic protocol with short sessions, or KIP-848). Test only. */
final class GroupClients {
    private GroupClients() {}

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    static void createTopic(Admin admin, String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }

    static KafkaConsumer<String, String> consumer(String bootstrap, String group, Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "200");
        // The rebalance timeout: how long a rebalance waits for members that are slow to rejoin.
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "15000");
        p.put(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        p.putAll(extra);
        if ("consumer".equals(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG))) {
            // KIP-848 members get their session and heartbeat interval from the broker; the client refuses these.
            p.remove(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
            p.remove(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG);
        }
        return new KafkaConsumer<>(p);
    }

    /** A KIP-848 ({@code group.protocol=consumer}) member. */
    static KafkaConsumer<String, String> modernConsumer(String bootstrap, String group, Map<String, Object> extra) {
        Map<String, Object> all = new HashMap<>(extra);
        all.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        return consumer(bootstrap, group, all);
    }

    static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
        return consumer(bootstrap, group, Map.of());
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        return new KafkaProducer<>(p);
    }

    /** Sends {@code value-first .. value-(first+count-1)} round-robin over the partitions and waits for every ack. */
    static void produce(KafkaProducer<String, String> producer, String topic, int partitions, int first, int count) throws Exception {
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        for (int i = first; i < first + count; i++) acks.add(producer.send(new ProducerRecord<>(topic, i % partitions, "k" + i, "value-" + i)));
        for (var ack : acks) ack.get();
    }

    /** What the consumers of a test read, per consumer. */
    static final class Reads {
        final Map<KafkaConsumer<String, String>, List<ConsumerRecord<String, String>>> byConsumer = new HashMap<>();

        List<ConsumerRecord<String, String>> of(KafkaConsumer<String, String> c) {
            return byConsumer.computeIfAbsent(c, k -> new ArrayList<>());
        }

        List<ConsumerRecord<String, String>> all() {
            List<ConsumerRecord<String, String>> all = new ArrayList<>();
            byConsumer.values().forEach(all::addAll);
            return all;
        }

        java.util.Set<String> distinctValues() {
            java.util.Set<String> values = new java.util.HashSet<>();
            byConsumer.values().forEach(l -> l.forEach(r -> values.add(r.value())));
            return values;
        }
    }

    /**
     * Polls every consumer in turn (one thread, short polls, so each rejoins rebalances promptly)
     * until {@code done} holds or 60 s pass; commits after each non-empty poll when asked.
     */
    static void pollUntil(List<KafkaConsumer<String, String>> consumers, Reads reads, BooleanSupplier done, boolean commit) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            for (KafkaConsumer<String, String> c : consumers) {
                var records = c.poll(Duration.ofMillis(50));
                records.forEach(reads.of(c)::add);
                if (commit && !records.isEmpty()) c.commitSync();
            }
        }
    }
}
