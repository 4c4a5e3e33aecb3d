package io.runnel.operator.resource;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import io.runnel.operator.model.TopicPlan;

/**
 * A cluster's topics through the Kafka Admin API, the same calls kafka-topics makes, on the
 * shared clients of {@link KafkaAdmins}. Stateless; any thread.
 */
@jakarta.inject.Singleton
public final class TopicAdmin {
    @jakarta.inject.Inject
    KafkaAdmins admins;

    /** A topic as the brokers hold it. */
    public record Described(String topicId, TopicPlan.Actual actual) {
    }

    public Optional<Described> describe(String bootstrap, String topic) throws Exception {
        Admin admin = admin(bootstrap);
        TopicDescription d;
        try {
            d = get(admin.describeTopics(List.of(topic)).topicNameValues().get(topic));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) return Optional.empty();
            throw e;
        }
        int rf = d.partitions().isEmpty() ? 0 : d.partitions().get(0).replicas().size();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Collection<ConfigEntry> entries = get(admin.describeConfigs(List.of(resource)).values().get(resource)).entries();
        Map<String, String> dynamic = new TreeMap<>();
        for (ConfigEntry e : entries)
            if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && e.value() != null) dynamic.put(e.name(), e.value());
        return Optional.of(new Described(d.topicId().toString(), new TopicPlan.Actual(d.partitions().size(), rf, dynamic)));
    }

    public void create(String bootstrap, String topic, int partitions, int replicationFactor, Map<String, String> configs) throws Exception {
        get(admin(bootstrap).createTopics(List.of(new NewTopic(topic, partitions, (short) replicationFactor).configs(configs))).all());
    }

    public void growPartitions(String bootstrap, String topic, int partitions) throws Exception {
        get(admin(bootstrap).createPartitions(Map.of(topic, NewPartitions.increaseTo(partitions))).all());
    }

    public void alterConfigs(String bootstrap, String topic, Map<String, String> set, Set<String> reset) throws Exception {
        List<AlterConfigOp> ops = new ArrayList<>();
        set.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        reset.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE)));
        if (ops.isEmpty()) return;
        get(admin(bootstrap).incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops)).all());
    }

    /** Deletes the topic; one already gone counts as deleted. */
    public void delete(String bootstrap, String topic) throws Exception {
        try {
            get(admin(bootstrap).deleteTopics(List.of(topic)).all());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) throw e;
        }
    }

    private Admin admin(String bootstrap) {
        return admins.admin(bootstrap);
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f) throws ExecutionException, InterruptedException, TimeoutException {
        return KafkaAdmins.get(f);
    }
}
