package io.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic broker configs through the admin client, as {@code kafka-configs --entity-type brokers}
 * uses them: a cluster-wide default and a per-broker value change every topic without an override
 * at once (retention really runs with the new value), DescribeConfigs reports sources and synonyms
 * in Kafka's precedence, bad keys and values are refused, and everything survives a restart.
 */
class DynamicConfigsTest {
    @TempDir
    Path dataDir;

    static ConfigResource topic(String name) {
        return new ConfigResource(ConfigResource.Type.TOPIC, name);
    }

    static final ConfigResource CLUSTER_DEFAULT = new ConfigResource(ConfigResource.Type.BROKER, "");
    static final ConfigResource BROKER_1 = new ConfigResource(ConfigResource.Type.BROKER, "1");

    static void set(Admin admin, ConfigResource resource, String key, String value) throws Exception {
        AlterConfigOp op = value == null ? new AlterConfigOp(new ConfigEntry(key, ""), AlterConfigOp.OpType.DELETE)
                : new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
        admin.incrementalAlterConfigs(Map.of(resource, List.<AlterConfigOp>of(op))).all().get();
    }

    static ConfigEntry describe(Admin admin, ConfigResource resource, String key) throws Exception {
        var configs = admin.describeConfigs(List.of(resource), new DescribeConfigsOptions().includeSynonyms(true)).all().get().get(resource);
        return configs.get(key);
    }

    static List<String> synonyms(ConfigEntry entry) {
        return entry.synonyms().stream().map(s -> s.source() + ":" + s.name() + "=" + s.value()).toList();
    }

    @Test
    void clusterAndBrokerDefaultsChangeTopicsWithoutOverridesAtOnceInKafkasPrecedenceAndSurviveARestart() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("log.retention.ms", "86400000"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("plain", 1, (short) 1),
                    new NewTopic("pinned", 1, (short) 1).configs(Map.of("retention.ms", "5000")))).all().get();

            ConfigEntry initial = describe(admin, topic("plain"), "retention.ms");
            assertThat(initial.value()).isEqualTo("86400000");
            assertThat(initial.source()).isEqualTo(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG);
            // As Kafka: log.retention.ms has no default of its own (it falls back to log.retention.hours), so no DEFAULT_CONFIG synonym.
            assertThat(synonyms(initial)).containsExactly("STATIC_BROKER_CONFIG:log.retention.ms=86400000");

            set(admin, CLUSTER_DEFAULT, "log.retention.ms", "3600000");
            ConfigEntry clusterWide = describe(admin, topic("plain"), "retention.ms");
            assertThat(clusterWide.value()).isEqualTo("3600000");
            assertThat(clusterWide.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
            assertThat(describe(admin, CLUSTER_DEFAULT, "log.retention.ms").value()).isEqualTo("3600000");

            set(admin, BROKER_1, "log.retention.ms", "1000");
            ConfigEntry perBroker = describe(admin, topic("plain"), "retention.ms");
            assertThat(perBroker.value()).isEqualTo("1000");
            assertThat(synonyms(perBroker)).containsExactly("DYNAMIC_BROKER_CONFIG:log.retention.ms=1000",
                    "DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000", "STATIC_BROKER_CONFIG:log.retention.ms=86400000");
            assertThat(synonyms(describe(admin, topic("plain"), "segment.bytes"))).containsExactly("DEFAULT_CONFIG:log.segment.bytes=1073741824");
            ConfigEntry pinned = describe(admin, topic("pinned"), "retention.ms");
            assertThat(pinned.value()).as("a topic override wins").isEqualTo("5000");
            assertThat(pinned.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            ConfigEntry brokerView = describe(admin, BROKER_1, "log.retention.ms");
            assertThat(brokerView.value()).isEqualTo("1000");
            assertThat(brokerView.isReadOnly()).isFalse();
            assertThat(describe(admin, BROKER_1, "num.io.threads").isReadOnly()).isTrue();

            // Applied without a restart: retention with the new 1 s deletes an old segment of "plain".
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    broker.bootstrapServers(), ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
                long old = System.currentTimeMillis() - 60_000;
                for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>("plain", 0, old, "k", "old-" + i)).get();
            }
            var partition = broker.broker().replicaManager().partition(new TopicPartition("plain", 0));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (partition.logStartOffset() < 3 && System.nanoTime() < deadline) {
                broker.broker().replicaManager().runRetention();
                Thread.sleep(100);
            }
            assertThat(partition.logStartOffset()).as("records older than the dynamic retention.ms are gone").isEqualTo(3);

            // Bad input: a key that cannot change at run time, a bad value; nothing changes.
            assertThatThrownBy(() -> set(admin, CLUSTER_DEFAULT, "num.io.threads", "4"))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> set(admin, CLUSTER_DEFAULT, "log.retention.ms", "soon"))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(InvalidConfigurationException.class);
            assertThat(describe(admin, CLUSTER_DEFAULT, "log.retention.ms").value()).isEqualTo("3600000");
        }
        try (RunningBroker again = new RunningBroker(dataDir, Map.of("log.retention.ms", "86400000"));
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, again.bootstrapServers()))) {
            assertThat(describe(admin, topic("plain"), "retention.ms").value()).as("persisted in the metadata log").isEqualTo("1000");
            set(admin, BROKER_1, "log.retention.ms", null);
            set(admin, CLUSTER_DEFAULT, "log.retention.ms", null);
            assertThat(describe(admin, topic("plain"), "retention.ms").value()).isEqualTo("86400000");
            Collection<ConfigEntry> defaults = admin.describeConfigs(List.of(CLUSTER_DEFAULT)).all().get().get(CLUSTER_DEFAULT).entries();
            assertThat(defaults).isEmpty();
        }
    }
}
