package io.runnel.operator.model;

import static io.runnel.operator.model.ClusterFixtures.cluster;
import static io.runnel.operator.model.ClusterFixtures.names;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerSpec;
import io.runnel.operator.api.RackSpec;

/** The brokers' StatefulSet, built without a server: the contract every broker pod starts from. */
class BrokerStatefulSetTest {

    private static Map<String, String> env(Container c) {
        return c.getEnv().stream().filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    @Test
    void everyPodSharesOneTemplateAndTakesItsIdentityFromItsOrdinalAndDnsName() {
        Cluster c = cluster("events", 3, Map.of());
        StatefulSet sts = BrokerStatefulSet.build(c, names(c), "abc", "0.1.0");
        assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
        assertThat(sts.getSpec().getServiceName()).isEqualTo("events-brokers");
        // Ordered start would deadlock: broker-0 is Ready only once the quorum, which needs broker-1, has formed.
        assertThat(sts.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        assertThat(sts.getSpec().getUpdateStrategy().getType()).as("the operator rolls the brokers itself").isEqualTo("OnDelete");
        Container broker = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(broker.getImage()).isEqualTo("runnel/broker:0.1.0");
        assertThat(env(broker))
                .containsEntry("RUNNEL_NODE_ID", "from-hostname")
                .containsEntry("RUNNEL_LISTENERS", "PLAINTEXT://$(POD_IP):9092,CONTROLLER://$(POD_IP):9093")
                .containsEntry("RUNNEL_ADVERTISED_LISTENERS", "PLAINTEXT://$(POD_NAME).events-brokers.$(POD_NAMESPACE).svc.cluster.local:9092")
                .containsEntry("RUNNEL_LOG_DIRS", "/var/lib/runnel/data");
        // $(POD_IP) is expanded by the kubelet only from variables defined earlier in the list.
        List<String> order = broker.getEnv().stream().map(EnvVar::getName).toList();
        assertThat(order.indexOf("POD_IP")).isLessThan(order.indexOf("RUNNEL_LISTENERS"));
        assertThat(broker.getEnvFrom().get(0).getConfigMapRef().getName()).isEqualTo("events-config");
        assertThat(broker.getVolumeMounts().get(0).getMountPath()).isEqualTo("/var/lib/runnel");
        assertThat(broker.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry(ClusterNames.CONFIG_HASH_ANNOTATION, "abc");
        assertThat(sts.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString())
                .isEqualTo("10Gi");
        assertThat(sts.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-events"));
    }

    @Test
    void whileBrokersAreDrainedTheStatefulSetKeepsThemBeyondSpecReplicas() {
        Cluster c = cluster("events", 3, Map.of());
        assertThat(BrokerStatefulSet.build(c, names(c), "abc", "0.1.0", 5).getSpec().getReplicas()).isEqualTo(5);
    }

    @Test
    void listenersBecomePortsAndAnImageOverridesTheVersion() {
        Cluster c = cluster("events", 1, Map.of());
        c.getSpec().listeners = List.of(new ListenerSpec("INTERNAL", 9092), new ListenerSpec("REPLICATION_LONG_NAME", 9094));
        c.getSpec().image = "registry.example/runnel/broker@sha256:1234";
        c.getSpec().storage.storageClass = "fast";
        StatefulSet sts = BrokerStatefulSet.build(c, names(c), "abc", "0.1.0");
        Container broker = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(broker.getImage()).isEqualTo("registry.example/runnel/broker@sha256:1234");
        assertThat(broker.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort())
                .containsExactly("internal:9092", "replication-lon:9094", "controller:9093", "http:8080");
        assertThat(env(broker).get("RUNNEL_LISTENERS")).isEqualTo("INTERNAL://$(POD_IP):9092,REPLICATION_LONG_NAME://$(POD_IP):9094,CONTROLLER://$(POD_IP):9093");
        assertThat(sts.getSpec().getVolumeClaimTemplates().get(0).getSpec().getStorageClassName()).isEqualTo("fast");
    }

    @Test
    void rackAwarenessSpreadsBrokersOverTheTopologyKeyAndLetsThemReadTheirNodesZone() {
        Cluster c = cluster("events", 3, Map.of());
        c.getSpec().rack = new RackSpec();
        c.getSpec().rack.topologyKey = "topology.kubernetes.io/zone";
        var pod = BrokerStatefulSet.build(c, names(c), "abc", "0.1.0").getSpec().getTemplate().getSpec();
        assertThat(pod.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution()).singleElement()
                .satisfies(t -> assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("topology.kubernetes.io/zone"));
        // Each broker reads its rack from its node's label, as the brokers' own ServiceAccount.
        Container broker = pod.getContainers().get(0);
        assertThat(env(broker)).containsEntry("RUNNEL_BROKER_RACK_NODE_LABEL", "topology.kubernetes.io/zone");
        assertThat(broker.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("NODE_NAME");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
        });
        assertThat(pod.getServiceAccountName()).isEqualTo("events-broker");
        var binding = BrokerAccess.rackBinding(names(c));
        assertThat(binding.getMetadata().getName()).isEqualTo("runnel-broker-rack.prod.events");
        assertThat(binding.getMetadata().getLabels()).containsEntry("runnel.dev/cluster-namespace", "prod").containsEntry("runnel.dev/cluster", "events");
        assertThat(binding.getRoleRef().getName()).isEqualTo("runnel-broker-rack");
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> {
            assertThat(s.getName()).isEqualTo("events-broker");
            assertThat(s.getNamespace()).isEqualTo("prod");
        });
    }

    @Test
    void clashingListenersAreRefusedWithTheirNames() {
        Cluster c = cluster("events", 1, Map.of());
        c.getSpec().listeners = List.of(new ListenerSpec("CONTROLLER", 9092), new ListenerSpec("A", 9093), new ListenerSpec("A", 9095));
        assertThat(Listeners.validate(c)).containsExactly("listener name CONTROLLER is reserved for the metadata quorum",
                "listener A port 9093 is taken (9093 is the controller's, 8080 HTTP's, or another listener's)", "listener A is named twice");
    }
}
