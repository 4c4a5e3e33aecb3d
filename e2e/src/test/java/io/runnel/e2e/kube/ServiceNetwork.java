package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Services, as kube-proxy and cluster DNS make them work: a ClusterIP service gets its ClusterIP
 * on {@code lo}, a {@link ServiceProxy} per TCP port forwarding to the ready endpoints of its
 * Endpoints object (the service port's name picks the endpoint port, i.e. targetPort as the
 * endpoints controller resolved it), and the names {@code <svc>.<ns>.svc.cluster.local} and
 * {@code <svc>.<ns>.svc} for the ClusterIP. A headless service ({@code clusterIP: None}) gets
 * those names for each endpoint address instead, as DNS answers with every pod.
 *
 * <p>Agent thread only (the proxies' own threads read only their published backends).
 */
final class ServiceNetwork {
    private static final String CLUSTER_DOMAIN = "cluster.local";

    /** What is set up for one ClusterIP service. */
    private record Active(String clusterIp, List<ServicePort> ports, Map<ServicePort, ServiceProxy> proxies) {
    }

    private final HostsFile hosts;
    private final LoopbackAddresses loopback;
    private final AgentLog log;
    private final Map<String, Service> services = new HashMap<>();
    private final Map<String, Endpoints> endpoints = new HashMap<>();
    private final Map<String, Active> active = new HashMap<>();

    ServiceNetwork(HostsFile hosts, LoopbackAddresses loopback, AgentLog log) {
        this.hosts = hosts;
        this.loopback = loopback;
        this.log = log;
    }

    void onService(Service service) {
        String key = key(service.getMetadata().getNamespace(), service.getMetadata().getName());
        services.put(key, service);
        sync(key);
    }

    void onServiceDeleted(Service service) {
        String key = key(service.getMetadata().getNamespace(), service.getMetadata().getName());
        services.remove(key);
        sync(key);
    }

    void onEndpoints(Endpoints object) {
        String key = key(object.getMetadata().getNamespace(), object.getMetadata().getName());
        Endpoints previous = endpoints.put(key, object);
        if (previous == null || !previous.getSubsets().equals(object.getSubsets())) {
            log.info("endpoints " + key + ": " + object.getSubsets().stream()
                    .map(s -> s.getAddresses().size() + " ready, " + s.getNotReadyAddresses().size() + " not ready, ports "
                            + s.getPorts().stream().map(p -> p.getName() + "=" + p.getPort()).toList())
                    .toList());
        }
        sync(key);
    }

    void onEndpointsDeleted(Endpoints object) {
        String key = key(object.getMetadata().getNamespace(), object.getMetadata().getName());
        endpoints.remove(key);
        sync(key);
    }

    /** Brings lo, proxies and names of one service in line with its Service and Endpoints objects. */
    private void sync(String key) {
        Service service = services.get(key);
        String clusterIp = service == null || service.getSpec() == null ? null : service.getSpec().getClusterIP();
        boolean proxied = clusterIp != null && !clusterIp.isEmpty() && !clusterIp.equals("None")
                && !"ExternalName".equals(service.getSpec().getType());
        List<ServicePort> ports = proxied ? tcpPorts(service) : List.of();
        Active current = active.get(key);
        if (current != null && (!proxied || !current.clusterIp().equals(clusterIp) || !current.ports().equals(ports))) {
            tearDown(key, current);
            current = null;
        }
        if (proxied && current == null) current = setUp(key, clusterIp, ports);
        if (current != null) {
            for (Map.Entry<ServicePort, ServiceProxy> proxy : current.proxies().entrySet()) {
                proxy.getValue().backends(readyBackends(endpoints.get(key), proxy.getKey(), ports.size()));
            }
        }
        updateNames(key, service, proxied ? clusterIp : null);
    }

    private Active setUp(String key, String clusterIp, List<ServicePort> ports) {
        loopback.add(clusterIp);
        Map<ServicePort, ServiceProxy> proxies = new LinkedHashMap<>();
        for (ServicePort port : ports) {
            try {
                proxies.put(port, new ServiceProxy(key + ":" + port.getPort(), new InetSocketAddress(clusterIp, port.getPort()), log));
            } catch (IOException e) {
                log.error("cannot listen on " + clusterIp + ":" + port.getPort() + " for service " + key, e);
            }
        }
        log.info("service " + key + " on " + clusterIp + " ports " + ports.stream().map(ServicePort::getPort).toList());
        Active created = new Active(clusterIp, ports, proxies);
        active.put(key, created);
        return created;
    }

    private void tearDown(String key, Active current) {
        current.proxies().values().forEach(ServiceProxy::close);
        loopback.remove(current.clusterIp());
        active.remove(key);
        log.info("service " + key + " on " + current.clusterIp() + " torn down");
    }

    private void updateNames(String key, Service service, String clusterIp) {
        String owner = "svc/" + key;
        if (service == null || service.getSpec() == null || "ExternalName".equals(service.getSpec().getType())) {
            hosts.remove(owner);
            return;
        }
        List<String> names = List.of(service.getMetadata().getName() + "." + service.getMetadata().getNamespace() + ".svc." + CLUSTER_DOMAIN,
                service.getMetadata().getName() + "." + service.getMetadata().getNamespace() + ".svc");
        List<HostsFile.Entry> entries = new ArrayList<>();
        if (clusterIp != null) {
            entries.add(new HostsFile.Entry(clusterIp, names));
        } else if ("None".equals(service.getSpec().getClusterIP())) {
            Endpoints object = endpoints.get(key);
            if (object != null) {
                object.getSubsets().stream().flatMap(subset -> subset.getAddresses().stream()).map(EndpointAddress::getIp)
                        .distinct().sorted().forEach(ip -> entries.add(new HostsFile.Entry(ip, names)));
            }
        }
        if (entries.isEmpty()) hosts.remove(owner);
        else hosts.put(owner, entries);
    }

    /** The ready endpoint addresses for one service port: the endpoint port of the same name (or the only one). */
    static List<InetSocketAddress> readyBackends(Endpoints object, ServicePort servicePort, int servicePortCount) {
        if (object == null) return List.of();
        List<InetSocketAddress> backends = new ArrayList<>();
        for (EndpointSubset subset : object.getSubsets()) {
            EndpointPort match = null;
            for (EndpointPort port : subset.getPorts()) {
                boolean sameName = Objects.equals(emptyToNull(port.getName()), emptyToNull(servicePort.getName()));
                if (sameName || (servicePortCount == 1 && subset.getPorts().size() == 1)) {
                    match = port;
                    break;
                }
            }
            if (match == null) continue;
            for (EndpointAddress address : subset.getAddresses()) backends.add(new InetSocketAddress(address.getIp(), match.getPort()));
        }
        return backends;
    }

    private static List<ServicePort> tcpPorts(Service service) {
        return service.getSpec().getPorts().stream().filter(p -> p.getProtocol() == null || p.getProtocol().equals("TCP")).toList();
    }

    /** The ClusterIPs the proxies listen on. */
    List<String> clusterIps() {
        return active.values().stream().map(Active::clusterIp).sorted().toList();
    }

    /** Closes every proxy and removes the ClusterIPs from lo. */
    void close() {
        for (String key : List.copyOf(active.keySet())) tearDown(key, active.get(key));
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
