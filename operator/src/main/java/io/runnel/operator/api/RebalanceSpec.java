package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Min;

/** How the operator moves partitions when brokers are added or removed. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class RebalanceSpec {
    @Min(0)
    @JsonPropertyDescription("Replication throttle while partitions move, bytes per second per broker (leader and follower side); 0 moves unthrottled.")
    public long throttleBytesPerSecond = 50L * 1024 * 1024;
}
