package io.runnel.operator.model;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which of {@code spec.config} the brokers take without a restart: the settings that are defaults of
 * topic configs (log.retention.ms, min.insync.replicas, ...) and the replication throttle rates,
 * exactly the keys a Runnel broker accepts as cluster-wide dynamic defaults ({@code kafka-configs
 * --entity-type brokers --entity-default}). They are applied that way and kept out of the
 * ConfigMap, so that changing one restarts nothing and removing one restores the broker's default.
 * Every other key is static: it goes to the ConfigMap and a change rolls the brokers. Pure.
 */
public final class DynamicBrokerConfigs {
    /** Kept in step with the broker's list (TopicConfigs' broker keys) in a resource file that an e2e test also reads. */
    public static final Set<String> KEYS = load("dynamic-broker-configs.txt");

    /** Set by the operator while it moves partitions; not the spec's to remove unless the spec sets them. */
    public static final Set<String> THROTTLE_RATES = Set.of("leader.replication.throttled.rate", "follower.replication.throttled.rate");

    private DynamicBrokerConfigs() {
    }

    private static Set<String> load(String resource) {
        try (var in = DynamicBrokerConfigs.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(java.util.stream.Collectors.toUnmodifiableSet());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public static boolean isDynamic(String key) {
        return KEYS.contains(key);
    }

    public static Map<String, String> dynamicPart(Map<String, String> config) {
        Map<String, String> d = new TreeMap<>();
        config.forEach((k, v) -> {
            if (isDynamic(k)) d.put(k, v);
        });
        return d;
    }

    public static Map<String, String> staticPart(Map<String, String> config) {
        Map<String, String> s = new TreeMap<>();
        config.forEach((k, v) -> {
            if (!isDynamic(k)) s.put(k, v);
        });
        return s;
    }

    /** What to set and what to remove so that the cluster-wide defaults match the spec. */
    public record Changes(Map<String, String> set, Set<String> remove) {
        public boolean isEmpty() {
            return set.isEmpty() && remove.isEmpty();
        }
    }

    /**
     * @param spec    spec.config
     * @param applied the cluster-wide dynamic defaults the brokers hold now
     * @param throttling whether the operator is moving partitions (then the throttle rates are its own)
     */
    public static Changes changes(Map<String, String> spec, Map<String, String> applied, boolean throttling) {
        Map<String, String> wanted = dynamicPart(spec);
        Map<String, String> set = new TreeMap<>();
        wanted.forEach((k, v) -> {
            if (!v.equals(applied.get(k))) set.put(k, v);
        });
        Set<String> remove = new TreeSet<>();
        for (String k : applied.keySet()) {
            if (wanted.containsKey(k)) continue;
            if (THROTTLE_RATES.contains(k) && throttling) continue;
            if (isDynamic(k)) remove.add(k);
        }
        return new Changes(set, remove);
    }
}
