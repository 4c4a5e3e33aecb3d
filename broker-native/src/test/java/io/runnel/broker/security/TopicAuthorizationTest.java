package io.runnel.broker.security;

import static io.runnel.broker.security.SecuredBroker.allow;
import static io.runnel.broker.security.SecuredBroker.deny;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * Topic ACLs with the Java clients: alice may write and read {@code orders} and is refused on
 * {@code payments}; topics she may not describe are left out of her metadata; DENY beats ALLOW;
 * prefixed patterns; super users pass every check; allow.everyone.if.no.acl.found opens resources
 * that have no ACL at all.
 */
@Timeout(120)
class TopicAuthorizationTest {
    @TempDir
    static Path dir;
    static RunningBroker broker;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of("auto.create.topics.enable", "false")));
        admin = SecuredBroker.admin(broker.bootstrapServers(), "admin");
        admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1), new NewTopic("payments", 1, (short) 1),
                new NewTopic("audit-eu", 1, (short) 1), new NewTopic("audit-us", 1, (short) 1))).all().get();
        grant(allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.WRITE),
                allow("alice", ResourceType.TOPIC, "orders", PatternType.LITERAL, AclOperation.READ),
                allow("bob", ResourceType.TOPIC, "audit-", PatternType.PREFIXED, AclOperation.ALL),
                deny("bob", ResourceType.TOPIC, "audit-us", PatternType.LITERAL, AclOperation.WRITE));
    }

    @AfterAll
    static void stop() {
        admin.close();
        broker.close();
    }

    static void grant(AclBinding... bindings) throws Exception {
        admin.createAcls(List.of(bindings)).all().get();
    }

    @Test
    void aUserWithOrdersAclsProducesAndConsumesThereAndIsRefusedOnPayments() throws Exception {
        try (KafkaProducer<String, String> producer = producer("alice")) {
            producer.send(new ProducerRecord<>("orders", "k", "order-1")).get();
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("payments", "k", "pay-1")).get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaConsumer<String, String> consumer = consumer("alice")) {
            consumer.assign(List.of(new TopicPartition("orders", 0)));
            consumer.seekToBeginning(consumer.assignment());
            var records = consumer.poll(Duration.ofSeconds(10));
            assertThat(records.records("orders")).extracting(r -> r.value()).containsExactly("order-1");
            consumer.assign(List.of(new TopicPartition("payments", 0)));
            consumer.seek(new TopicPartition("payments", 0), 0);
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10))).isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void metadataOfAllTopicsShowsOnlyWhatThePrincipalMayDescribe() throws Exception {
        try (Admin alice = SecuredBroker.admin(broker.bootstrapServers(), "alice");
             Admin bob = SecuredBroker.admin(broker.bootstrapServers(), "bob")) {
            assertThat(alice.listTopics().names().get()).containsExactly("orders");
            assertThat(bob.listTopics().names().get()).containsExactlyInAnyOrder("audit-eu", "audit-us");
            assertThat(admin.listTopics().names().get()).containsAll(Set.of("orders", "payments", "audit-eu", "audit-us"));
            assertThatThrownBy(() -> alice.describeTopics(List.of("payments")).allTopicNames().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            // A topic that does not exist is refused the same way: its absence is not revealed.
            assertThatThrownBy(() -> alice.describeTopics(List.of("no-such-topic")).allTopicNames().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void authorizedOperationsNameWhatThePrincipalMayDo() throws Exception {
        try (Admin alice = SecuredBroker.admin(broker.bootstrapServers(), "alice")) {
            var described = alice.describeTopics(List.of("orders"), new org.apache.kafka.clients.admin.DescribeTopicsOptions()
                    .includeAuthorizedOperations(true)).allTopicNames().get().get("orders");
            // READ and WRITE imply DESCRIBE.
            assertThat(described.authorizedOperations()).containsExactlyInAnyOrder(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE);
            assertThat(alice.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions().includeAuthorizedOperations(true))
                    .authorizedOperations().get()).isEmpty();
            assertThat(admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions().includeAuthorizedOperations(true))
                    .authorizedOperations().get()).contains(AclOperation.ALTER, AclOperation.DESCRIBE, AclOperation.CLUSTER_ACTION);
        }
    }

    @Test
    void denyOverridesAnAllowFromAPrefixedPattern() throws Exception {
        try (KafkaProducer<String, String> producer = producer("bob")) {
            producer.send(new ProducerRecord<>("audit-eu", "k", "v")).get();
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("audit-us", "k", "v")).get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aSuperUserPassesWithoutAnyAcl() throws Exception {
        try (KafkaProducer<String, String> producer = producer("admin")) {
            producer.send(new ProducerRecord<>("payments", "k", "by-admin")).get();
        }
    }

    @Test
    void allowEveryoneIfNoAclFoundOpensOnlyResourcesWithoutAcls(@TempDir Path other) throws Exception {
        try (RunningBroker open = new RunningBroker(other, SecuredBroker.config(other, Map.of("allow.everyone.if.no.acl.found", "true")));
             Admin openAdmin = SecuredBroker.admin(open.bootstrapServers(), "admin")) {
            openAdmin.createTopics(List.of(new NewTopic("free", 1, (short) 1), new NewTopic("guarded", 1, (short) 1))).all().get();
            openAdmin.createAcls(List.of(allow("alice", ResourceType.TOPIC, "guarded", PatternType.LITERAL, AclOperation.WRITE))).all().get();
            Properties props = SecuredBroker.client(open.bootstrapServers(), "bob");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(props))) {
                producer.send(new ProducerRecord<>("free", "k", "v")).get();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("guarded", "k", "v")).get())
                        .hasCauseInstanceOf(TopicAuthorizationException.class);
            }
        }
    }

    static KafkaProducer<String, String> producer(String user) {
        return new KafkaProducer<>(producerProps(SecuredBroker.client(broker.bootstrapServers(), user)));
    }

    static Properties producerProps(Properties props) {
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
        // Idempotence needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic; every user here has one or the other.
        return props;
    }

    static KafkaConsumer<String, String> consumer(String user) {
        Properties props = SecuredBroker.client(broker.bootstrapServers(), user);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(props);
    }
}
