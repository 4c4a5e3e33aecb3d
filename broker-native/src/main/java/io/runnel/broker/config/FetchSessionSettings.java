package io.runnel.broker.config;

import java.util.Map;
import java.util.function.Function;

/**
 * The broker settings of incremental fetch sessions (KIP-227), named and defaulted as Kafka names
 * and defaults them. Immutable; any thread.
 *
 * @param cacheSlots {@code max.incremental.fetch.session.cache.slots}: sessions the broker keeps at once, for all clients
 *                   together; 0 turns sessions off (every fetch is then answered in full)
 * @param evictionMs {@code min.incremental.fetch.session.eviction.ms}: how long a session is safe from being evicted by a
 *                   newer one, measured from its last use (an idle session) or its creation (a busy one)
 */
public record FetchSessionSettings(int cacheSlots, long evictionMs) {
    static final Map<String, String> DEFAULTS = Map.of(
            "max.incremental.fetch.session.cache.slots", "1000",
            "min.incremental.fetch.session.eviction.ms", "120000");

    public FetchSessionSettings {
        if (cacheSlots < 0) throw new IllegalArgumentException("max.incremental.fetch.session.cache.slots must be >= 0");
        if (evictionMs < 0) throw new IllegalArgumentException("min.incremental.fetch.session.eviction.ms must be >= 0");
    }

    static FetchSessionSettings from(Function<String, String> get) {
        return new FetchSessionSettings(Integer.parseInt(get.apply("max.incremental.fetch.session.cache.slots")),
                Long.parseLong(get.apply("min.incremental.fetch.session.eviction.ms")));
    }

    void putKafkaConfigs(Map<String, String> m) {
        m.put("max.incremental.fetch.session.cache.slots", Integer.toString(cacheSlots));
        m.put("min.incremental.fetch.session.eviction.ms", Long.toString(evictionMs));
    }
}
