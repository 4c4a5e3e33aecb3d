package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerSpec;

/** A Cluster's client listeners with their default, their checks and the broker settings they make. Pure. */
public final class Listeners {
    private Listeners() {
    }

    public static List<ListenerSpec> of(Cluster cluster) {
        List<ListenerSpec> l = cluster.getSpec().listeners;
        return l == null || l.isEmpty() ? List.of(new ListenerSpec("PLAINTEXT", 9092)) : l;
    }

    public static List<String> validate(Cluster cluster) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<Integer> ports = new HashSet<>(Set.of(ClusterNames.CONTROLLER_PORT, ClusterNames.HTTP_PORT));
        for (ListenerSpec l : of(cluster)) {
            if (ClusterNames.CONTROLLER_LISTENER.equals(l.name)) problems.add("listener name CONTROLLER is reserved for the metadata quorum");
            else if (!names.add(l.name)) problems.add("listener " + l.name + " is named twice");
            if (!ports.add(l.port))
                problems.add("listener " + l.name + " port " + l.port + " is taken (9093 is the controller's, 8080 HTTP's, or another listener's)");
        }
        return problems;
    }

    /** The broker's {@code listeners}: every client listener and the controller listener, on the pod's address. */
    public static String bind(Cluster cluster) {
        return of(cluster).stream().map(l -> l.name + "://$(POD_IP):" + l.port).collect(Collectors.joining(","))
                + "," + ClusterNames.CONTROLLER_LISTENER + "://$(POD_IP):" + ClusterNames.CONTROLLER_PORT;
    }

    /** The broker's {@code advertised.listeners}: its stable DNS name under the headless Service. */
    public static String advertised(Cluster cluster, ClusterNames names) {
        return of(cluster).stream()
                .map(l -> l.name + "://$(POD_NAME)." + names.headlessService() + ".$(POD_NAMESPACE).svc." + names.clusterDomain() + ":" + l.port)
                .collect(Collectors.joining(","));
    }
}
