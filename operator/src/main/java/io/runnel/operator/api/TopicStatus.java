package io.runnel.operator.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** What the brokers hold for a Topic, as the operator last read it, and where it differs from the spec. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class TopicStatus {
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();

    public String topicName;
    public String topicId;
    public Integer partitions;
    public Integer replicationFactor;

    @JsonPropertyDescription("Topic configs set on the brokers (not defaults).")
    public Map<String, String> config = new LinkedHashMap<>();

    @JsonPropertyDescription("Where the brokers differ from the spec and the operator will not or cannot change them.")
    public List<String> drift = new ArrayList<>();
}
