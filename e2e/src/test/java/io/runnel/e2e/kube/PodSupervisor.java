package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's pod workers for the test node: runs each pod bound to the node as local
 * processes, reports its status, probes, restarts and stops it.
 *
 * <p>A pod's life here:
 * <ol>
 *   <li>First sight: it gets its stable IP (the node's with hostNetwork) and its DNS name (before
 *       any process starts, so peers resolve each other early; the name stays for the agent's
 *       life, like the IP), and a Pending status with that IP.</li>
 *   <li>Volumes are prepared (retried every 2 s while a claim is unbound or an object missing),
 *       then init containers run one at a time to completion, then every container starts.</li>
 *   <li>A container that cannot start (unknown image: ErrImagePull; missing ConfigMap/Secret
 *       key: CreateContainerConfigError) waits with that reason and is retried.</li>
 *   <li>Probes: a startupProbe gates the others; readiness sets {@code ready} after
 *       successThreshold successes and clears it after failureThreshold failures; liveness
 *       failures (failureThreshold in a row) restart the container.</li>
 *   <li>An exited container is restarted per restartPolicy, after a doubling back-off capped at
 *       {@link Settings#maxRestartBackoffMs}, with restartCount and lastState updated.</li>
 *   <li>Deletion (a deletionTimestamp): SIGTERM to every container's process group, SIGKILL when
 *       the grace period ends, and once every process is gone the pod object is deleted with
 *       grace 0 and a uid precondition (so a successor of the same name is never hit). A pod of
 *       the same name created meanwhile waits until those processes are gone (same IP, ports).</li>
 * </ol>
 * Status is posted through the status subresource (merge patch) only when it differs from the
 * last one posted. Agent thread only (process exits and probe results arrive through the loop),
 * except {@link #firstContainer} and {@link #podDir}, which any thread may call.
 */
final class PodSupervisor {
    static final String HOST_IP = "127.0.0.1";
    private static final Duration RETRY = Duration.ofSeconds(2);

    /** Knobs for tests: caps on probe periods and restart back-off (milliseconds). */
    record Settings(long maxProbePeriodMs, long maxRestartBackoffMs) {
        static Settings fromSystemProperties() {
            return new Settings(Long.getLong("runnel.e2e.kube.maxProbePeriodMs", Long.MAX_VALUE),
                    Long.getLong("runnel.e2e.kube.maxRestartBackoffMs", 10_000));
        }
    }

    /** A process that has been asked to stop, and how long it may take. */
    record Stopping(Process process, long gracePeriodSeconds) {
    }

    private enum ProbeKind { STARTUP, READINESS, LIVENESS }

    private final KubernetesClient client;
    private final AgentLoop loop;
    private final AgentLog log;
    private final EventRecorder events;
    private final ClusterObjects objects;
    private final LocalImages images;
    private final PodAddresses addresses;
    private final HostsFile hosts;
    private final ProbeRunner probes;
    private final Path podsDir;
    private final Map<String, String> serviceEnv;
    private final Settings settings;
    private final Map<String, PodRun> pods = new HashMap<>();
    /** Pods whose object is gone but whose processes are still stopping. */
    private final List<PodRun> dying = new ArrayList<>();
    /**
     * The first container of every pod name seen, for {@code logFile(ns, pod)} even after the pod
     * is gone. Written by the agent thread only; concurrent so that tests may read it directly.
     */
    private final Map<String, String> firstContainer = new ConcurrentHashMap<>();
    private boolean closing;

    PodSupervisor(KubernetesClient client, AgentLoop loop, AgentLog log, EventRecorder events, ClusterObjects objects,
                  LocalImages images, PodAddresses addresses, HostsFile hosts, ProbeRunner probes, Path podsDir,
                  Map<String, String> serviceEnv, Settings settings) {
        this.client = client;
        this.loop = loop;
        this.log = log;
        this.events = events;
        this.objects = objects;
        this.images = images;
        this.addresses = addresses;
        this.hosts = hosts;
        this.probes = probes;
        this.podsDir = podsDir;
        this.serviceEnv = Map.copyOf(serviceEnv);
        this.settings = settings;
    }

    // ---- informer events ----

    void onPod(Pod pod) {
        if (closing) return;
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        PodRun run = pods.get(key);
        if (run != null && !run.uid.equals(pod.getMetadata().getUid())) {
            // The pod we ran was replaced while we did not see its deletion: treat it as deleted.
            forgetObject(run);
            run = null;
        }
        if (run == null) {
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                // Deleted while nothing of it runs here (e.g. before this agent started): finish the deletion.
                deleteObject(pod.getMetadata().getNamespace(), pod.getMetadata().getName(), pod.getMetadata().getUid());
                return;
            }
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if ("Succeeded".equals(phase) || "Failed".equals(phase)) return; // finished before: never run again
            String ip = Boolean.TRUE.equals(pod.getSpec().getHostNetwork()) ? HOST_IP
                    : addresses.addressOf(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
            run = new PodRun(pod, ip, podsDir.resolve(pod.getMetadata().getNamespace()).resolve(pod.getMetadata().getName()));
            pods.put(key, run);
            if (!pod.getSpec().getContainers().isEmpty()) firstContainer.put(key, pod.getSpec().getContainers().get(0).getName());
            log.info("pod " + key + " (" + run.uid + ") is bound to this node; IP " + run.ip);
            publishName(run);
            start(run);
            return;
        }
        run.pod = pod;
        if (pod.getMetadata().getDeletionTimestamp() != null) terminate(run);
    }

    void onPodDeleted(Pod pod) {
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        PodRun run = pods.get(key);
        if (run != null && run.uid.equals(pod.getMetadata().getUid())) forgetObject(run);
    }

    // ---- starting ----

    private void start(PodRun run) {
        boolean predecessorRunning = dying.stream().anyMatch(d -> d.key().equals(run.key()) && d.anyProcess());
        if (predecessorRunning) {
            run.blocked = true;
            log.info("pod " + run.key() + " waits for the processes of its predecessor to stop");
            return;
        }
        run.blocked = false;
        createDirectories(run.instanceDir.resolve("home"));
        postStatus(run);
        advance(run);
    }

    /** Moves the pod forward: volumes, then init containers one by one, then every container. */
    private void advance(PodRun run) {
        if (closing || run.terminating || run.gone || run.blocked || isFinished(run)) return;
        if (run.volumes == null) {
            try {
                run.volumes = PodVolumes.prepare(run.pod, run.instanceDir, objects, context(run));
            } catch (PodVolumes.NotReady | KubernetesClientException | UncheckedIOException e) {
                String message = "MountVolume failed: " + e.getMessage();
                boolean news = run.all().noneMatch(c -> message.equals(c.waitingMessage));
                run.all().forEach(c -> c.waiting("ContainerCreating", message));
                log.info("pod " + run.key() + ": " + message + "; retrying");
                if (news) events.warning(run.pod, "FailedMount", message);
                run.retry = loop.schedule("volumes of " + run.key(), RETRY, () -> advance(run));
                postStatus(run);
                return;
            }
        }
        for (ContainerRun init : run.initContainers) {
            if (init.done) continue;
            if (!init.running() && init.pendingStart == null) launch(run, init);
            postStatus(run);
            return;
        }
        for (ContainerRun container : run.containers) {
            if (!container.done && !container.running() && container.pendingStart == null && container.launches == 0) launch(run, container);
        }
        postStatus(run);
    }

    private void launch(PodRun run, ContainerRun container) {
        container.pendingStart = null;
        if (closing || run.terminating || run.gone) return;
        Optional<LocalImages.Image> image = images.lookup(container.spec.getImage());
        Optional<String> problem = image.isEmpty()
                ? Optional.of("image " + container.spec.getImage() + " has no local command on the test node (it knows "
                        + images.repositories() + ")")
                : image.get().pullProblem().map(p -> "image " + container.spec.getImage() + ": " + p);
        if (problem.isPresent()) {
            failStart(run, container, "ErrImagePull", problem.get(), Duration.ofSeconds(5));
            return;
        }
        Map<String, String> env;
        List<String> argv;
        List<ContainerLaunch.Mount> mounts;
        try {
            env = ContainerEnvironment.compute(run.pod, container.spec, context(run), objects);
            argv = ContainerCommand.argv(container.spec, image.get(), env);
            mounts = ContainerLaunch.mounts(container.spec, run.volumes, env);
        } catch (ContainerEnvironment.ConfigError | PodVolumes.NotReady | KubernetesClientException e) {
            failStart(run, container, "CreateContainerConfigError", e.getMessage(), RETRY);
            return;
        }
        Path workDir = container.spec.getWorkingDir() != null && !container.spec.getWorkingDir().isEmpty()
                ? Path.of(container.spec.getWorkingDir()) : container.workDir;
        createDirectories(container.workDir);
        ProcessBuilder builder = new ProcessBuilder(ContainerLaunch.argv(mounts, workDir, argv))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(container.logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(env);
        appendLine(container.logFile, "=== testbed: start " + (container.launches + 1) + " of container " + container.name() + " of pod "
                + run.key() + " (uid " + run.uid + ", IP " + run.ip + ") at " + Instant.now() + ": " + String.join(" ", argv));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            failStart(run, container, "RunContainerError", e.getMessage(), RETRY);
            return;
        }
        if (container.terminated != null || container.lastTerminated != null) container.restartCount++;
        if (container.terminated != null) container.lastTerminated = container.terminated;
        container.terminated = null;
        container.launches++;
        container.process = process;
        container.env = env;
        container.startedAt = Instant.now();
        container.waiting(null, null);
        container.readinessSuccesses = 0;
        container.readinessFailures = 0;
        container.livenessFailures = 0;
        container.startupFailures = 0;
        container.started = container.spec.getStartupProbe() == null;
        container.ready = container.started && container.spec.getReadinessProbe() == null;
        if (!container.init) run.phase = "Running";
        int launch = container.launches;
        process.onExit().thenAccept(exited -> loop.post("exit of " + run.key() + "/" + container.name(),
                () -> onExit(run, container, launch, exited.exitValue())));
        log.info("started " + run.key() + "/" + container.name() + " as pid " + process.pid() + ": " + String.join(" ", argv));
        events.normal(run.pod, "Started", "Started container " + container.name());
        if (container.spec.getStartupProbe() != null) scheduleProbe(run, container, ProbeKind.STARTUP, launch, true);
        else scheduleRegularProbes(run, container, launch);
    }

    private void failStart(PodRun run, ContainerRun container, String reason, String message, Duration retryAfter) {
        boolean changed = !reason.equals(container.waitingReason) || !message.equals(container.waitingMessage);
        container.waiting(reason, message);
        if (changed) events.warning(run.pod, "Failed", "Error: " + reason + ": " + message);
        container.pendingStart = loop.schedule("retry " + run.key() + "/" + container.name(), retryAfter, () -> launch(run, container));
        postStatus(run);
    }

    // ---- exits and restarts ----

    private void onExit(PodRun run, ContainerRun container, int launch, int exitCode) {
        if (launch != container.launches || container.process == null) return;
        Process process = container.process;
        Instant now = Instant.now();
        ProcessTree.kill(process.toHandle()); // leftovers of its group
        container.terminated = new ContainerRun.Termination(exitCode, exitCode == 0 ? "Completed" : "Error", null,
                container.startedAt, now, process.pid());
        container.process = null;
        container.ready = false;
        container.started = false;
        container.probeTimers.forEach(timer -> timer.cancel(false));
        container.probeTimers.clear();
        if (container.killTimer != null) container.killTimer.cancel(false);
        container.killTimer = null;
        log.info(run.key() + "/" + container.name() + " (pid " + process.pid() + ") exited with " + exitCode);
        appendLine(container.logFile, "=== testbed: container " + container.name() + " of pod " + run.key() + " exited with " + exitCode
                + " at " + now);
        if (run.terminating || run.gone || closing) {
            finishTermination(run);
            return;
        }
        String policy = run.restartPolicy();
        boolean restart = policy.equals("Always") || (policy.equals("OnFailure") && exitCode != 0);
        if (container.init && exitCode == 0) {
            container.done = true;
            advance(run);
            return;
        }
        if (container.init && policy.equals("Never")) {
            container.done = true;
            run.phase = "Failed";
        } else if (container.init || restart) {
            scheduleRestart(run, container, Duration.between(container.startedAt, now));
        } else {
            container.done = true;
            if (run.containers.stream().allMatch(c -> c.done)) {
                boolean allSucceeded = run.containers.stream().allMatch(c -> c.terminated != null && c.terminated.exitCode() == 0);
                run.phase = allSucceeded ? "Succeeded" : "Failed";
            }
        }
        postStatus(run);
    }

    /** Restarts after a back-off: immediately the first time, then 1 s doubling up to the cap; a run of a minute resets it. */
    private void scheduleRestart(PodRun run, ContainerRun container, Duration ranFor) {
        if (ranFor.toSeconds() >= 60) container.crashesInARow = 0;
        container.crashesInARow++;
        long delayMs = container.crashesInARow <= 1 ? 0
                : Math.min(settings.maxRestartBackoffMs(), 1000L << Math.min(20, container.crashesInARow - 2));
        container.lastTerminated = container.terminated;
        container.terminated = null;
        if (delayMs > 0) {
            String message = "back-off " + delayMs + "ms restarting failed container=" + container.name() + " pod=" + run.name;
            container.waiting("CrashLoopBackOff", message);
            events.warning(run.pod, "BackOff", message);
        } else {
            container.waiting("ContainerCreating", null);
        }
        container.pendingStart = loop.schedule("restart " + run.key() + "/" + container.name(), Duration.ofMillis(delayMs),
                () -> launch(run, container));
    }

    // ---- probes ----

    private void scheduleRegularProbes(PodRun run, ContainerRun container, int launch) {
        if (container.spec.getReadinessProbe() != null) scheduleProbe(run, container, ProbeKind.READINESS, launch, true);
        if (container.spec.getLivenessProbe() != null) scheduleProbe(run, container, ProbeKind.LIVENESS, launch, true);
    }

    private void scheduleProbe(PodRun run, ContainerRun container, ProbeKind kind, int launch, boolean first) {
        Probe probe = probe(container, kind);
        long periodMs = Math.min(settings.maxProbePeriodMs(), 1000L * (probe.getPeriodSeconds() == null ? 10 : probe.getPeriodSeconds()));
        long initialMs = Math.min(settings.maxProbePeriodMs(), 1000L * (probe.getInitialDelaySeconds() == null ? 0 : probe.getInitialDelaySeconds()));
        Duration delay = Duration.ofMillis(first ? initialMs : periodMs);
        container.probeTimers.removeIf(timer -> timer.isDone());
        container.probeTimers.add(loop.schedule(kind + " probe of " + run.key() + "/" + container.name(), delay,
                () -> probeDue(run, container, kind, launch)));
    }

    private void probeDue(PodRun run, ContainerRun container, ProbeKind kind, int launch) {
        if (stale(run, container, launch)) return;
        probes.attempt(probe(container, kind), container.spec, run.ip, container.process.pid(), container.env)
                .whenComplete((result, failure) -> loop.post(kind + " result of " + run.key() + "/" + container.name(),
                        () -> onProbe(run, container, kind, launch,
                                failure == null ? result : new ProbeRunner.Result(false, failure.toString()))));
    }

    private void onProbe(PodRun run, ContainerRun container, ProbeKind kind, int launch, ProbeRunner.Result result) {
        if (stale(run, container, launch)) return;
        Probe probe = probe(container, kind);
        int failureThreshold = probe.getFailureThreshold() == null ? 3 : probe.getFailureThreshold();
        int successThreshold = probe.getSuccessThreshold() == null ? 1 : probe.getSuccessThreshold();
        switch (kind) {
            case STARTUP -> {
                if (result.success()) {
                    container.started = true;
                    if (container.spec.getReadinessProbe() == null) container.ready = true;
                    scheduleRegularProbes(run, container, launch);
                    postStatus(run);
                    return;
                }
                if (++container.startupFailures >= failureThreshold) {
                    killForRestart(run, container, "Startup probe failed: " + result.message());
                    return;
                }
            }
            case READINESS -> {
                boolean wasReady = container.ready;
                if (result.success()) {
                    container.readinessFailures = 0;
                    if (++container.readinessSuccesses >= successThreshold) container.ready = true;
                } else {
                    container.readinessSuccesses = 0;
                    if (++container.readinessFailures >= failureThreshold) container.ready = false;
                    if (wasReady) log.info("readiness probe of " + run.key() + "/" + container.name() + " failed: " + result.message());
                }
                if (wasReady && !container.ready) {
                    events.warning(run.pod, "Unhealthy", "Readiness probe failed: " + result.message());
                }
                if (wasReady != container.ready) postStatus(run);
            }
            case LIVENESS -> {
                if (result.success()) {
                    container.livenessFailures = 0;
                } else if (++container.livenessFailures >= failureThreshold) {
                    events.warning(run.pod, "Unhealthy", "Liveness probe failed: " + result.message());
                    killForRestart(run, container, "Container " + container.name() + " failed liveness probe, will be restarted");
                    return;
                }
            }
        }
        scheduleProbe(run, container, kind, launch, false);
    }

    private boolean stale(PodRun run, ContainerRun container, int launch) {
        return closing || run.terminating || run.gone || launch != container.launches || container.process == null;
    }

    private static Probe probe(ContainerRun container, ProbeKind kind) {
        return switch (kind) {
            case STARTUP -> container.spec.getStartupProbe();
            case READINESS -> container.spec.getReadinessProbe();
            case LIVENESS -> container.spec.getLivenessProbe();
        };
    }

    // ---- stopping ----

    /** SIGTERM now, SIGKILL after the pod's grace period; the exit then restarts it per policy. */
    private void killForRestart(PodRun run, ContainerRun container, String reason) {
        events.normal(run.pod, "Killing", reason);
        stopProcess(run, container);
    }

    private void stopProcess(PodRun run, ContainerRun container) {
        Process process = container.process;
        if (process == null || container.killTimer != null) return;
        ProcessTree.terminate(process.toHandle());
        long graceSeconds = run.gracePeriodSeconds();
        int launch = container.launches;
        container.killTimer = loop.schedule("SIGKILL " + run.key() + "/" + container.name(), Duration.ofSeconds(graceSeconds), () -> {
            if (container.launches == launch && container.process != null) {
                log.info(run.key() + "/" + container.name() + " outlived its grace period of " + graceSeconds + " s: SIGKILL");
                ProcessTree.kill(container.process.toHandle());
            }
        });
    }

    /** The pod got a deletionTimestamp: stop every process, then delete the object. */
    private void terminate(PodRun run) {
        if (run.terminating) return;
        run.terminating = true;
        run.cancelTimers();
        log.info("pod " + run.key() + " is being deleted: stopping its containers (grace " + run.gracePeriodSeconds() + " s)");
        if (run.anyProcess()) events.normal(run.pod, "Killing", "Stopping containers of pod " + run.name);
        run.all().filter(ContainerRun::running).forEach(c -> stopProcess(run, c));
        finishTermination(run);
    }

    /** Once no process of the pod runs: delete its object (if it is being deleted) and let a successor start. */
    private void finishTermination(PodRun run) {
        if (run.anyProcess()) return;
        if (run.terminating && !run.gone && !run.deleteRequested && !closing) {
            run.deleteRequested = true;
            deleteObject(run.namespace, run.name, run.uid);
        }
        if (run.gone && dying.remove(run)) {
            log.info("the processes of deleted pod " + run.key() + " (" + run.uid + ") are gone");
            PodRun successor = pods.get(run.key());
            if (successor != null && successor.blocked) start(successor);
        }
    }

    /** The pod object is gone (deleted by us, or forcibly by someone): its processes must go too. */
    private void forgetObject(PodRun run) {
        pods.remove(run.key(), run);
        run.gone = true;
        run.cancelTimers();
        if (run.anyProcess()) {
            dying.add(run);
            run.all().filter(ContainerRun::running).forEach(c -> stopProcess(run, c));
        }
        log.info("pod " + run.key() + " (" + run.uid + ") is gone from the API server");
    }

    /** DELETE with grace 0 and a uid precondition: what the kubelet does once the containers are stopped. */
    private void deleteObject(String namespace, String name, String uid) {
        String body = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"" + uid + "\"}}";
        URI uri = URI.create(client.getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + namespace + "/pods/" + name);
        try {
            HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(uri).delete("application/json", body).build();
            HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
            log.info("deleted pod object " + namespace + "/" + name + " (" + uid + "): HTTP " + response.code());
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            log.error("deleting pod object " + namespace + "/" + name, e);
        }
    }

    /** Stops everything for the agent's close: SIGTERM to every process; the caller waits and SIGKILLs. */
    List<Stopping> shutdown() {
        closing = true;
        List<Stopping> stopping = new ArrayList<>();
        List<PodRun> runs = new ArrayList<>(pods.values());
        runs.addAll(dying);
        for (PodRun run : runs) {
            run.cancelTimers();
            for (ContainerRun container : run.all().toList()) {
                if (container.killTimer != null) container.killTimer.cancel(false);
                if (container.process == null) continue;
                ProcessTree.terminate(container.process.toHandle());
                stopping.add(new Stopping(container.process, run.gracePeriodSeconds()));
            }
        }
        return stopping;
    }

    // ---- status, names, queries ----

    private void postStatus(PodRun run) {
        if (run.gone || run.deleteRequested || closing) return;
        PodStatus status = run.status(HOST_IP);
        if (status.equals(run.lastPosted)) return;
        Pod patch = new PodBuilder().withNewMetadata().withName(run.name).withNamespace(run.namespace).withUid(run.uid).endMetadata()
                .withStatus(status).build();
        try {
            client.pods().inNamespace(run.namespace).resource(patch).patchStatus();
            run.lastPosted = status;
        } catch (KubernetesClientException e) {
            log.info("status of pod " + run.key() + " not posted (HTTP " + e.getCode() + "): " + e.getMessage());
            if (e.getCode() != 404 && e.getCode() != 409 && (run.retry == null || run.retry.isDone())) {
                run.retry = loop.schedule("status of " + run.key(), RETRY, () -> {
                    run.retry = null;
                    postStatus(run);
                });
            }
        }
    }

    /** {@code <hostname>.<subdomain>.<ns>.svc[.cluster.local]} for a pod with both set (StatefulSet pods). */
    private void publishName(PodRun run) {
        String hostname = run.pod.getSpec().getHostname();
        String subdomain = run.pod.getSpec().getSubdomain();
        if (hostname == null || hostname.isEmpty() || subdomain == null || subdomain.isEmpty()) return;
        String name = hostname + "." + subdomain + "." + run.namespace + ".svc";
        hosts.put("pod/" + run.key(), List.of(new HostsFile.Entry(run.ip, List.of(name + ".cluster.local", name))));
    }

    private ContainerEnvironment.Context context(PodRun run) {
        String hostname = run.pod.getSpec().getHostname() != null && !run.pod.getSpec().getHostname().isEmpty()
                ? run.pod.getSpec().getHostname() : run.name;
        Map<String, String> runtimeEnv = new LinkedHashMap<>();
        runtimeEnv.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        runtimeEnv.put("HOSTNAME", hostname);
        // A home of the pod's own: nothing of the machine's (~/.kube/config above all) leaks into the container.
        runtimeEnv.put("HOME", run.instanceDir.resolve("home").toString());
        return new ContainerEnvironment.Context(run.ip, HOST_IP, runtimeEnv, serviceEnv, NodeRegistration.ALLOCATABLE);
    }

    private static boolean isFinished(PodRun run) {
        return run.phase.equals("Succeeded") || run.phase.equals("Failed");
    }

    Optional<String> podIp(String namespace, String name) {
        return addresses.existing(namespace, name);
    }

    Optional<String> firstContainer(String namespace, String name) {
        return Optional.ofNullable(firstContainer.get(namespace + "/" + name));
    }

    Path podDir(String namespace, String name) {
        return podsDir.resolve(namespace).resolve(name);
    }

    List<Long> processIds() {
        List<PodRun> runs = new ArrayList<>(pods.values());
        runs.addAll(dying);
        return runs.stream().flatMap(PodRun::all).filter(ContainerRun::running).map(c -> c.process.pid()).toList();
    }

    private static void appendLine(Path file, String line) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
