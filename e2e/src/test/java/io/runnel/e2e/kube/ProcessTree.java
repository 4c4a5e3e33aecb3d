package io.runnel.e2e.kube;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Signals a container's whole process tree. Each container runs under {@code setsid}, so its
 * main process leads a process group of its own: a signal to the group ({@code kill -- -pgid})
 * reaches every process it started, even ones that left the main process's descendants. The
 * live descendants are also signalled one by one, for a child that changed its group. Stateless.
 */
final class ProcessTree {
    private ProcessTree() {
    }

    /** Asks the tree to stop (SIGTERM), as the kubelet does at the start of a grace period. */
    static void terminate(ProcessHandle leader) {
        signal(leader, "TERM");
    }

    /** Stops the tree now (SIGKILL): the end of a grace period, or leftovers of an exited container. */
    static void kill(ProcessHandle leader) {
        signal(leader, "KILL");
    }

    private static void signal(ProcessHandle leader, String signal) {
        // Descendants first: once the leader is gone they are reparented and out of reach this way.
        leader.descendants().forEach(child -> {
            if (signal.equals("KILL")) child.destroyForcibly();
            else child.destroy();
        });
        try {
            Process kill = new ProcessBuilder("/usr/bin/kill", "-s", signal, "--", "-" + leader.pid())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // kill(1) missing: the leader itself still gets the signal below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (signal.equals("KILL")) leader.destroyForcibly();
        else leader.destroy();
    }
}
