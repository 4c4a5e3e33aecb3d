package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Min;

/** How the operator restarts brokers for a new pod template (image, static config, resources). */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class RolloutSpec {
    @Min(0)
    @JsonPropertyDescription("Seconds every broker must have been Ready, with no partition under-replicated, before the next restart.")
    public int settleSeconds = 30;
}
