package io.runnel.broker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The broker's settings as in force, Kafka's precedence: a dynamic setting for this broker (set
 * with {@code kafka-configs --entity-type brokers --entity-name N}), else a dynamic cluster-wide
 * default ({@code --entity-default}), else the static setting ({@code runnel.*}), else the default.
 * Topic defaults follow it, so changing {@code log.retention.ms} dynamically changes every topic
 * without an override. Immutable.
 */
public final class EffectiveBrokerConfig {
    /** Kafka's DescribeConfigsResponse.ConfigSource ids. */
    public static final byte DYNAMIC_TOPIC_CONFIG = 1;
    public static final byte DYNAMIC_BROKER_CONFIG = 2;
    public static final byte DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
    public static final byte STATIC_BROKER_CONFIG = 4;
    public static final byte DEFAULT_CONFIG = 5;

    /**
     * Broker keys that have no default of their own in Kafka (their value falls back to an hours or
     * scheduler setting): Kafka lists no DEFAULT_CONFIG synonym for them, and neither do we.
     */
    private static final java.util.Set<String> NO_KAFKA_DEFAULT =
            java.util.Set.of("log.retention.ms", "log.roll.ms", "log.flush.interval.ms", "log.roll.jitter.ms");

    private final BrokerConfig statics;
    private final Map<String, String> staticValues;
    private final Map<String, String> clusterDefaults;
    private final Map<String, String> thisBroker;

    /** One place a value can come from, as DescribeConfigs lists synonyms. */
    public record Synonym(String name, String value, byte source) {}

    public EffectiveBrokerConfig(BrokerConfig statics, Map<String, String> clusterDefaults, Map<String, String> thisBroker) {
        this.statics = statics;
        this.staticValues = statics.asKafkaConfigs();
        this.clusterDefaults = Map.copyOf(clusterDefaults);
        this.thisBroker = Map.copyOf(thisBroker);
    }

    /** Static settings only: no dynamic configs. */
    public static EffectiveBrokerConfig staticOnly(BrokerConfig statics) {
        return new EffectiveBrokerConfig(statics, Map.of(), Map.of());
    }

    public BrokerConfig statics() {
        return statics;
    }

    public Map<String, String> clusterDefaults() {
        return clusterDefaults;
    }

    public Map<String, String> thisBroker() {
        return thisBroker;
    }

    /**
     * Where {@code brokerKey}'s value comes from, in precedence order: the first is in force.
     * {@code fallback} is the built-in default for keys the static config does not know.
     */
    public List<Synonym> synonyms(String brokerKey, String fallback) {
        List<Synonym> out = new ArrayList<>();
        if (thisBroker.containsKey(brokerKey)) out.add(new Synonym(brokerKey, thisBroker.get(brokerKey), DYNAMIC_BROKER_CONFIG));
        if (clusterDefaults.containsKey(brokerKey)) out.add(new Synonym(brokerKey, clusterDefaults.get(brokerKey), DYNAMIC_DEFAULT_BROKER_CONFIG));
        String staticValue = staticValues.get(brokerKey);
        if (staticValue != null && !statics.isDefault(brokerKey, staticValue)) out.add(new Synonym(brokerKey, staticValue, STATIC_BROKER_CONFIG));
        if (!NO_KAFKA_DEFAULT.contains(brokerKey)) out.add(new Synonym(brokerKey, defaultValue(brokerKey, fallback), DEFAULT_CONFIG));
        return out;
    }

    private String defaultValue(String brokerKey, String fallback) {
        String staticValue = staticValues.get(brokerKey);
        return staticValue != null && statics.isDefault(brokerKey, staticValue) ? staticValue
                : BrokerConfig.DEFAULTS.getOrDefault(brokerKey, fallback);
    }

    /** The value in force for {@code brokerKey}. */
    public String value(String brokerKey, String fallback) {
        List<Synonym> synonyms = synonyms(brokerKey, fallback);
        return synonyms.isEmpty() ? defaultValue(brokerKey, fallback) : synonyms.get(0).value();
    }
}
