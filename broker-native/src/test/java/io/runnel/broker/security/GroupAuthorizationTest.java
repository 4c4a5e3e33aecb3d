package io.runnel.broker.security;

import static io.runnel.broker.security.SecuredBroker.allow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * Group and transactional-id ACLs with the Java clients: a consumer needs READ on its group (and
 * on the topic), and is refused with GROUP_AUTHORIZATION_FAILED without it; a transactional
 * producer needs WRITE on its transactional id.
 */
@Timeout(120)
class GroupAuthorizationTest {
    @TempDir
    Path dir;

    @Test
    void aConsumerWithoutGroupReadIsRefusedAndWithItConsumes() throws Exception {
        try (RunningBroker broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()));
             Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin")) {
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get();
            admin.createAcls(List.of(allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ),
                    allow("alice", ResourceType.GROUP, "billing-", PatternType.PREFIXED, AclOperation.READ))).all().get();
            Properties producerProps = SecuredBroker.client(broker.bootstrapServers(), "admin");
            producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
                producer.send(new ProducerRecord<>("orders", "k", "order-1")).get();
            }
            for (String protocol : List.of("classic", "consumer")) {
                try (KafkaConsumer<String, String> refused = consumer(broker, "alice", "shipping", protocol)) {
                    refused.subscribe(List.of("orders"));
                    assertThatThrownBy(() -> refused.poll(Duration.ofSeconds(10))).isInstanceOf(GroupAuthorizationException.class);
                }
                try (KafkaConsumer<String, String> allowed = consumer(broker, "alice", "billing-" + protocol, protocol)) {
                    allowed.subscribe(List.of("orders"));
                    List<String> values = new java.util.ArrayList<>();
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (values.isEmpty() && System.nanoTime() < deadline)
                        allowed.poll(Duration.ofMillis(500)).forEach(r -> values.add(r.value()));
                    assertThat(values).containsExactly("order-1");
                    allowed.commitSync();
                }
            }
        }
    }

    @Test
    void aTransactionalProducerWithoutWriteOnItsTransactionalIdIsRefused() throws Exception {
        try (RunningBroker broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()));
             Admin admin = SecuredBroker.admin(broker.bootstrapServers(), "admin")) {
            admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get();
            admin.createAcls(List.of(allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE),
                    allow("alice", ResourceType.TRANSACTIONAL_ID, "tx-", PatternType.PREFIXED, AclOperation.WRITE),
                    allow("alice", ResourceType.TRANSACTIONAL_ID, "tx-", PatternType.PREFIXED, AclOperation.DESCRIBE))).all().get();
            try (KafkaProducer<String, String> allowed = transactional(broker, "alice", "tx-1")) {
                allowed.initTransactions();
                allowed.beginTransaction();
                allowed.send(new ProducerRecord<>("orders", "k", "v")).get();
                allowed.commitTransaction();
            }
            try (KafkaProducer<String, String> refused = transactional(broker, "alice", "other-1")) {
                assertThatThrownBy(refused::initTransactions).isInstanceOf(TransactionalIdAuthorizationException.class);
            }
        }
    }

    static KafkaConsumer<String, String> consumer(RunningBroker broker, String user, String group, String protocol) {
        Properties props = SecuredBroker.client(broker.bootstrapServers(), user);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }

    static KafkaProducer<String, String> transactional(RunningBroker broker, String user, String transactionalId) {
        Properties props = SecuredBroker.client(broker.bootstrapServers(), user);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "15000");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(props);
    }
}
