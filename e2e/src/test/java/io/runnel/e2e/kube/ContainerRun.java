package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/**
 * One container of one pod instance on the test node: its current process (at most one), what
 * it is waiting for, how its last run ended, its restart count and probe counters, and the timers
 * that act on it. {@link #launches} numbers the process starts; an exit or probe result of an
 * earlier start is stale and ignored. Agent thread only.
 */
final class ContainerRun {
    /** How a run of the container ended. */
    record Termination(int exitCode, String reason, String message, Instant startedAt, Instant finishedAt, long pid) {
    }

    final Container spec;
    final boolean init;
    final Path logFile;
    final Path workDir;

    int launches;
    Process process;
    Instant startedAt;
    /** The env of the current process, for exec probes. */
    Map<String, String> env = Map.of();
    int restartCount;
    int crashesInARow;
    boolean started;
    boolean ready;
    String waitingReason = "ContainerCreating";
    String waitingMessage;
    /** The current state when it is "terminated" (finished for good, or an init container that completed). */
    Termination terminated;
    Termination lastTerminated;
    /** No more runs: an init container that completed, or a container its restart policy leaves stopped. */
    boolean done;
    ScheduledFuture<?> pendingStart;
    ScheduledFuture<?> killTimer;
    final List<ScheduledFuture<?>> probeTimers = new ArrayList<>();
    int readinessSuccesses;
    int readinessFailures;
    int livenessFailures;
    int startupFailures;

    ContainerRun(Container spec, boolean init, Path logFile, Path workDir) {
        this.spec = spec;
        this.init = init;
        this.logFile = logFile;
        this.workDir = workDir;
    }

    String name() {
        return spec.getName();
    }

    boolean running() {
        return process != null;
    }

    void waiting(String reason, String message) {
        waitingReason = reason;
        waitingMessage = message;
    }

    /** Stops every timer of the container (restarts, retries, probes, a pending SIGKILL stays). */
    void cancelTimers() {
        if (pendingStart != null) pendingStart.cancel(false);
        pendingStart = null;
        probeTimers.forEach(timer -> timer.cancel(false));
        probeTimers.clear();
    }

    ContainerStatus status() {
        ContainerStatusBuilder status = new ContainerStatusBuilder()
                .withName(spec.getName())
                .withImage(spec.getImage())
                .withImageID("")
                .withReady(ready)
                .withRestartCount(restartCount)
                .withStarted(running() && started)
                .withState(state());
        if (process != null) status.withContainerID("runnel-testbed://" + process.pid());
        else if (terminated != null) status.withContainerID("runnel-testbed://" + terminated.pid());
        if (lastTerminated != null) status.withLastState(terminatedState(lastTerminated));
        return status.build();
    }

    private ContainerState state() {
        if (process != null) return new ContainerStateBuilder().withNewRunning().withStartedAt(time(startedAt)).endRunning().build();
        if (terminated != null) return terminatedState(terminated);
        return new ContainerStateBuilder().withNewWaiting().withReason(waitingReason).withMessage(waitingMessage).endWaiting().build();
    }

    private static ContainerState terminatedState(Termination t) {
        return new ContainerStateBuilder().withNewTerminated()
                .withExitCode(t.exitCode()).withReason(t.reason()).withMessage(t.message())
                .withStartedAt(time(t.startedAt())).withFinishedAt(time(t.finishedAt()))
                .withContainerID("runnel-testbed://" + t.pid())
                .endTerminated().build();
    }

    static String time(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
