package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.List;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerSpec;

/**
 * The two Services of a Cluster: a headless one that gives each broker its stable DNS name (and
 * publishes brokers before they are Ready, since the quorum needs peers to find each other before
 * anyone is Ready), and a bootstrap one that clients start from. Pure.
 */
public final class BrokerServices {
    private BrokerServices() {
    }

    public static Service headless(Cluster cluster, ClusterNames names) {
        List<ServicePort> ports = clientPorts(cluster);
        ports.add(port("controller", ClusterNames.CONTROLLER_PORT));
        return new ServiceBuilder()
                .withNewMetadata().withName(names.headlessService()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true).withSelector(names.selectorLabels())
                .withPorts(ports).endSpec()
                .build();
    }

    public static Service bootstrap(Cluster cluster, ClusterNames names) {
        return new ServiceBuilder()
                .withNewMetadata().withName(names.bootstrapService()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(names.selectorLabels()).withPorts(clientPorts(cluster)).endSpec()
                .build();
    }

    /** The address clients bootstrap from: the bootstrap Service on the first listener's port. */
    public static String bootstrapAddress(Cluster cluster, ClusterNames names) {
        return names.bootstrapHost() + ":" + Listeners.of(cluster).get(0).port;
    }

    private static List<ServicePort> clientPorts(Cluster cluster) {
        List<ServicePort> ports = new ArrayList<>();
        for (ListenerSpec l : Listeners.of(cluster)) ports.add(port(BrokerStatefulSet.portName(l), l.port));
        return ports;
    }

    private static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(port)).withProtocol("TCP").build();
    }
}
