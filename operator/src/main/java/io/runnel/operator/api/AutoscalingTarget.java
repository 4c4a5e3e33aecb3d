package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Min;

/** What one broker should carry at most; exactly one is set. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class AutoscalingTarget {
    @Min(1)
    @JsonPropertyDescription("Produced bytes per second per broker (runnel_topic_bytes_in_total, summed over the brokers).")
    public Long bytesInPerSecond;

    @Min(1)
    @JsonPropertyDescription("Partition replicas per broker.")
    public Integer partitionReplicas;
}
