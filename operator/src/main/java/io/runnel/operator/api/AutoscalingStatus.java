package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** What the autoscaler last measured and decided. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class AutoscalingStatus {
    @JsonPropertyDescription("The load over the whole cluster, in the target's unit (bytes per second, or partition replicas).")
    public Double load;

    public Integer desiredReplicas;

    @JsonPropertyDescription("When the operator last changed spec.replicas, RFC 3339.")
    public String lastScaleTime;

    public String message;
}
