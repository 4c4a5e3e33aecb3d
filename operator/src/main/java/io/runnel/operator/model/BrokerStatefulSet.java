package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerSpec;

/**
 * The brokers' StatefulSet. Every pod shares one template: the broker takes its id from the pod
 * ordinal ({@code node.id=from-hostname}), its roles from the voter list, binds on the pod's
 * address and advertises its stable DNS name under the headless Service. Pods start in parallel
 * because a broker is Ready only once the metadata quorum has formed, which needs its peers. A new
 * template is rolled out by the operator ({@code OnDelete}), not by the StatefulSet controller. Pure.
 */
public final class BrokerStatefulSet {
    public static final String CONTAINER = "broker";
    public static final String DEFAULT_IMAGE_REPOSITORY = "runnel/broker";
    static final String CERTS_VOLUME = "broker-certs";

    private BrokerStatefulSet() {
    }

    public static String image(Cluster cluster, String defaultVersion) {
        if (cluster.getSpec().image != null && !cluster.getSpec().image.isBlank()) return cluster.getSpec().image;
        String version = cluster.getSpec().version != null ? cluster.getSpec().version : defaultVersion;
        return DEFAULT_IMAGE_REPOSITORY + ":" + version;
    }

    /** The StatefulSet at spec.replicas. */
    public static StatefulSet build(Cluster cluster, ClusterNames names, String configHash, String defaultVersion) {
        return build(cluster, names, configHash, defaultVersion, cluster.getSpec().replicas);
    }

    /**
     * @param replicas what the StatefulSet runs now: spec.replicas, except while a scale-down drains
     *                 the brokers that go (they keep running until they are empty)
     */
    public static StatefulSet build(Cluster cluster, ClusterNames names, String configHash, String defaultVersion, int replicas) {
        return build(cluster, names, configHash, defaultVersion, replicas, 0);
    }

    /**
     * @param certificatesGeneration the brokers' certificates' generation ({@link ClusterCertificates}): with TLS
     *                               listeners it is on the template, so new certificates roll the brokers
     */
    public static StatefulSet build(Cluster cluster, ClusterNames names, String configHash, String defaultVersion, int replicas,
                                    long certificatesGeneration) {
        boolean tls = ClusterCertificates.brokersUseTls(cluster);
        Map<String, String> podAnnotations = new LinkedHashMap<>();
        podAnnotations.put(ClusterNames.CONFIG_HASH_ANNOTATION, configHash);
        if (tls) podAnnotations.put(ClusterCertificates.GENERATION_ANNOTATION, Long.toString(certificatesGeneration));
        podAnnotations.put("prometheus.io/scrape", "true");
        podAnnotations.put("prometheus.io/port", Integer.toString(ClusterNames.HTTP_PORT));
        podAnnotations.put("prometheus.io/path", "/q/metrics");

        PodSpecBuilder pod = new PodSpecBuilder()
                .withServiceAccountName(names.serviceAccount())
                .withTerminationGracePeriodSeconds(60L)
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(image(cluster, defaultVersion))
                .withImagePullPolicy(cluster.getSpec().imagePullPolicy.name())
                .withPorts(ports(cluster))
                .withEnv(env(cluster, names))
                .addNewEnvFrom().withNewConfigMapRef().withName(names.configMap()).endConfigMapRef().endEnvFrom()
                .withResources(cluster.getSpec().resources)
                .addNewVolumeMount().withName(ClusterNames.DATA_VOLUME).withMountPath(ClusterNames.DATA_MOUNT_PATH).endVolumeMount()
                .withReadinessProbe(httpProbe("/q/health/ready", 5, 3))
                .withLivenessProbe(httpProbe("/q/health/live", 10, 6))
                .endContainer();
        if (tls) {
            pod.editFirstContainer().addNewVolumeMount().withName(CERTS_VOLUME).withMountPath(Listeners.CERTS_MOUNT_PATH).withReadOnly(true)
                    .endVolumeMount().endContainer();
            pod.addNewVolume().withName(CERTS_VOLUME).withNewSecret().withSecretName(names.brokerCertsSecret()).withDefaultMode(0440)
                    .endSecret().endVolume();
        }
        if (cluster.getSpec().rack != null) {
            // Spread brokers over racks so that a rack-aware placement can put replicas apart.
            pod.withNewAffinity().withNewPodAntiAffinity().addNewPreferredDuringSchedulingIgnoredDuringExecution()
                    .withWeight(100).withNewPodAffinityTerm().withTopologyKey(cluster.getSpec().rack.topologyKey)
                    .withNewLabelSelector().withMatchLabels(names.selectorLabels()).endLabelSelector().endPodAffinityTerm()
                    .endPreferredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().endAffinity();
        }

        return new StatefulSetBuilder()
                .withNewMetadata().withName(names.statefulSet()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withServiceName(names.headlessService())
                .withPodManagementPolicy("Parallel")
                                // The operator restarts brokers itself, one at a time and only when it is safe (RollPlan).
                .withNewUpdateStrategy().withType("OnDelete").endUpdateStrategy()
                .withNewSelector().withMatchLabels(names.selectorLabels()).endSelector()
                .withNewTemplate()
                .withNewMetadata().withLabels(names.labels()).withAnnotations(podAnnotations).endMetadata()
                .withSpec(pod.build())
                .endTemplate()
                .withVolumeClaimTemplates(dataClaim(cluster, names))
                .endSpec()
                .build();
    }

    static List<ContainerPort> ports(Cluster cluster) {
        List<ContainerPort> ports = new ArrayList<>();
        for (ListenerSpec l : Listeners.of(cluster))
            ports.add(new ContainerPortBuilder().withName(portName(l)).withContainerPort(l.port).withProtocol("TCP").build());
        ports.add(new ContainerPortBuilder().withName("controller").withContainerPort(ClusterNames.CONTROLLER_PORT).withProtocol("TCP").build());
        ports.add(new ContainerPortBuilder().withName("http").withContainerPort(ClusterNames.HTTP_PORT).withProtocol("TCP").build());
        return ports;
    }

    /** A port name: at most 15 lower-case characters, as Kubernetes requires. */
    static String portName(ListenerSpec l) {
        String n = l.name.toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return n.length() <= 15 ? n : n.substring(0, 15);
    }

    static List<EnvVar> env(Cluster cluster, ClusterNames names) {
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldRef("POD_NAME", "metadata.name"));
        env.add(fieldRef("POD_NAMESPACE", "metadata.namespace"));
        env.add(fieldRef("POD_IP", "status.podIP"));
        env.add(value("RUNNEL_NODE_ID", "from-hostname"));
        env.add(value("RUNNEL_LISTENERS", Listeners.bind(cluster)));
        env.add(value("RUNNEL_ADVERTISED_LISTENERS", Listeners.advertised(cluster, names)));
        env.add(value("RUNNEL_CONTROLLER_LISTENER_NAMES", ClusterNames.CONTROLLER_LISTENER));
        env.add(value("RUNNEL_LOG_DIRS", ClusterNames.DATA_MOUNT_PATH + "/data"));
        Listeners.securitySettings(cluster).forEach((key, v) -> env.add(value(BrokerConfigMap.envName(key), v)));
        if (cluster.getSpec().rack != null) {
            // The broker reads its node's label itself: the downward API cannot give a pod its node's labels.
            env.add(fieldRef("NODE_NAME", "spec.nodeName"));
            env.add(value("RUNNEL_BROKER_RACK_NODE_LABEL", cluster.getSpec().rack.topologyKey));
        }
        env.add(value("QUARKUS_HTTP_HOST", "$(POD_IP)"));
        env.add(value("QUARKUS_HTTP_PORT", Integer.toString(ClusterNames.HTTP_PORT)));
        return env;
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef().endValueFrom().build();
    }

    private static Probe httpProbe(String path, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString(ClusterNames.HTTP_PORT)).endHttpGet()
                .withPeriodSeconds(periodSeconds).withFailureThreshold(failureThreshold).withTimeoutSeconds(3).build();
    }

    private static PersistentVolumeClaim dataClaim(Cluster cluster, ClusterNames names) {
        return new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(ClusterNames.DATA_VOLUME).withLabels(names.selectorLabels()).endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(cluster.getSpec().storage.storageClass)
                .withNewResources().addToRequests("storage", new Quantity(cluster.getSpec().storage.size)).endResources()
                .endSpec()
                .build();
    }
}
