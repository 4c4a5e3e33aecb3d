package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Stream;

/**
 * One pod instance (one uid) on the test node: its containers, its prepared volumes, where it is
 * in its life (starting, terminating, its object deleted) and the status last posted for it. The
 * status is computed from this state alone ({@link #status}), so posting is "compute, compare,
 * patch if different". Agent thread only.
 */
final class PodRun {
    final String namespace;
    final String name;
    final String uid;
    final String ip;
    /** Per pod name: container logs (kept across re-creation). */
    final Path dir;
    /** Per pod instance: emptyDirs, written volumes, working directories. */
    final Path instanceDir;
    final Instant startTime = Instant.now();
    final List<ContainerRun> initContainers = new ArrayList<>();
    final List<ContainerRun> containers = new ArrayList<>();
    Pod pod;
    Map<String, Path> volumes;
    String phase = "Pending";
    /** Waiting for the processes of a pod of the same name that is still going away (same IP and ports). */
    boolean blocked;
    boolean terminating;
    boolean deleteRequested;
    /** The pod object is gone from the API server. */
    boolean gone;
    ScheduledFuture<?> retry;
    PodStatus lastPosted;
    private final Map<String, PodCondition> conditions = new HashMap<>();

    PodRun(Pod pod, String ip, Path dir) {
        this.pod = pod;
        this.namespace = pod.getMetadata().getNamespace();
        this.name = pod.getMetadata().getName();
        this.uid = pod.getMetadata().getUid();
        this.ip = ip;
        this.dir = dir;
        this.instanceDir = dir.resolve("uid-" + uid);
        for (Container c : pod.getSpec().getInitContainers()) {
            initContainers.add(new ContainerRun(c, true, dir.resolve(c.getName() + ".log"), instanceDir.resolve("work").resolve(c.getName())));
        }
        for (Container c : pod.getSpec().getContainers()) {
            containers.add(new ContainerRun(c, false, dir.resolve(c.getName() + ".log"), instanceDir.resolve("work").resolve(c.getName())));
        }
    }

    String key() {
        return namespace + "/" + name;
    }

    Stream<ContainerRun> all() {
        return Stream.concat(initContainers.stream(), containers.stream());
    }

    boolean anyProcess() {
        return all().anyMatch(ContainerRun::running);
    }

    boolean initialized() {
        return initContainers.stream().allMatch(c -> c.done);
    }

    String restartPolicy() {
        return pod.getSpec().getRestartPolicy() == null ? "Always" : pod.getSpec().getRestartPolicy();
    }

    /** The grace period for stopping this pod's processes: the deletion's, else the spec's, else 30 s. */
    long gracePeriodSeconds() {
        if (pod.getMetadata().getDeletionGracePeriodSeconds() != null) return pod.getMetadata().getDeletionGracePeriodSeconds();
        if (pod.getSpec().getTerminationGracePeriodSeconds() != null) return pod.getSpec().getTerminationGracePeriodSeconds();
        return 30;
    }

    void cancelTimers() {
        if (retry != null) retry.cancel(false);
        retry = null;
        all().forEach(ContainerRun::cancelTimers);
    }

    PodStatus status(String hostIp) {
        boolean initialized = initialized();
        boolean containersReady = !containers.isEmpty() && containers.stream().allMatch(c -> c.ready);
        List<PodCondition> list = List.of(
                condition("Initialized", initialized, initialized ? null : "ContainersNotInitialized"),
                condition("Ready", containersReady, containersReady ? null : "ContainersNotReady"),
                condition("ContainersReady", containersReady, containersReady ? null : "ContainersNotReady"),
                scheduled());
        PodStatusBuilder status = new PodStatusBuilder()
                .withPhase(phase)
                .withConditions(list)
                .withHostIP(hostIp)
                .withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build())
                .withStartTime(ContainerRun.time(startTime))
                .withContainerStatuses(containers.stream().map(ContainerRun::status).toList());
        if (!initContainers.isEmpty()) status.withInitContainerStatuses(initContainers.stream().map(ContainerRun::status).toList());
        return status.build();
    }

    /** A condition whose lastTransitionTime changes only when its status does. */
    private PodCondition condition(String type, boolean value, String reason) {
        String status = value ? "True" : "False";
        PodCondition previous = conditions.get(type);
        if (previous != null && previous.getStatus().equals(status)) return previous;
        PodCondition next = new PodConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withLastTransitionTime(ContainerRun.time(Instant.now())).build();
        conditions.put(type, next);
        return next;
    }

    /** PodScheduled as the scheduler set it (kept, since a merge patch replaces the whole list). */
    private PodCondition scheduled() {
        if (pod.getStatus() != null) {
            for (PodCondition c : pod.getStatus().getConditions()) {
                if ("PodScheduled".equals(c.getType())) return c;
            }
        }
        return conditions.computeIfAbsent("PodScheduled", type -> new PodConditionBuilder().withType(type).withStatus("True")
                .withLastTransitionTime(ContainerRun.time(startTime)).build());
    }
}
