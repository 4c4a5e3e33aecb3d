package io.runnel.operator.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

/** What the operator last saw of a Cluster; written only by the operator. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ClusterStatus {
    public Long observedGeneration;

    @JsonPropertyDescription("Ready, Reconciling and Degraded, Kubernetes-style.")
    public List<Condition> conditions = new ArrayList<>();

    @StatusReplicas
    public Integer replicas;

    public Integer readyReplicas;

    @LabelSelector
    @JsonPropertyDescription("Selector of the broker pods, for the scale subresource (HPA).")
    public String labelSelector;

    @JsonPropertyDescription("host:port clients bootstrap from: the bootstrap Service.")
    public String bootstrap;

    public String clusterId;

    @JsonPropertyDescription("The metadata quorum, id@host:port, fixed when the cluster was created.")
    public String controllerQuorumVoters;

    public List<BrokerStatus> brokers = new ArrayList<>();

    @JsonPropertyDescription("Partition moves for scaling: what is moving or why the operator waits.")
    public ProgressStatus rebalance;

    @JsonPropertyDescription("The rolling restart onto a new pod template: who is next or why the operator waits.")
    public ProgressStatus rollout;

    @JsonPropertyDescription("With spec.autoscaling: the load measured, the size it calls for and when the operator last scaled.")
    public AutoscalingStatus autoscaling;
}
