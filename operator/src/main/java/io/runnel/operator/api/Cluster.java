package io.runnel.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Runnel broker cluster: the resource users apply. The operator owns everything it turns into
 * (StatefulSet, Services, ConfigMap, PodDisruptionBudget); its status is written only by the
 * operator. A plain data holder: safe to read on any thread, mutated by one reconcile at a time.
 */
@Group(Cluster.GROUP)
@Version(Cluster.VERSION)
@ShortNames({"rnc", "rncluster"})
@Categories("runnel")
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready-Brokers", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Bootstrap", jsonPath = ".status.bootstrap", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Cluster extends CustomResource<ClusterSpec, ClusterStatus> implements Namespaced {
    public static final String GROUP = "runnel.dev";
    public static final String VERSION = "v1alpha1";

    /**
     * No default spec: JOSDK builds fresh instances for its server-side-apply patches (finalizers,
     * status), and a default spec in them would be applied over the user's.
     */
    @Override
    protected ClusterSpec initSpec() {
        return null;
    }

    @Override
    protected ClusterStatus initStatus() {
        return null;
    }
}
