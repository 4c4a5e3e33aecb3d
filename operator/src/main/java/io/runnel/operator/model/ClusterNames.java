package io.runnel.operator.model;

import java.util.LinkedHashMap;
import java.util.Map;

import io.runnel.operator.api.Cluster;

/**
 * The names and labels of everything a Cluster turns into, in one place so that the builders, the
 * reconciler and the tests agree. Pure; any thread.
 */
public final class ClusterNames {
    public static final String CONTROLLER_LISTENER = "CONTROLLER";
    public static final int CONTROLLER_PORT = 9093;
    public static final int HTTP_PORT = 8080;
    public static final String DATA_VOLUME = "data";
    public static final String DATA_MOUNT_PATH = "/var/lib/runnel";
    /** Annotation on the pod template carrying the hash of the broker ConfigMap: a config change rolls the brokers. */
    public static final String CONFIG_HASH_ANNOTATION = "runnel.dev/config-hash";

    /** The ClusterRole (k8s/operator-rbac.yaml) that lets a broker read nodes, for its rack. */
    public static final String RACK_CLUSTER_ROLE = "runnel-broker-rack";
    /** Labels on the cluster-scoped binding, which cannot be owned by a namespaced Cluster: how the operator finds it again. */
    public static final String OWNER_NAMESPACE_LABEL = "runnel.dev/cluster-namespace";
    public static final String OWNER_NAME_LABEL = "runnel.dev/cluster";

    private final String cluster;
    private final String namespace;
    private final String clusterDomain;

    public ClusterNames(String cluster, String namespace, String clusterDomain) {
        this.cluster = cluster;
        this.namespace = namespace;
        this.clusterDomain = clusterDomain;
    }

    public static ClusterNames of(Cluster c, String clusterDomain) {
        return new ClusterNames(c.getMetadata().getName(), c.getMetadata().getNamespace(), clusterDomain);
    }

    public String cluster() {
        return cluster;
    }

    public String namespace() {
        return namespace;
    }

    public String clusterDomain() {
        return clusterDomain;
    }

    public String statefulSet() {
        return cluster;
    }

    public String headlessService() {
        return cluster + "-brokers";
    }

    public String bootstrapService() {
        return cluster + "-bootstrap";
    }

    public String configMap() {
        return cluster + "-config";
    }

    /** The brokers' ServiceAccount: what their pods may read from the API server (their node, for the rack). */
    public String serviceAccount() {
        return cluster + "-broker";
    }

    /** Cluster-scoped, so named after the namespace too; bound to {@link #RACK_CLUSTER_ROLE}. */
    public String rackRoleBinding() {
        return "runnel-broker-rack." + namespace + "." + cluster;
    }

    /** The cluster CA's key and certificate: the operator's alone. */
    public String clusterCaSecret() {
        return cluster + "-cluster-ca";
    }

    /** The cluster CA's certificate, for clients to trust (ca.crt, ca.p12, ca.password). */
    public String clusterCaCertSecret() {
        return cluster + "-cluster-ca-cert";
    }

    /** The clients CA's key and certificate, which sign users' certificates. */
    public String clientsCaSecret() {
        return cluster + "-clients-ca";
    }

    public String clientsCaCertSecret() {
        return cluster + "-clients-ca-cert";
    }

    /** The operator's own client certificate (CN=<cluster>-operator, from the cluster CA) for its Admin connections. */
    public String operatorCertsSecret() {
        return cluster + "-operator-certs";
    }

    /** Each broker's key and certificate chain ({@code <pod>.pem}) and the CAs, mounted into every broker pod. */
    public String brokerCertsSecret() {
        return cluster + "-broker-certs";
    }

    /**
     * Every name a client may reach broker {@code ordinal} by, for its certificate: its pod under the
     * headless Service and the bootstrap Service, each short and fully qualified.
     */
    public java.util.List<String> brokerDnsNames(int ordinal) {
        String podHost = pod(ordinal) + "." + headlessService();
        String bootstrap = bootstrapService();
        java.util.List<String> names = new java.util.ArrayList<>();
        for (String base : java.util.List.of(podHost, bootstrap)) {
            names.add(base);
            names.add(base + "." + namespace);
            names.add(base + "." + namespace + ".svc");
            names.add(base + "." + namespace + ".svc." + clusterDomain);
        }
        return names;
    }

    public String disruptionBudget() {
        return cluster;
    }

    public String pod(int ordinal) {
        return cluster + "-" + ordinal;
    }

    /** The ordinal of one of this cluster's broker pods ({@link #pod}), or -1 for any other name. */
    public int ordinalOf(String podName) {
        String prefix = statefulSet() + "-";
        if (!podName.startsWith(prefix)) return -1;
        try {
            return Integer.parseInt(podName.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A broker's stable DNS name: its pod under the headless Service. */
    public String brokerHost(int ordinal) {
        return pod(ordinal) + "." + headlessService() + "." + namespace + ".svc." + clusterDomain;
    }

    public String bootstrapHost() {
        return bootstrapService() + "." + namespace + ".svc";
    }

    /** Labels every broker pod carries; also the StatefulSet's and Services' selector. */
    public Map<String, String> selectorLabels() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("app.kubernetes.io/name", "runnel");
        m.put("app.kubernetes.io/instance", cluster);
        m.put("app.kubernetes.io/component", "broker");
        return m;
    }

    public Map<String, String> labels() {
        Map<String, String> m = selectorLabels();
        m.put("app.kubernetes.io/managed-by", "runnel-operator");
        return m;
    }

    /** The selector as the scale subresource reports it (HPA reads it). */
    public String selectorString() {
        return String.join(",", selectorLabels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
    }
}
