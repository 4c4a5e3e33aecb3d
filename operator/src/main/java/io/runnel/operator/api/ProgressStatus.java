package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Where a long operation (a rebalance, a roll) stands, and why it waits when it does. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ProgressStatus {
    @JsonPropertyDescription("Idle, InProgress, Waiting or Refused.")
    public String phase;

    public String message;

    @JsonPropertyDescription("Partitions being moved (rebalance) or brokers still to restart (rollout).")
    public Integer pending;

    public ProgressStatus() {
    }

    public ProgressStatus(String phase, String message, Integer pending) {
        this.phase = phase;
        this.message = message;
        this.pending = pending;
    }
}
