package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/**
 * The operator sizes the cluster itself from the brokers' own load: it sets {@code spec.replicas}
 * between the bounds, like an HPA would through the scale subresource, and the scaling that
 * follows moves the data. Use this or an HPA on the Cluster, not both.
 */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class AutoscalingSpec {
    @Required
    @Min(1)
    @Max(ClusterSpec.MAX_REPLICAS)
    public int minReplicas = 3;

    @Required
    @Min(1)
    @Max(ClusterSpec.MAX_REPLICAS)
    public int maxReplicas = 3;

    @Required
    @JsonPropertyDescription("The load one broker should carry; exactly one of its fields.")
    public AutoscalingTarget target = new AutoscalingTarget();

    @Min(0)
    @JsonPropertyDescription("Seconds after a scale before the next scale up.")
    public int scaleUpCooldownSeconds = 120;

    @Min(0)
    @JsonPropertyDescription("Seconds after a scale before the next scale down; scale-downs go one broker at a time.")
    public int scaleDownCooldownSeconds = 600;
}
