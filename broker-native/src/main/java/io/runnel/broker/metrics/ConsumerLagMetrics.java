package io.runnel.broker.metrics;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;

import org.apache.kafka.common.TopicPartition;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Consumer-group lag as Prometheus gauges: {@code runnel_consumer_group_lag{group,topic,partition}}
 * (high watermark minus committed offset) and {@code runnel_consumer_group_lag_sum{group}}. The
 * gauges show the last {@link #update}; a group or partition that no longer has a committed offset
 * loses its gauge. Threading: {@link #update} from one thread at a time; scrapes read atomics.
 */
public final class ConsumerLagMetrics {
    private record PartitionKey(String group, TopicPartition partition) {}

    private final MeterRegistry registry;
    private final ConcurrentHashMap<PartitionKey, AtomicLong> partitionLag = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> groupLag = new ConcurrentHashMap<>();
    private final Map<Object, Gauge> gauges = new HashMap<>();

    public ConsumerLagMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Recomputes lag from committed offsets; {@code highWatermark} answers -1 for a partition this
     * broker does not lead, which is then left out.
     */
    public synchronized void update(Map<String, Map<TopicPartition, Long>> committed, ToLongFunction<TopicPartition> highWatermark) {
        Set<Object> seen = new HashSet<>();
        committed.forEach((group, offsets) -> {
            long sum = 0;
            boolean any = false;
            for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                long hw = highWatermark.applyAsLong(e.getKey());
                if (hw < 0) continue;
                long lag = Math.max(0, hw - e.getValue());
                PartitionKey key = new PartitionKey(group, e.getKey());
                partitionLag.computeIfAbsent(key, this::registerPartitionGauge).set(lag);
                seen.add(key);
                sum += lag;
                any = true;
            }
            if (any) {
                groupLag.computeIfAbsent(group, this::registerGroupGauge).set(sum);
                seen.add(group);
            }
        });
        for (Object key : new HashSet<>(gauges.keySet())) {
            if (seen.contains(key)) continue;
            registry.remove(gauges.remove(key));
            if (key instanceof PartitionKey pk) partitionLag.remove(pk); else groupLag.remove((String) key);
        }
    }

    private AtomicLong registerPartitionGauge(PartitionKey key) {
        AtomicLong value = new AtomicLong();
        gauges.put(key, Gauge.builder("runnel.consumer.group.lag", value, AtomicLong::doubleValue)
                .description("Records between a group's committed offset and the partition's high watermark")
                .tags("group", key.group(), "topic", key.partition().topic(), "partition", Integer.toString(key.partition().partition()))
                .register(registry));
        return value;
    }

    private AtomicLong registerGroupGauge(String group) {
        AtomicLong value = new AtomicLong();
        gauges.put(group, Gauge.builder("runnel.consumer.group.lag.sum", value, AtomicLong::doubleValue)
                .description("Total lag of a group over all its partitions").tag("group", group).register(registry));
        return value;
    }
}
