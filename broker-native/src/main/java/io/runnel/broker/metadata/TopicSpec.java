package io.runnel.broker.metadata;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.CreateTopicsRequestData;

/**
 * A topic to create, as CreateTopics or auto-creation asks for it. {@code numPartitions} and
 * {@code replicationFactor} of -1 mean the broker defaults; a non-empty {@code assignments} gives
 * the replicas of each partition explicitly.
 */
public record TopicSpec(String name, int numPartitions, short replicationFactor,
                        Map<Integer, List<Integer>> assignments, Map<String, String> configs) {

    public TopicSpec {
        assignments = Map.copyOf(assignments);
        configs = Map.copyOf(configs);
    }

    /** The topic as CreateTopics asks for it. */
    public static TopicSpec fromRequest(CreateTopicsRequestData.CreatableTopic topic) {
        Map<Integer, List<Integer>> assignments = new HashMap<>();
        topic.assignments().forEach(a -> assignments.put(a.partitionIndex(), a.brokerIds()));
        Map<String, String> configs = new HashMap<>();
        topic.configs().forEach(c -> configs.put(c.name(), c.value()));
        return new TopicSpec(topic.name(), topic.numPartitions(), topic.replicationFactor(), assignments, configs);
    }

    /** The inverse of {@link #fromRequest}: how a broker asks the active controller for this topic. */
    public CreateTopicsRequestData.CreatableTopic toRequest() {
        CreateTopicsRequestData.CreatableTopic topic = new CreateTopicsRequestData.CreatableTopic().setName(name)
                .setNumPartitions(numPartitions).setReplicationFactor(replicationFactor);
        assignments.forEach((p, brokers) -> topic.assignments().add(
                new CreateTopicsRequestData.CreatableReplicaAssignment().setPartitionIndex(p).setBrokerIds(brokers)));
        configs.forEach((k, v) -> topic.configs().add(new CreateTopicsRequestData.CreatableTopicConfig().setName(k).setValue(v)));
        return topic;
    }

    public static TopicSpec withDefaults(String name) {
        return new TopicSpec(name, -1, (short) -1, Map.of(), Map.of());
    }
}
