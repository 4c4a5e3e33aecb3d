package io.runnel.broker.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.protocol.ApiKeys;

import io.micrometer.core.instrument.Counter;
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

    private Counter counter(String name, String topic) {
        return counters.computeIfAbsent(name + '\0' + topic, k -> Counter.builder(name).tag("topic", topic).register(registry));
    }
}
