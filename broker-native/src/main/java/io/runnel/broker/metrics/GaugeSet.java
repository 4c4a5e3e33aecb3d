package io.runnel.broker.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * One gauge name with a series per key, for values recomputed periodically (lag, group state):
 * {@link #set} registers a key's series on first use, {@link #retainOnly} removes the series of
 * keys the last recomputation did not see. Threading: the owner serialises {@code set} and
 * {@code retainOnly}; scrapes read atomics.
 */
final class GaugeSet<K> {
    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final Function<K, Tags> tags;
    private final Map<K, AtomicLong> values = new HashMap<>();
    private final Map<K, Gauge> gauges = new HashMap<>();

    GaugeSet(MeterRegistry registry, String name, String description, Function<K, Tags> tags) {
        this.registry = registry;
        this.name = name;
        this.description = description;
        this.tags = tags;
    }

    void set(K key, long value) {
        values.computeIfAbsent(key, k -> {
            AtomicLong holder = new AtomicLong();
            gauges.put(k, Gauge.builder(name, holder, AtomicLong::doubleValue).description(description).tags(tags.apply(k)).register(registry));
            return holder;
        }).set(value);
    }

    void retainOnly(Set<K> seen) {
        for (K key : Set.copyOf(values.keySet())) {
            if (seen.contains(key)) continue;
            values.remove(key);
            registry.remove(gauges.remove(key));
        }
    }
}
