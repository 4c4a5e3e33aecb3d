package io.runnel.e2e.txn;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A consume-transform-produce application with exactly-once semantics (KIP-98 + KIP-447), the
 * way the Kafka docs write one, run by {@link ExactlyOnceKillIT} as its own JVM that the test
 * SIGKILLs and starts again:
 *
 * <ol>
 *   <li>initTransactions() with a fixed transactional.id: fences any earlier incarnation and
 *       aborts its open transaction;</li>
 *   <li>poll a read_committed consumer (group {@code GROUP}, static member, no auto commit);</li>
 *   <li>per poll, one transaction: each input record {@code key -> n} becomes {@code key -> out-n}
 *       on the same partition number of the output topic, then sendOffsetsToTransaction with the
 *       consumer's group metadata, then commit;</li>
 *   <li>pause, so that the test's kills land in the middle of the stream.</li>
 * </ol>
 *
 * <p>Any exception ends the process with exit code 2 and the stack trace on stderr: the test
 * supervises and starts it again, as a deployment would, and the restart resumes from the
 * committed offsets. So the output holds each input's result exactly once only if the broker
 * keeps the transaction's records and offsets atomic across every crash.
 *
 * <p>Arguments: BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID RECORDS_PER_TXN PAUSE_MS.
 */
public final class ExactlyOnceCopyApp {
    private ExactlyOnceCopyApp() {}

    public static void main(String[] args) {
        if (args.length != 7) {
            System.err.println("usage: BOOTSTRAP INPUT OUTPUT GROUP TRANSACTIONAL_ID RECORDS_PER_TXN PAUSE_MS");
            System.exit(1);
        }
        String bootstrap = args[0];
        String input = args[1];
        String output = args[2];
        String group = args[3];
        String transactionalId = args[4];
        int recordsPerTxn = Integer.parseInt(args[5]);
        long pauseMs = Long.parseLong(args[6]);
        try {
            run(bootstrap, input, output, group, transactionalId, recordsPerTxn, pauseMs);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(2);
        }
    }

    private static void run(String bootstrap, String input, String output, String group, String transactionalId,
                            int recordsPerTxn, long pauseMs) throws InterruptedException {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(bootstrap, group, transactionalId, recordsPerTxn));
             KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(bootstrap, transactionalId))) {
            producer.initTransactions();
            consumer.subscribe(List.of(input));
            System.out.println("started");
            long transactions = 0;
            while (true) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) continue;
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                for (ConsumerRecord<String, String> record : records) {
                    producer.send(new ProducerRecord<>(output, record.partition(), record.key(), "out-" + record.value()));
                    next.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
                }
                producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
                producer.commitTransaction();
                transactions++;
                System.out.println("committed transaction " + transactions + " of " + records.count() + " records");
                Thread.sleep(pauseMs);
            }
        }
    }

    private static Properties consumerProps(String bootstrap, String group, String instanceId, int maxPollRecords) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        // Static membership: a restarted incarnation takes its predecessor's place at once instead
        // of waiting out the dead one's session.
        props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return props;
    }

    private static Properties producerProps(String bootstrap, String transactionalId) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        // Short enough that a transaction a killed incarnation left open on a restarted broker is
        // aborted soon; long enough for a commit across a broker restart.
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "20000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return props;
    }
}
