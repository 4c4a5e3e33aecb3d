package io.runnel.operator.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.runnel.operator.api.Cluster;

/**
 * The brokers' PodDisruptionBudget: voluntary evictions (node drains) take at most one broker at a
 * time. {@code policy/v1} where the API server has it, {@code policy/v1beta1} (Kubernetes before
 * 1.21) where it does not. Pure.
 */
public final class BrokerDisruptionBudget {
    private BrokerDisruptionBudget() {
    }

    public static HasMetadata build(Cluster cluster, ClusterNames names, boolean policyV1) {
        if (policyV1) {
            return new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder()
                    .withNewMetadata().withName(names.disruptionBudget()).withNamespace(names.namespace()).withLabels(names.labels())
                    .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                    .withNewSpec().withMaxUnavailable(new IntOrString(1))
                    .withNewSelector().withMatchLabels(names.selectorLabels()).endSelector().endSpec()
                    .build();
        }
        return new io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudgetBuilder()
                .withNewMetadata().withName(names.disruptionBudget()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withNewSpec().withMaxUnavailable(new IntOrString(1))
                .withNewSelector().withMatchLabels(names.selectorLabels()).endSelector().endSpec()
                .build();
    }
}
