package io.runnel.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A topic of a Cluster in the same namespace. The brokers hold the truth; the operator makes them
 * match the spec where Kafka allows it and reports in status where it does not.
 */
@Group(Cluster.GROUP)
@Version(Cluster.VERSION)
@ShortNames({"rnt", "rntopic"})
@Categories("runnel")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.cluster", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Partitions", jsonPath = ".spec.partitions", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Replication", jsonPath = ".spec.replicationFactor", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Topic extends CustomResource<TopicSpec, TopicStatus> implements Namespaced {
    /**
     * No default spec: JOSDK builds fresh instances for its server-side-apply patches (finalizers,
     * status), and a default spec in them would be applied over the user's.
     */
    @Override
    protected TopicSpec initSpec() {
        return null;
    }

    @Override
    protected TopicStatus initStatus() {
        return null;
    }

    /** The Kafka topic name: spec.topicName, or the resource's name. */
    public String topicName() {
        return getSpec().topicName != null && !getSpec().topicName.isBlank() ? getSpec().topicName : getMetadata().getName();
    }
}
