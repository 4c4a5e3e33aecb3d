package io.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** Consumer lag reaches the broker's metrics: per partition and summed per group, and gone with the group. */
class ConsumerLagMetricsTest {
    @TempDir
    Path dataDir;

    @Test
    void lagGaugesFollowCommittedOffsetsAndDisappearWithTheGroup() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("orders", 2, (short) 1))).all().get();
            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
                for (int i = 0; i < 30; i++) producer.send(new ProducerRecord<>("orders", 0, "k", "v"));
                for (int i = 0; i < 20; i++) producer.send(new ProducerRecord<>("orders", 1, "k", "v"));
                producer.flush();
            }
            Properties consumerProps = new Properties();
            consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
            consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "billing");
            consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps)) {
                consumer.commitSync(Map.of(new TopicPartition("orders", 0), new OffsetAndMetadata(10),
                        new TopicPartition("orders", 1), new OffsetAndMetadata(20)));
            }

            broker.running().broker().refreshConsumerLag().get();
            MeterRegistry registry = broker.running().registry();
            assertThat(lag(registry, "billing", "0")).isEqualTo(20);
            assertThat(lag(registry, "billing", "1")).isZero();
            assertThat(registry.get("runnel.consumer.group.lag.sum").tag("group", "billing").gauge().value()).isEqualTo(20);

            admin.deleteConsumerGroups(List.of("billing")).all().get();
            broker.running().broker().refreshConsumerLag().get();
            assertThat(registry.find("runnel.consumer.group.lag").tag("group", "billing").gauges()).isEmpty();
            assertThat(registry.find("runnel.consumer.group.lag.sum").tag("group", "billing").gauges()).isEmpty();
        }
    }

    private static double lag(MeterRegistry registry, String group, String partition) {
        Gauge gauge = registry.get("runnel.consumer.group.lag").tag("group", group).tag("topic", "orders").tag("partition", partition).gauge();
        return gauge.value();
    }
}
