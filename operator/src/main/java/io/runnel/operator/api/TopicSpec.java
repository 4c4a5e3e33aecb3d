package io.runnel.operator.api;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** What a Topic asks for. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class TopicSpec {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @JsonPropertyDescription("Name of the Cluster, in this namespace, that holds the topic.")
    public String cluster;

    @Pattern("^[a-zA-Z0-9._-]{1,249}$")
    @JsonPropertyDescription("Kafka topic name, when it differs from the resource's name (e.g. upper case or underscores).")
    public String topicName;

    @Required
    @Min(1)
    @Max(100000)
    @JsonPropertyDescription("Number of partitions. Can grow, never shrink (Kafka cannot).")
    public int partitions = 1;

    @Required
    @Min(1)
    @Max(32)
    @JsonPropertyDescription("Replicas of each partition. Fixed once the topic exists.")
    public int replicationFactor = 1;

    @JsonPropertyDescription("Topic configs by Kafka key (retention.ms, cleanup.policy, ...). Keys removed here are reset to the broker default.")
    public Map<String, String> config = new LinkedHashMap<>();

    @Default("Delete")
    @JsonPropertyDescription("Delete removes the Kafka topic with the resource; Retain keeps it.")
    public DeletionPolicy deletionPolicy = DeletionPolicy.Delete;

    public enum DeletionPolicy { Delete, Retain }
}
