package io.runnel.operator.model;

import java.util.Map;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.runnel.operator.api.Cluster;

/** Clusters as the API server would hand them to the reconciler. */
final class ClusterFixtures {
    private ClusterFixtures() {
    }

    static Cluster cluster(String name, int replicas, Map<String, String> config) {
        Cluster c = new Cluster();
        c.setSpec(new io.runnel.operator.api.ClusterSpec());
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("prod").withUid("uid-" + name).withGeneration(1L).build());
        c.getSpec().replicas = replicas;
        c.getSpec().config.putAll(config);
        return c;
    }

    static ClusterNames names(Cluster c) {
        return ClusterNames.of(c, "cluster.local");
    }
}
