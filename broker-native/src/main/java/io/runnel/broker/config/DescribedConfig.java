package io.runnel.broker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One config as DescribeConfigs and CreateTopics (v5+) report it: value, where the value comes
 * from (Kafka's DescribeConfigsResponse.ConfigSource ids) and its type.
 */
public record DescribedConfig(String name, String value, byte source, byte type, boolean readOnly) {
    public static final byte TOPIC_CONFIG = 1;
    public static final byte STATIC_BROKER_CONFIG = 4;
    public static final byte DEFAULT_CONFIG = 5;

    /** Every topic config of a topic with these overrides, in Kafka's order. */
    public static List<DescribedConfig> ofTopic(Map<String, String> overrides, BrokerConfig broker) {
        List<DescribedConfig> configs = new ArrayList<>();
        Map<String, String> brokerConfigs = broker.asKafkaConfigs();
        for (Map.Entry<String, String> e : TopicConfigs.effective(overrides, broker).entrySet()) {
            TopicConfigs.Definition def = TopicConfigs.definition(e.getKey()).orElseThrow();
            byte source;
            if (overrides.containsKey(e.getKey())) source = TOPIC_CONFIG;
            else if (def.brokerKey() != null && !broker.isDefault(def.brokerKey(), brokerConfigs.get(def.brokerKey()))) source = STATIC_BROKER_CONFIG;
            else source = DEFAULT_CONFIG;
            configs.add(new DescribedConfig(e.getKey(), e.getValue(), source, def.type().id, false));
        }
        return configs;
    }

    /** The broker's static settings. */
    public static List<DescribedConfig> ofBroker(BrokerConfig broker) {
        List<DescribedConfig> configs = new ArrayList<>();
        broker.asKafkaConfigs().forEach((name, value) -> configs.add(new DescribedConfig(name, value,
                broker.isDefault(name, value) ? DEFAULT_CONFIG : STATIC_BROKER_CONFIG, TopicConfigs.Type.STRING.id, true)));
        return configs;
    }
}
