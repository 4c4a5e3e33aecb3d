package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.TopicRead.Entry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.record.internal.CompressionType;

/**
 * The clients the compression suite drives, each with its own implementation of the codecs: Java
 * kafka-clients (in this JVM), librdkafka through kcat and through confluent-kafka, kafka-python
 * and kafkajs (the {@code compression_*.py} and {@code compression.js} scripts under e2e/clients).
 *
 * <p>Each can {@link #produce} records, compressed with a given codec, to one partition of several
 * topics, in chunks that leave as separate batches (the Java and script producers flush after each
 * chunk; kcat caps its batches at a chunk with {@code batch.num.messages} and lingers long enough
 * to fill them: librdkafka sends a batch uncompressed when compressing would not shrink it, as with
 * a batch of one short record), and {@link #read} whole
 * topics from offset 0 without a consumer group. Keys and values are text without tabs or
 * newlines (the external clients take and give them as tab-separated lines).
 *
 * <p>A client that fails (exit code, an error in its output, an exception) fails the caller with
 * the client's own story; nothing is retried.
 */
public enum CodecClient {
    JAVA("java"),
    KCAT("kcat"),
    CONFLUENT_KAFKA("confluent-kafka"),
    KAFKA_PYTHON("kafka-python"),
    KAFKAJS("kafkajs");

    /** The client's name in test names and record keys. */
    public final String label;

    CodecClient(String label) {
        this.label = label;
    }

    /**
     * Sends {@code records} (their offsets are ignored: the broker assigns them) in order to
     * {@code partition} of each topic, compressed with that topic's codec, acks=all, {@code chunk}
     * records to a batch at most; returns when every send is acknowledged.
     */
    public void produce(BrokerProcess broker, List<Entry> records, int chunk, int partition,
                        Map<String, CompressionType> codecByTopic) {
        switch (this) {
            case JAVA -> codecByTopic.forEach((topic, codec) -> produceJava(broker.bootstrap(), records, chunk, partition, topic, codec));
            case KCAT -> {
                Path input = inputFile(broker, records);
                codecByTopic.forEach((topic, codec) -> assertKcatOk(ExternalCommand.of("kcat", "-b", broker.bootstrap(),
                                "-t", topic, "-p", Integer.toString(partition), "-P", "-K", "\t", "-z", codec.name,
                                "-X", "acks=all", "-X", "batch.num.messages=" + chunk, "-X", "linger.ms=100")
                        .name("kcat-produce-" + codec.name).dir(broker.dir()).stdin(input).run()));
            }
            default -> ClientScripts.assertOk(runScript(broker, produceArguments(broker, records, chunk, partition, codecByTopic)));
        }
    }

    /** Everything in {@code topics}, every partition from offset 0 to its end, as this client delivers it. */
    public TopicRead read(BrokerProcess broker, List<String> topics) {
        TopicRead read = new TopicRead();
        switch (this) {
            case JAVA -> topics.forEach(topic -> read.addJava(topic, KafkaClients.readAll(broker.bootstrap(), topic)));
            case KCAT -> topics.forEach(topic -> read.addLines(assertKcatOk(ExternalCommand.of("kcat", "-b", broker.bootstrap(),
                            "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%t\t%p\t%o\t%k\t%s\n")
                    .name("kcat-consume").dir(broker.dir()).run()).stdout()));
            default -> {
                List<String> arguments = new ArrayList<>(List.of("consume", broker.bootstrap()));
                arguments.addAll(topics);
                ExternalCommand.Result result = runScript(broker, arguments);
                ClientScripts.assertOk(result);
                read.addLines(result.stdout());
            }
        }
        return read;
    }

    private static void produceJava(String bootstrap, List<Entry> records, int chunk, int partition, String topic,
                                    CompressionType codec) {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, codec)) {
            for (int from = 0; from < records.size(); from += chunk) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (Entry r : records.subList(from, Math.min(records.size(), from + chunk))) {
                    acks.add(producer.send(new ProducerRecord<>(topic, partition,
                            r.key().getBytes(StandardCharsets.UTF_8), r.value().getBytes(StandardCharsets.UTF_8))));
                }
                producer.flush();
                KafkaClients.awaitAcks(acks, "Java producer, " + codec.name + " to " + topic + "-" + partition);
            }
        }
    }

    private List<String> produceArguments(BrokerProcess broker, List<Entry> records, int chunk, int partition,
                                          Map<String, CompressionType> codecByTopic) {
        List<String> arguments = new ArrayList<>(List.of("produce", broker.bootstrap(), inputFile(broker, records).toString(),
                Integer.toString(chunk), Integer.toString(partition)));
        codecByTopic.forEach((topic, codec) -> arguments.add(topic + "=" + codec.name));
        return arguments;
    }

    private ExternalCommand.Result runScript(BrokerProcess broker, List<String> arguments) {
        String[] args = arguments.toArray(String[]::new);
        return switch (this) {
            case CONFLUENT_KAFKA -> ClientScripts.python(broker, "compression_confluent_kafka.py", args);
            case KAFKA_PYTHON -> ClientScripts.python(broker, "compression_kafka_python.py", args);
            case KAFKAJS -> ClientScripts.node(broker, "compression.js", args);
            case JAVA, KCAT -> throw new IllegalStateException(label + " runs no script");
        };
    }

    /** kcat reports problems on stderr ("% ERROR: ..."); a clean run has none. */
    private static ExternalCommand.Result assertKcatOk(ExternalCommand.Result result) {
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        assertThat(result.stderr()).as(result.describe()).doesNotContainIgnoringCase("error");
        return result;
    }

    /** The records as "key<TAB>value" lines, in a fresh file in the test's directory. */
    private Path inputFile(BrokerProcess broker, List<Entry> records) {
        try {
            Path file = Files.createTempFile(broker.dir(), "input-" + label + "-", ".tsv");
            return Files.write(file, records.stream().map(r -> r.key() + "\t" + r.value()).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
