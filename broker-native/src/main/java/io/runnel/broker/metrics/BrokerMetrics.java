package io.runnel.broker.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The broker's Micrometer meters: requests and their latency per API, bytes and records in/out per
 * topic, open connections. Meters are created once and cached; recording is lock-free, so any
 * thread may record. Names follow Prometheus conventions under {@code runnel_}.
 */
public final class BrokerMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<ApiKeys, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<TopicPartition, Gauge> logSizeGauges = new ConcurrentHashMap<>();

    public BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("runnel.network.connections", connections);
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void recordRequest(ApiKeys api, long latencyNanos) {
        requestTimers.computeIfAbsent(api, k -> Timer.builder("runnel.request.latency")
                .description("Time from a request's arrival to its response being queued")
                .tag("api", k.name).register(registry)).record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    public void bytesIn(String topic, long bytes, long records) {
        counter("runnel.topic.bytes.in", topic).increment(bytes);
        counter("runnel.topic.records.in", topic).increment(records);
    }

    public void bytesOut(String topic, long bytes) {
        counter("runnel.topic.bytes.out", topic).increment(bytes);
    }

    /** Publishes a partition's log size, read through {@code sizeBytes} at scrape time. */
    public void partitionOpened(TopicPartition tp, LongSupplier sizeBytes) {
        Gauge gauge = Gauge.builder("runnel.log.size", sizeBytes, s -> (double) s.getAsLong()).baseUnit("bytes")
                .description("Size of a partition's log segments on disk")
                .tags("topic", tp.topic(), "partition", Integer.toString(tp.partition())).register(registry);
        Gauge previous = logSizeGauges.put(tp, gauge);
        if (previous != null && previous != gauge) registry.remove(previous);
    }

    public void partitionClosed(TopicPartition tp) {
        Gauge gauge = logSizeGauges.remove(tp);
        if (gauge != null) registry.remove(gauge);
    }

    /** One installed log-cleaner pass: what it read and kept, and how long it took. */
    public void cleanerPass(long bytesRead, long bytesWritten, long recordsRemoved, long durationNanos) {
        cleanerCounter("runnel.log.cleaner.passes", "Cleaning passes installed").increment();
        cleanerCounter("runnel.log.cleaner.bytes.read", "Bytes the cleaner read from segments it rewrote").increment(bytesRead);
        cleanerCounter("runnel.log.cleaner.bytes.written", "Bytes of the cleaned segments it wrote").increment(bytesWritten);
        cleanerCounter("runnel.log.cleaner.records.removed", "Superseded records and expired tombstones removed").increment(recordsRemoved);
        Timer.builder("runnel.log.cleaner.pass.duration").description("Time to clean one log, from plan to install")
                .register(registry).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Counter cleanerCounter(String name, String description) {
        return counters.computeIfAbsent(name, k -> Counter.builder(name).description(description).register(registry));
    }

    private Counter counter(String name, String topic) {
        return counters.computeIfAbsent(name + '\0' + topic, k -> Counter.builder(name).tag("topic", topic).register(registry));
    }
}
