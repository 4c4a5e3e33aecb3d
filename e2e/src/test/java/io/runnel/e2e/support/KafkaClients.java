package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Java kafka-clients side of the suites: create topics, and read a whole topic back with
 * {@code assign()} and {@code seekToBeginning()} (no consumer group: the broker has none yet),
 * so every suite can check what the broker actually holds, whichever client wrote it.
 */
public final class KafkaClients {
    /** Hang guard for admin calls and reads; not a speed check. */
    public static final Duration PATIENCE = Duration.ofMinutes(2);

    private KafkaClients() {}

    public static Admin admin(String bootstrap) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "runnel-e2e-admin");
        return Admin.create(props);
    }

    public static void createTopic(String bootstrap, String topic, int partitions) {
        createTopic(bootstrap, topic, partitions, Map.of());
    }

    /** A topic with topic configs ({@code compression.type}, ...) set at creation. */
    public static void createTopic(String bootstrap, String topic, int partitions, Map<String, String> configs) {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all()
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("creating topic " + topic + " on " + bootstrap + " failed", e);
        }
    }

    public static Properties producerProps(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-e2e-producer");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    public static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        return new KafkaProducer<>(producerProps(bootstrap));
    }

    /** An acks=all producer that compresses every batch with {@code codec}. */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrap, CompressionType codec) {
        Properties props = producerProps(bootstrap);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec.name);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props);
    }

    /** Waits for every send to be acknowledged; a failed or unanswered one fails the caller, naming {@code what}. */
    public static void awaitAcks(List<Future<RecordMetadata>> acks, String what) {
        try {
            for (Future<RecordMetadata> ack : acks) ack.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(what + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A transactional producer ({@code transactional.id}, hence idempotent and acks=all) with
     * {@code extra} settings on top, e.g. {@code transaction.timeout.ms}. Call initTransactions().
     */
    public static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrap, String transactionalId,
                                                                      Map<String, String> extra) {
        Properties props = producerProps(bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-e2e-txn-" + transactionalId);
        props.putAll(extra);
        return new KafkaProducer<>(props);
    }

    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return consumer(bootstrap, IsolationLevel.READ_UNCOMMITTED);
    }

    /** A group-less reader at {@code isolation}: read_committed reads up to the last stable offset and drops aborted records. */
    public static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, IsolationLevel isolation) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-e2e-reader");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    /** Every record of every partition, from the log start up to the end offset at call time. */
    public static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(String bootstrap, String topic) {
        return readAll(bootstrap, topic, IsolationLevel.READ_UNCOMMITTED);
    }

    /**
     * As {@link #readAll(String, String)} at {@code isolation}; with read_committed the end is the
     * last stable offset at call time and aborted records are not returned.
     */
    public static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(String bootstrap, String topic,
                                                                             IsolationLevel isolation) {
        return readAll(consumer(bootstrap, isolation), topic);
    }

    /**
     * As {@link #readAll(String, String)} through a listener that needs more than a bootstrap
     * address: {@code settings} (bootstrap, security protocol, SASL, TLS) go over the reader's own.
     */
    public static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(Properties settings, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-e2e-reader");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.putAll(settings);
        return readAll(new KafkaConsumer<byte[], byte[]>(props), topic);
    }

    /** Reads every partition of {@code topic} from its start to its end at call time, then closes {@code reader}. */
    private static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(KafkaConsumer<byte[], byte[]> reader, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = reader) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, PATIENCE).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, PATIENCE);
            Map<Integer, List<ConsumerRecord<byte[], byte[]>>> records = new TreeMap<>();
            partitions.forEach(tp -> records.put(tp.partition(), new ArrayList<>()));
            Instant deadline = Instant.now().plus(PATIENCE);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, PATIENCE) < end.get(tp))) {
                if (Instant.now().isAfter(deadline)) {
                    fail("reading " + topic + " made no progress to the end offsets " + end + "; read so far: "
                            + records.values().stream().mapToInt(List::size).sum());
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(new TopicPartition(topic, record.partition()))) {
                        records.get(record.partition()).add(record);
                    }
                }
            }
            return records;
        }
    }

    public static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
        return endOffsets(bootstrap, topic, IsolationLevel.READ_UNCOMMITTED);
    }

    /** End offsets as a consumer at {@code isolation} sees them: the high watermark, or with read_committed the last stable offset. */
    public static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic, IsolationLevel isolation) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, isolation)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, PATIENCE).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            return consumer.endOffsets(partitions, PATIENCE);
        }
    }
}
