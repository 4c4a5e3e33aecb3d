package io.runnel.broker.metadata;

import java.util.List;
import java.util.Map;

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

    public static TopicSpec withDefaults(String name) {
        return new TopicSpec(name, -1, (short) -1, Map.of(), Map.of());
    }
}
