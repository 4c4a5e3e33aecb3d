package io.runnel.broker.metrics;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

import org.apache.kafka.common.TopicPartition;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Consumer-group lag as Prometheus gauges: {@code runnel_consumer_group_lag{group,topic,partition}}
 * (high watermark minus committed offset) and {@code runnel_consumer_group_lag_sum{group}}. The
 * gauges show the last {@link #update}; a group or partition that no longer has a committed offset
 * loses its gauge. Threading: {@link #update} from one thread at a time; scrapes read atomics.
 */
public final class ConsumerLagMetrics {
    private record PartitionKey(String group, TopicPartition partition) {}

    private final GaugeSet<PartitionKey> partitionLag;
    private final GaugeSet<String> groupLag;

    public ConsumerLagMetrics(MeterRegistry registry) {
        partitionLag = new GaugeSet<>(registry, "runnel.consumer.group.lag",
                "Records between a group's committed offset and the partition's high watermark",
                k -> Tags.of("group", k.group(), "topic", k.partition().topic(), "partition", Integer.toString(k.partition().partition())));
        groupLag = new GaugeSet<>(registry, "runnel.consumer.group.lag.sum", "Total lag of a group over all its partitions",
                group -> Tags.of("group", group));
    }

    /**
     * Recomputes lag from committed offsets; {@code highWatermark} answers -1 for a partition this
     * broker does not lead, which is then left out.
     */
    public synchronized void update(Map<String, Map<TopicPartition, Long>> committed, ToLongFunction<TopicPartition> highWatermark) {
        Set<PartitionKey> seenPartitions = new HashSet<>();
        Set<String> seenGroups = new HashSet<>();
        committed.forEach((group, offsets) -> {
            long sum = 0;
            boolean any = false;
            for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                long hw = highWatermark.applyAsLong(e.getKey());
                if (hw < 0) continue;
                long lag = Math.max(0, hw - e.getValue());
                PartitionKey key = new PartitionKey(group, e.getKey());
                partitionLag.set(key, lag);
                seenPartitions.add(key);
                sum += lag;
                any = true;
            }
            if (any) {
                groupLag.set(group, sum);
                seenGroups.add(group);
            }
        });
        partitionLag.retainOnly(seenPartitions);
        groupLag.retainOnly(seenGroups);
    }
}
