package io.runnel.e2e.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.KafkaClients;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ACL enforcement seen by unmodified Java clients, the same against Runnel and Apache Kafka 4.4
 * ({@code -Drunnel.e2e.broker=kafka}): with {@code allow.everyone.if.no.acl.found=true} and no
 * super user, the PLAINTEXT principal (User:ANONYMOUS) may do whatever no ACL governs, and DENY
 * ACLs on {@code secret-*} topics and the group {@code locked} refuse it there — producing,
 * consuming, describing (such topics vanish from listings), deleting, configs and group use — with
 * the errors Kafka gives; creating or deleting one still passes on CREATE / DELETE for the cluster, as in Kafka.
 */
class AclEnforcementIT {
    private static BrokerProcess broker;
    private static String secret;
    private static String open;

    @BeforeAll
    static void start() throws Exception {
        broker = BrokerProcess.builder("acl-enforcement")
                .config("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .config("allow.everyone.if.no.acl.found", "true")
                .start();
        secret = "secret-" + broker.topic("t");
        open = broker.topic("open");
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.createTopics(List.of(new NewTopic(secret, 1, (short) 1), new NewTopic(open, 1, (short) 1))).all().get();
            admin.createAcls(List.of(
                    deny(new ResourcePattern(ResourceType.TOPIC, "secret-", PatternType.PREFIXED)),
                    deny(new ResourcePattern(ResourceType.GROUP, "locked", PatternType.LITERAL)),
                    deny(new ResourcePattern(ResourceType.TRANSACTIONAL_ID, "locked-", PatternType.PREFIXED)))).all().get();
            Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
            while (admin.describeAcls(AclBindingFilter.ANY).values().get().size() < 3 && Instant.now().isBefore(deadline)) Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
    }

    static AclBinding deny(ResourcePattern pattern) {
        return new AclBinding(pattern, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.DENY));
    }

    @Test
    void produceAndConsumeAreRefusedOnDeniedTopicsOnly() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            producer.send(new ProducerRecord<>(open, "ok".getBytes())).get();
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(secret, "no".getBytes())).get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(broker.bootstrap())) {
            consumer.assign(List.of(new TopicPartition(secret, 0)));
            consumer.seek(new TopicPartition(secret, 0), 0);
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10))).isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void deniedTopicsVanishFromListingsAndAreRefusedToAdminCalls() {
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            assertThat(admin.listTopics().names().get()).contains(open).doesNotContain(secret);
            assertThatThrownBy(() -> admin.describeTopics(List.of(secret)).allTopicNames().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, secret))).all().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            // CREATE on the cluster (no ACL there: allowed) covers any topic, as in Kafka; but the new topic's configs are
            // DESCRIBE_CONFIGS on the topic, which the DENY refuses.
            String created = "secret-" + broker.topic("new");
            var result = admin.createTopics(List.of(new NewTopic(created, 1, (short) 1)));
            result.all().get();
            assertThatThrownBy(() -> result.config(created).get()).hasCauseInstanceOf(TopicAuthorizationException.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void deleteOnTheClusterCoversADeniedTopicAsInKafka() throws Exception {
        // No ACL on the cluster, so DELETE there is allowed (allow.everyone.if.no.acl.found), and Kafka lets that delete any topic.
        String doomed = "secret-" + broker.topic("doomed");
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.createTopics(List.of(new NewTopic(doomed, 1, (short) 1))).all().get();
            admin.deleteTopics(List.of(doomed)).all().get();
        }
    }

    @Test
    void partitionLevelAdminCallsOnADeniedTopicAreRefusedAndItsOffsetsWithheld() throws Exception {
        TopicPartition secret0 = new TopicPartition(secret, 0);
        TopicPartition open0 = new TopicPartition(open, 0);
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            assertThatThrownBy(() -> admin.listOffsets(Map.of(secret0, org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> admin.deleteRecords(Map.of(secret0, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(0))).all().get())
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThatThrownBy(() -> admin.describeProducers(List.of(secret0)).all().get()).hasCauseInstanceOf(TopicAuthorizationException.class);
            // OffsetCommit answers per partition: the open topic's offset is stored, the secret one's refused.
            String group = broker.topic("committer");
            var commit = admin.alterConsumerGroupOffsets(group, Map.of(open0, new org.apache.kafka.clients.consumer.OffsetAndMetadata(0),
                    secret0, new org.apache.kafka.clients.consumer.OffsetAndMetadata(0)));
            commit.partitionResult(open0).get();
            assertThatThrownBy(() -> commit.partitionResult(secret0).get()).hasCauseInstanceOf(TopicAuthorizationException.class);
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()).containsOnlyKeys(open0);
        }
    }

    @Test
    void aTransactionalProducerWithADeniedTransactionalIdIsRefused() {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.transactionalProducer(broker.bootstrap(), "locked-" + broker.topic("tx"),
                Map.of("max.block.ms", "15000"))) {
            assertThatThrownBy(producer::initTransactions).isInstanceOf(org.apache.kafka.common.errors.TransactionalIdAuthorizationException.class);
        }
    }

    @Test
    void aConsumerInADeniedGroupIsRefused() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "locked");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(open));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(15))).isInstanceOf(GroupAuthorizationException.class);
        }
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            assertThatThrownBy(() -> admin.describeConsumerGroups(List.of("locked")).all().get())
                    .hasCauseInstanceOf(GroupAuthorizationException.class);
            assertThatThrownBy(() -> admin.listConsumerGroupOffsets("locked").partitionsToOffsetAndMetadata().get())
                    .hasCauseInstanceOf(GroupAuthorizationException.class);
        }
    }
}
