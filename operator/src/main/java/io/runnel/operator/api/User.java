package io.runnel.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A user of a Cluster in the same namespace, like Strimzi's KafkaUser: its credential (a SCRAM
 * password or a client certificate, written to a Secret named after the resource), its ACLs and its
 * quotas. The user's Kafka principal is {@code User:<metadata.name>}. Deleting it revokes all three.
 */
@Group(Cluster.GROUP)
@Version(Cluster.VERSION)
@ShortNames({"rnu", "rnuser"})
@Categories("runnel")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.cluster", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Authentication", jsonPath = ".spec.authentication.type", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class User extends CustomResource<UserSpec, UserStatus> implements Namespaced {
    /** No default spec: see {@link Topic#initSpec()}. */
    @Override
    protected UserSpec initSpec() {
        return null;
    }

    @Override
    protected UserStatus initStatus() {
        return null;
    }

    /** The Kafka user name: the resource's name (what a SCRAM login and a certificate's CN carry). */
    public String userName() {
        return getMetadata().getName();
    }
}
