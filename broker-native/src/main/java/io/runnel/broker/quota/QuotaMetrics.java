package io.runnel.broker.quota;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The Micrometer meters of quotas and connection limits: per quota bucket (kind, user, client-id)
 * the throttle time given ({@code runnel_quota_throttle_time_ms}: count and sum) and the amount
 * recorded against the quota ({@code runnel_quota_recorded_total}: bytes for produce and fetch,
 * percent-seconds of a thread for request); per listener and reason the connections refused
 * ({@code runnel_connections_refused_total}).
 *
 * <p>Label cardinality is bounded: only buckets under a quota are measured, and after
 * {@link #MAX_BUCKETS} distinct (user, client-id) pairs further ones share the labels
 * {@code user="_other_", client_id="_other_"}. Meters are lock-free; any thread.
 */
public final class QuotaMetrics {
    static final int MAX_BUCKETS = 200;
    static final String OTHER = "_other_";
    private final MeterRegistry registry;
    private final Set<String> buckets = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, DistributionSummary> throttles = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

    public QuotaMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void throttled(String kind, String user, String clientId, int throttleTimeMs) {
        String[] labels = labels(user, clientId);
        throttles.computeIfAbsent(kind + '\0' + labels[0] + '\0' + labels[1], k -> DistributionSummary.builder("runnel.quota.throttle.time")
                .baseUnit("ms").description("Throttle time given to clients over a quota, per quota bucket")
                .tag("kind", kind).tag("user", labels[0]).tag("client_id", labels[1]).register(registry)).record(throttleTimeMs);
    }

    void recorded(String kind, String user, String clientId, double amount) {
        String[] labels = labels(user, clientId);
        counters.computeIfAbsent("rec\0" + kind + '\0' + labels[0] + '\0' + labels[1], k -> Counter.builder("runnel.quota.recorded")
                .description("What was counted against a quota (bytes for produce and fetch, percent-seconds of a thread for request)")
                .tag("kind", kind).tag("user", labels[0]).tag("client_id", labels[1]).register(registry)).increment(amount);
    }

    /** A connection refused on {@code listener}: {@code reason} is one of a fixed set (per_ip, listener, broker, unauthenticated). */
    public void connectionRefused(String listener, String reason) {
        counters.computeIfAbsent("conn\0" + listener + '\0' + reason, k -> Counter.builder("runnel.connections.refused")
                .description("Connections closed at once because a connection limit was reached")
                .tag("listener", listener).tag("reason", reason).register(registry)).increment();
    }

    private String[] labels(String user, String clientId) {
        String bucket = user + '\0' + clientId;
        if (buckets.contains(bucket) || (buckets.size() < MAX_BUCKETS && buckets.add(bucket))) return new String[] {user, clientId};
        return new String[] {OTHER, OTHER};
    }
}
