package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Each broker's persistent volume: one claim per broker from the StatefulSet's claim template. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class StorageSpec {
    @Required
    @Pattern("^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$")
    @JsonPropertyDescription("Volume size as a Kubernetes quantity, e.g. 100Gi.")
    public String size = "10Gi";

    @JsonPropertyDescription("StorageClass of the claims; the cluster's default class when unset.")
    public String storageClass;

    @JsonPropertyDescription("Delete: the claims of brokers removed by a scale-down are deleted once the brokers are gone (they hold no data by then). Retain: they are kept.")
    public ClaimPolicy removedBrokerClaims = ClaimPolicy.Delete;

    public enum ClaimPolicy { Delete, Retain }
}
