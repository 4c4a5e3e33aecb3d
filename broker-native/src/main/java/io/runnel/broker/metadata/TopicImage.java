package io.runnel.broker.metadata;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.Uuid;

/** One topic: its id, partitions by index and its config overrides. Immutable. */
public record TopicImage(String name, Uuid id, SortedMap<Integer, PartitionImage> partitions, Map<String, String> configs) {

    public TopicImage {
        partitions = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(partitions));
        configs = Map.copyOf(configs);
    }

    public int partitionCount() {
        return partitions.size();
    }

    public PartitionImage partition(int partitionId) {
        return partitions.get(partitionId);
    }

    public boolean isInternal() {
        return name.startsWith("__");
    }
}
