package io.runnel.e2e.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One Kubernetes node made of this machine, for tests: the kubelet and the parts of a real
 * cluster that have no process here. It registers a Node and keeps it Ready
 * ({@link NodeRegistration}); provisions a hostPath PersistentVolume for every pending claim
 * ({@link ClaimProvisioner}); runs every pod bound to the node as local processes, with env,
 * volumes, probes, restarts and graceful deletion as the kubelet does them ({@link PodSupervisor});
 * gives each pod a stable address on lo and DNS names in {@code /etc/hosts} ({@link PodAddresses}, {@link HostsFile});
 * and plays kube-proxy for ClusterIP services ({@link ServiceNetwork}). Needs root (for
 * {@code /etc/hosts}, {@code ip addr} and mount namespaces).
 *
 * <p>Threading: informers and process/probe callbacks only post to one {@link AgentLoop} thread,
 * which owns every piece of mutable state. Public query methods ask that thread. A failure while
 * handling one object is logged to {@link #agentLog()} and the agent carries on.
 *
 * <p>{@link #close} stops every pod process (SIGTERM, SIGKILL after the pod's grace period),
 * closes the proxies, removes the ClusterIPs from lo and the block from /etc/hosts, and leaves the
 * run folder (logs, volumes) for inspection. The Node and pod objects stay in the API server, as
 * after a kubelet crash.
 */
public final class TestNodeAgent implements AutoCloseable {
    public static final String DEFAULT_NODE_NAME = "runnel-testbed-node";
    private static final AtomicInteger AGENTS = new AtomicInteger();

    private final KubernetesClient client;
    private final String nodeName;
    private final String id;
    private final Path runDir;
    private final AgentLog log;
    private final AgentLoop loop;
    private final ProbeRunner probes = new ProbeRunner();
    private final HostsFile hosts;
    private final LoopbackAddresses loopback;
    private final ServiceNetwork services;
    private final ClaimProvisioner provisioner;
    private final PodSupervisor supervisor;
    private final NodeRegistration registration;
    private final ApiClusterObjects objects;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private ScheduledFuture<?> heartbeat;
    private boolean closed;

    private TestNodeAgent(KubernetesClient client, String apiServerHost, int apiServerPort, Path runDir, LocalImages images,
                          String nodeName, Path hostsFile) {
        this.client = client;
        this.nodeName = nodeName;
        this.id = ProcessHandle.current().pid() + "-" + AGENTS.incrementAndGet();
        this.runDir = runDir;
        this.log = new AgentLog(runDir.resolve("agent.log"));
        this.loop = new AgentLoop("test-node-agent " + nodeName, log);
        this.hosts = new HostsFile(hostsFile, id);
        this.loopback = new LoopbackAddresses(log, hosts);
        this.services = new ServiceNetwork(hosts, loopback, log);
        this.provisioner = new ClaimProvisioner(client, runDir.resolve("volumes"), log);
        this.objects = new ApiClusterObjects(client);
        // Only the apiserver's own variables: in-cluster clients (fabric8 in the operator) find it through them.
        Map<String, String> serviceEnv = Map.of(
                "KUBERNETES_SERVICE_HOST", apiServerHost,
                "KUBERNETES_SERVICE_PORT", Integer.toString(apiServerPort),
                "KUBERNETES_SERVICE_PORT_HTTPS", Integer.toString(apiServerPort));
        this.supervisor = new PodSupervisor(client, loop, log, new EventRecorder(client, nodeName, log), objects, images,
                new PodAddresses(loopback), hosts, probes, runDir.resolve("pods"), serviceEnv,
                PodSupervisor.Settings.fromSystemProperties());
        this.registration = new NodeRegistration(client, nodeName);
    }

    /**
     * Registers the node and starts serving it.
     *
     * @param apiServerHost where pods reach the API server (KUBERNETES_SERVICE_HOST), e.g. 127.0.0.1
     * @param runDir the agent's folder: agent.log, pods/&lt;ns&gt;/&lt;pod&gt;/&lt;container&gt;.log, volumes/
     * @param images what each container image runs as here
     */
    public static TestNodeAgent start(KubernetesClient client, String apiServerHost, int apiServerPort, Path runDir, LocalImages images) {
        TestNodeAgent agent = new TestNodeAgent(client, apiServerHost, apiServerPort, runDir, images, DEFAULT_NODE_NAME, Path.of("/etc/hosts"));
        try {
            agent.begin();
        } catch (RuntimeException e) {
            agent.close();
            throw e;
        }
        return agent;
    }

    private void begin() {
        log.info("agent " + id + " starting for node " + nodeName);
        loop.call(() -> {
            loopback.removeOrphaned(hosts.dropStaleBlocks());
            registration.register();
            return null;
        });
        heartbeat = loop.every("node heartbeat", Duration.ofSeconds(NodeRegistration.HEARTBEAT_PERIOD_SECONDS), registration::heartbeat);
        informers.add(client.services().inAnyNamespace().inform(handler("service", services::onService, services::onServiceDeleted), 0));
        informers.add(client.endpoints().inAnyNamespace().inform(handler("endpoints", services::onEndpoints, services::onEndpointsDeleted), 0));
        informers.add(client.persistentVolumeClaims().inAnyNamespace().inform(handler("claim", provisioner::onClaim, claim -> { }), 0));
        informers.add(client.pods().inAnyNamespace().withField("spec.nodeName", nodeName)
                .inform(handler("pod", supervisor::onPod, supervisor::onPodDeleted), 0));
        log.info("agent " + id + " serving node " + nodeName);
    }

    /** Every informer event becomes a task on the agent loop, in the order the informer saw them. */
    private <T> ResourceEventHandler<T> handler(String kind, Consumer<T> onChange, Consumer<T> onDelete) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                loop.post(kind + " added", () -> onChange.accept(object));
            }

            @Override
            public void onUpdate(T previous, T object) {
                loop.post(kind + " updated", () -> onChange.accept(object));
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
                loop.post(kind + " deleted", () -> onDelete.accept(object));
            }
        };
    }

    public String nodeName() {
        return nodeName;
    }

    /** Marks the agent's block in /etc/hosts ({@code # BEGIN runnel-kube-testbed <id>}). */
    public String id() {
        return id;
    }

    public Path runDir() {
        return runDir;
    }

    /** The agent's diary: every pod start, exit, probe change, proxy change and survived failure. */
    public Path agentLog() {
        return log.file();
    }

    /** Where a pod's files live: its container logs and one folder per pod instance (uid). */
    public Path podDir(String namespace, String pod) {
        return supervisor.podDir(namespace, pod);
    }

    /** stdout+stderr of a container of the pod, appended across restarts and re-creations. */
    public Path logFile(String namespace, String pod, String container) {
        return podDir(namespace, pod).resolve(container + ".log");
    }

    /** The log of the pod's first container. */
    public Path logFile(String namespace, String pod) {
        String container = supervisor.firstContainer(namespace, pod)
                .orElseThrow(() -> new IllegalArgumentException("no pod " + namespace + "/" + pod + " was ever bound to node " + nodeName));
        return logFile(namespace, pod, container);
    }

    /** The pod's IP (stable for the pod's name), once the agent has seen it. */
    public Optional<String> podIp(String namespace, String pod) {
        return loop.call(() -> supervisor.podIp(namespace, pod));
    }

    /** The host folder behind a bound claim (its PersistentVolume's hostPath). */
    public Optional<Path> claimFolder(String namespace, String claim) {
        return objects.claimFolder(namespace, claim);
    }

    /** The pids of every container process running now. */
    public List<Long> processIds() {
        return loop.call(supervisor::processIds);
    }

    /** The ClusterIPs the agent's proxies listen on (each added to lo). */
    public List<String> clusterIps() {
        return loop.call(services::clusterIps);
    }

    /** Every address the agent added to lo: pod IPs and ClusterIPs. */
    public List<String> loopbackAddresses() {
        return loop.call(() -> List.copyOf(loopback.addresses()));
    }

    /** The agent's block in /etc/hosts as it is now. */
    public List<String> hostsBlock() {
        return loop.call(hosts::blockLines);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        log.info("agent " + id + " closing");
        informers.forEach(SharedIndexInformer::close);
        List<PodSupervisor.Stopping> stopping = List.of();
        try {
            stopping = loop.call(() -> {
                if (heartbeat != null) heartbeat.cancel(false);
                return supervisor.shutdown();
            });
        } catch (RuntimeException e) {
            log.error("stopping pods", e);
        }
        awaitStopped(stopping);
        try {
            loop.call(() -> {
                services.close();
                loopback.removeAll(); // pod addresses too
                hosts.clear();
                return null;
            });
        } catch (RuntimeException e) {
            log.error("removing services and names", e);
        }
        loop.close();
        probes.close();
        log.info("agent " + id + " closed");
    }

    /** Waits for every stopping process within its grace period, then SIGKILLs its group. */
    private void awaitStopped(List<PodSupervisor.Stopping> stopping) {
        Instant start = Instant.now();
        for (PodSupervisor.Stopping each : stopping) {
            long leftMs = Duration.ofSeconds(each.gracePeriodSeconds()).minus(Duration.between(start, Instant.now())).toMillis();
            try {
                if (!each.process().waitFor(Math.max(0, leftMs), TimeUnit.MILLISECONDS)) {
                    log.info("pid " + each.process().pid() + " outlived its grace period: SIGKILL");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ProcessTree.kill(each.process().toHandle());
            try {
                each.process().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
