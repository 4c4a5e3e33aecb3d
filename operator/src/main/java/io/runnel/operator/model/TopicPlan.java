package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.runnel.operator.api.TopicSpec;

/**
 * What to do to make a Kafka topic match its Topic spec, decided from what the brokers hold: create
 * it, add partitions, set and reset configs. What Kafka cannot do (fewer partitions) or what needs
 * a reassignment (another replication factor) is refused, never half-done, and reported as drift.
 * Pure.
 *
 * @param create the topic does not exist: create it with the spec's partitions, RF and configs
 * @param growPartitionsTo the new partition count, or 0 for none
 * @param setConfigs topic configs to set (key → value)
 * @param resetConfigs topic configs set on the brokers but no longer in the spec: back to the default
 * @param refusals changes asked for that will not be made, each a sentence
 */
public record TopicPlan(boolean create, int growPartitionsTo, Map<String, String> setConfigs, Set<String> resetConfigs,
                        List<String> refusals) {

    /** The brokers' view of a topic. */
    public record Actual(int partitions, int replicationFactor, Map<String, String> dynamicConfigs) {
    }

    public static TopicPlan of(TopicSpec spec, Actual actual) {
        if (actual == null) return new TopicPlan(true, 0, new TreeMap<>(spec.config), Set.of(), List.of());
        List<String> refusals = new ArrayList<>();
        int grow = 0;
        if (spec.partitions > actual.partitions()) grow = spec.partitions;
        else if (spec.partitions < actual.partitions())
            refusals.add("partitions cannot shrink from " + actual.partitions() + " to " + spec.partitions + " (Kafka cannot remove partitions)");
        if (spec.replicationFactor != actual.replicationFactor())
            refusals.add("replication factor cannot change from " + actual.replicationFactor() + " to " + spec.replicationFactor
                    + " (needs a partition reassignment, which Topic does not do yet)");
        Map<String, String> set = new TreeMap<>();
        spec.config.forEach((k, v) -> {
            if (!v.equals(actual.dynamicConfigs().get(k))) set.put(k, v);
        });
        Set<String> reset = new TreeSet<>(actual.dynamicConfigs().keySet());
        reset.removeAll(spec.config.keySet());
        return new TopicPlan(false, grow, set, reset, refusals);
    }

    public boolean changesNothing() {
        return !create && growPartitionsTo == 0 && setConfigs.isEmpty() && resetConfigs.isEmpty();
    }
}
