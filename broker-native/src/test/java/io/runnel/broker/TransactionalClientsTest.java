package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions end to end in one broker with the unmodified Java clients: commits and aborts
 * across partitions seen by read_committed and read_uncommitted consumers, offsets committed in a
 * transaction, and a zombie producer fenced. The e2e suites repeat this with other clients, crashes
 * and Kafka Streams.
 */
class TransactionalClientsTest {
    static final String TOPIC = "txn-clients";
    @TempDir
    static Path dataDir;
    static RunningBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dataDir);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1), new NewTopic(TOPIC + "-in", 1, (short) 1), new NewTopic(TOPIC + "-out", 2, (short) 1), new NewTopic(TOPIC + "-late", 2, (short) 1))).all().get();
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    static KafkaProducer<String, String> producer(String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }

    static KafkaConsumer<String, String> consumer(String isolation, String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    static List<String> drain(KafkaConsumer<String, String> consumer, String topic, int expected) {
        consumer.subscribe(List.of(topic));
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        long quietUntil = 0;
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) values.add(r.value());
            if (values.size() >= expected) {
                if (quietUntil == 0) quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // anything beyond is a failure too
                else if (System.nanoTime() > quietUntil) break;
            }
        }
        return values;
    }

    @Test
    void readCommittedSeesExactlyTheCommittedTransactionsAcrossPartitions() {
        List<String> committed = new ArrayList<>();
        try (var producer = producer("txn-commit-abort")) {
            producer.initTransactions();
            for (int t = 0; t < 12; t++) {
                producer.beginTransaction();
                for (int i = 0; i < 6; i++) producer.send(new ProducerRecord<>(TOPIC, i % 3, "k" + i, "t" + t + "-" + i));
                if (t % 3 == 2) {
                    producer.flush(); // else the client drops the unsent batches itself and the broker never sees them
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                    for (int i = 0; i < 6; i++) committed.add("t" + t + "-" + i);
                }
            }
        }
        try (var readCommitted = consumer("read_committed", "rc"); var readUncommitted = consumer("read_uncommitted", "ru")) {
            assertThat(drain(readCommitted, TOPIC, committed.size())).containsExactlyInAnyOrderElementsOf(committed);
            assertThat(drain(readUncommitted, TOPIC, 72)).hasSize(72);
        }
    }

    @Test
    void offsetsSentInATransactionAreCommittedWithItAndAZombieIsFenced() throws Exception {
        try (var seed = new KafkaProducer<String, String>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            for (int i = 0; i < 10; i++) seed.send(new ProducerRecord<>(TOPIC + "-in", "in" + i)).get();
        }
        TopicPartition in = new TopicPartition(TOPIC + "-in", 0);
        try (var first = producer("txn-offsets"); var consumer = consumer("read_committed", "copier")) {
            first.initTransactions();
            first.beginTransaction();
            first.send(new ProducerRecord<>(TOPIC + "-out", 0, "k", "copied"));
            first.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(4)), consumer.groupMetadata());
            first.commitTransaction();
            assertThat(consumer.committed(java.util.Set.of(in)).get(in).offset()).isEqualTo(4);

            first.beginTransaction();
            first.send(new ProducerRecord<>(TOPIC + "-out", 0, "k", "aborted-offsets"));
            first.sendOffsetsToTransaction(Map.of(in, new OffsetAndMetadata(9)), consumer.groupMetadata());
            first.abortTransaction();
            assertThat(consumer.committed(java.util.Set.of(in)).get(in).offset()).as("aborted offsets are dropped").isEqualTo(4);

            first.beginTransaction();
            first.send(new ProducerRecord<>(TOPIC + "-out", 1, "k", "zombie")).get();
            try (var second = producer("txn-offsets")) {
                second.initTransactions(); // bumps the epoch, aborting first's open transaction
                assertThatThrownBy(first::commitTransaction).isInstanceOf(ProducerFencedException.class);
            }
        }
        try (var check = consumer("read_committed", "zombie-check")) {
            assertThat(drain(check, TOPIC + "-out", 1)).containsExactly("copied");
        }
    }

    @Test
    void aTransactionalProduceThatArrivesAfterItsTransactionEndedIsRefusedAndLeavesNothingHanging() throws Exception {
        TopicPartition late = new TopicPartition(TOPIC + "-late", 1);
        long producerId;
        short epoch;
        try (var producer = producer("txn-late")) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(TOPIC + "-late", 0, "k", "on-time")).get();
            producer.abortTransaction();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                var description = admin.describeTransactions(List.of("txn-late")).description("txn-late").get();
                producerId = description.producerId();
                epoch = (short) description.producerEpoch();
            }
        }
        // What a produce delayed past the abort looks like: the transaction's id, producer and epoch, a partition it never added.
        String[] hostPort = broker.bootstrapServers().split(":");
        try (var raw = new io.runnel.broker.protocol.RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
            var batch = org.apache.kafka.common.record.internal.MemoryRecords.withTransactionalRecords(org.apache.kafka.common.compress.Compression.NONE,
                    producerId, epoch, 0, new org.apache.kafka.common.record.internal.SimpleRecord("late".getBytes()));
            var request = new org.apache.kafka.common.message.ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000).setTransactionalId("txn-late");
            var topic = new org.apache.kafka.common.message.ProduceRequestData.TopicProduceData().setName(late.topic());
            topic.partitionData().add(new org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData().setIndex(late.partition()).setRecords(batch));
            request.topicData().add(topic);
            for (short version : new short[] {3, 11}) {
                var response = (org.apache.kafka.common.message.ProduceResponseData) raw.send(org.apache.kafka.common.protocol.ApiKeys.PRODUCE, version, request);
                assertThat(org.apache.kafka.common.protocol.Errors.forCode(response.responses().iterator().next().partitionResponses().get(0).errorCode()))
                        .as("Produce v%d", version)
                        .isEqualTo(version >= 11 ? org.apache.kafka.common.protocol.Errors.TRANSACTION_ABORTABLE
                                : org.apache.kafka.common.protocol.Errors.INVALID_TXN_STATE);
            }
        }
        try (var check = consumer("read_committed", "late-check")) {
            check.assign(List.of(late));
            assertThat(check.endOffsets(List.of(late)).get(late)).as("nothing was appended, so nothing hangs").isZero();
        }
    }
}
