package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * A principal without any ACL (alice) through the Java Admin and producer, against a broker where
 * the super user (admin) made a topic, a group and a transaction: each API answers with the
 * authorization error Kafka gives, and listings show her nothing.
 */
@Timeout(180)
class ApiDenialsTest {
    @TempDir
    static Path dir;
    static RunningBroker broker;
    static Admin admin;
    static Admin alice;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dir, SecuredBroker.config(dir, Map.of()));
        admin = SecuredBroker.admin(broker.bootstrapServers(), "admin");
        alice = SecuredBroker.admin(broker.bootstrapServers(), "alice");
        admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all().get();
        admin.alterConsumerGroupOffsets("billing", Map.of(ORDERS_0, new org.apache.kafka.clients.consumer.OffsetAndMetadata(0))).all().get();
    }

    @AfterAll
    static void stop() {
        alice.close();
        admin.close();
        broker.close();
    }

    static void refused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Class<? extends Throwable> error) {
        assertThatThrownBy(call).hasCauseInstanceOf(error);
    }

    @Test
    void topicAdministrationNeedsTopicAcls() {
        refused(() -> alice.createTopics(List.of(new NewTopic("new-one", 1, (short) 1))).all().get(), TopicAuthorizationException.class);
        refused(() -> alice.deleteTopics(List.of("orders")).all().get(), TopicAuthorizationException.class);
        refused(() -> alice.createPartitions(Map.of("orders", NewPartitions.increaseTo(2))).all().get(), TopicAuthorizationException.class);
        refused(() -> alice.deleteRecords(Map.of(ORDERS_0, RecordsToDelete.beforeOffset(0))).all().get(), TopicAuthorizationException.class);
        refused(() -> alice.listOffsets(Map.of(ORDERS_0, OffsetSpec.latest())).all().get(), TopicAuthorizationException.class);
    }

    @Test
    void configsNeedDescribeConfigsAndAlterConfigsOnTheTopicOrTheCluster() {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "orders");
        ConfigResource brokerOne = new ConfigResource(ConfigResource.Type.BROKER, "1");
        refused(() -> alice.describeConfigs(List.of(topic)).all().get(), TopicAuthorizationException.class);
        refused(() -> alice.describeConfigs(List.of(brokerOne)).all().get(), ClusterAuthorizationException.class);
        refused(() -> alice.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1000"),
                AlterConfigOp.OpType.SET)))).all().get(), TopicAuthorizationException.class);
    }

    @Test
    void clusterApisNeedClusterAcls() {
        refused(() -> alice.describeLogDirs(List.of(1)).allDescriptions().get(), ClusterAuthorizationException.class);
        refused(() -> alice.electLeaders(ElectionType.PREFERRED, Set.of(ORDERS_0)).all().get(), ClusterAuthorizationException.class);
        refused(() -> alice.alterPartitionReassignments(Map.of(ORDERS_0, Optional.of(new NewPartitionReassignment(List.of(1))))).all().get(),
                ClusterAuthorizationException.class);
        refused(() -> alice.listPartitionReassignments().reassignments().get(), ClusterAuthorizationException.class);
        refused(() -> alice.describeUserScramCredentials().all().get(), ClusterAuthorizationException.class);
    }

    @Test
    void groupsAndTransactionsAreRefusedOrLeftOutOfListings() throws Exception {
        assertThat(admin.listGroups().all().get()).isNotEmpty();
        assertThat(alice.listGroups().all().get()).isEmpty();
        refused(() -> alice.describeConsumerGroups(List.of("billing")).all().get(), GroupAuthorizationException.class);
        refused(() -> alice.deleteConsumerGroups(List.of("billing")).all().get(), GroupAuthorizationException.class);
        refused(() -> alice.listConsumerGroupOffsets("billing").partitionsToOffsetAndMetadata().get(), GroupAuthorizationException.class);
        refused(() -> alice.describeTransactions(List.of("tx-1")).all().get(), TransactionalIdAuthorizationException.class);
        assertThat(alice.listTransactions().all().get()).isEmpty();
    }

    @Test
    void anIdempotentProducerWithoutAnyWriteAclIsRefusedAtInitProducerId() throws Exception {
        // bob may describe the topic (so metadata answers) but write nowhere: InitProducerId refuses him.
        admin.createAcls(List.of(SecuredBroker.allow("bob", org.apache.kafka.common.resource.ResourceType.TOPIC, "orders",
                org.apache.kafka.common.resource.PatternType.LITERAL, org.apache.kafka.common.acl.AclOperation.DESCRIBE))).all().get();
        Properties props = SecuredBroker.client(broker.bootstrapServers(), "bob");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("orders", "k", "v")).get())
                    .hasRootCauseInstanceOf(ClusterAuthorizationException.class);
        }
    }
}
