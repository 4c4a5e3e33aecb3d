package io.runnel.broker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One config as DescribeConfigs and CreateTopics (v5+) report it: value, where the value comes
 * from (Kafka's DescribeConfigsResponse.ConfigSource ids), its type, and its synonyms (every place
 * a value could come from, in precedence order; the first is in force), as Kafka lists them.
 */
public record DescribedConfig(String name, String value, byte source, byte type, boolean readOnly,
                              List<EffectiveBrokerConfig.Synonym> synonyms) {
    public static final byte TOPIC_CONFIG = EffectiveBrokerConfig.DYNAMIC_TOPIC_CONFIG;
    public static final byte STATIC_BROKER_CONFIG = EffectiveBrokerConfig.STATIC_BROKER_CONFIG;
    public static final byte DEFAULT_CONFIG = EffectiveBrokerConfig.DEFAULT_CONFIG;

    /** Every topic config of a topic with these overrides, in Kafka's order. */
    public static List<DescribedConfig> ofTopic(Map<String, String> overrides, EffectiveBrokerConfig broker) {
        List<DescribedConfig> configs = new ArrayList<>();
        for (String name : TopicConfigs.names()) {
            TopicConfigs.Definition def = TopicConfigs.definition(name).orElseThrow();
            List<EffectiveBrokerConfig.Synonym> synonyms = new ArrayList<>();
            if (overrides.containsKey(name)) synonyms.add(new EffectiveBrokerConfig.Synonym(name, overrides.get(name), TOPIC_CONFIG));
            if (def.brokerKey() != null) {
                synonyms.addAll(broker.synonyms(def.brokerKey(), def.fixedDefault()));
            } else {
                synonyms.add(new EffectiveBrokerConfig.Synonym(name, def.fixedDefault(), DEFAULT_CONFIG));
            }
            EffectiveBrokerConfig.Synonym inForce = synonyms.isEmpty()
                    ? new EffectiveBrokerConfig.Synonym(name, broker.value(def.brokerKey(), def.fixedDefault()), DEFAULT_CONFIG) : synonyms.get(0);
            configs.add(new DescribedConfig(name, inForce.value(), inForce.source(), def.type().id, false, List.copyOf(synonyms)));
        }
        return configs;
    }

    /**
     * A BROKER resource: for this broker's id, every setting in force (read-only unless it can be
     * changed dynamically); for the cluster default (empty name), only the dynamic defaults, as Kafka.
     */
    public static List<DescribedConfig> ofBroker(EffectiveBrokerConfig broker, boolean clusterDefault) {
        List<DescribedConfig> configs = new ArrayList<>();
        if (clusterDefault) {
            broker.clusterDefaults().forEach((name, value) -> configs.add(new DescribedConfig(name, value,
                    EffectiveBrokerConfig.DYNAMIC_DEFAULT_BROKER_CONFIG, typeOf(name), false,
                    List.of(new EffectiveBrokerConfig.Synonym(name, value, EffectiveBrokerConfig.DYNAMIC_DEFAULT_BROKER_CONFIG)))));
            return configs;
        }
        java.util.Set<String> names = new java.util.TreeSet<>(broker.statics().asKafkaConfigs().keySet());
        names.addAll(broker.clusterDefaults().keySet());
        names.addAll(broker.thisBroker().keySet());
        for (String name : names) {
            List<EffectiveBrokerConfig.Synonym> synonyms = broker.synonyms(name, null);
            EffectiveBrokerConfig.Synonym inForce = synonyms.isEmpty()
                    ? new EffectiveBrokerConfig.Synonym(name, broker.value(name, null), DEFAULT_CONFIG) : synonyms.get(0);
            configs.add(new DescribedConfig(name, inForce.value(), inForce.source(), typeOf(name),
                    TopicConfigs.forBrokerKey(name).isEmpty(), List.copyOf(synonyms)));
        }
        return configs;
    }

    private static byte typeOf(String brokerKey) {
        return TopicConfigs.forBrokerKey(brokerKey).map(d -> d.type().id).orElse(TopicConfigs.Type.STRING.id);
    }
}
