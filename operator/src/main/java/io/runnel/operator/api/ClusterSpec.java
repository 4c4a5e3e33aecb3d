package io.runnel.operator.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

/** What a Cluster asks for. The field names are the API: renaming one is a breaking change. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ClusterSpec {
    /** The schema's ceiling on brokers; {@code kubectl scale} and HPAs stay under it. */
    public static final int MAX_REPLICAS = 100;

    @SpecReplicas
    @Required
    @Min(1)
    @Max(MAX_REPLICAS)
    @JsonPropertyDescription("Number of brokers. The first three (or all, if fewer) form the metadata quorum, fixed when the cluster is created.")
    public int replicas = 3;

    @Pattern("^[0-9]+\\.[0-9]+\\.[0-9]+([-.][0-9A-Za-z.-]+)?$")
    @JsonPropertyDescription("Runnel version; picks the image runnel/broker:<version> unless image is set.")
    public String version;

    @JsonPropertyDescription("Broker container image, overriding the one version picks.")
    public String image;

    @Default("IfNotPresent")
    public ImagePullPolicy imagePullPolicy = ImagePullPolicy.IfNotPresent;

    @Required
    public StorageSpec storage = new StorageSpec();

    @JsonPropertyDescription("CPU and memory requests and limits of each broker container.")
    public ResourceRequirements resources;

    @JsonPropertyDescription("Broker settings by Kafka key (log.retention.ms, num.partitions, ...). Topic defaults and throttle rates are applied as cluster-wide dynamic configs without a restart; any other change rolls the brokers. Keys the operator owns (node.id, listeners, log.dirs, controller.*, process.roles, cluster.id) are refused.")
    public Map<String, String> config = new LinkedHashMap<>();

    @Size(min = 1, max = 8)
    @JsonPropertyDescription("Client listeners. Defaults to one PLAINTEXT listener on 9092; the controller listener (9093) is the operator's.")
    public List<ListenerSpec> listeners;

    @Pattern("^[A-Z][A-Z0-9_]{0,24}$")
    @JsonPropertyDescription("The listener brokers replicate over (Kafka's inter.broker.listener.name); the first listener when unset. It may use tls and authentication type tls (mTLS between brokers, principal User:<cluster>-broker); scram-sha-512 is refused. Needs brokers that secure inter-broker traffic.")
    public String interBrokerListener;

    @JsonPropertyDescription("Authorization: the authorizer and super users. Unset: whatever spec.config says (authorizer.class.name, super.users).")
    public AuthorizationSpec authorization;

    @JsonPropertyDescription("Rack awareness: brokers are spread over the values of a node label and replicas over racks.")
    public RackSpec rack;

    @JsonPropertyDescription("Partition moves when brokers are added or removed.")
    public RebalanceSpec rebalance = new RebalanceSpec();

    @JsonPropertyDescription("Rolling restarts for a new pod template.")
    public RolloutSpec rollout = new RolloutSpec();

    @JsonPropertyDescription("Validity and renewal of the certificates the operator issues (cluster CA, clients CA, brokers, users).")
    public CertificatesSpec certificates = new CertificatesSpec();

    @JsonPropertyDescription("Sizing from the brokers' load: the operator sets replicas between minReplicas and maxReplicas. Leave unset to size by hand or with an HPA.")
    public AutoscalingSpec autoscaling;

    public enum ImagePullPolicy { Always, IfNotPresent, Never }
}
