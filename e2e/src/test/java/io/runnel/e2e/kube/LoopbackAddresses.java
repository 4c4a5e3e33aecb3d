package io.runnel.e2e.kube;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Addresses made local: pod IPs and service ClusterIPs are each added to {@code lo} as a /32
 * ({@code ip addr add}) so a pod or a proxy can listen on them, and removed again when their
 * service goes or the agent closes. Remembers what it added so that close removes exactly those,
 * and keeps that list in the agent's /etc/hosts block ({@link HostsFile#loopbackAddresses}) so
 * that a later agent can remove them should this JVM die without closing. Agent thread only.
 */
final class LoopbackAddresses {
    private final AgentLog log;
    private final HostsFile registry;
    private final Set<String> added = new TreeSet<>();

    LoopbackAddresses(AgentLog log, HostsFile registry) {
        this.log = log;
        this.registry = registry;
    }

    /** Adds {@code address} to lo; an address that is already there (left by a crashed run) counts as added. */
    void add(String address) {
        if (added.contains(address)) return;
        String output = ip("addr", "add", address + "/32", "dev", "lo");
        if (output != null && !output.contains("File exists")) {
            throw new IllegalStateException("ip addr add " + address + "/32 dev lo failed (the agent needs root): " + output);
        }
        added.add(address);
        registry.loopbackAddresses(added);
    }

    void remove(String address) {
        if (!added.remove(address)) return;
        String output = ip("addr", "del", address + "/32", "dev", "lo");
        if (output != null) log.info("ip addr del " + address + "/32 dev lo: " + output);
        registry.loopbackAddresses(added);
    }

    /** Removes addresses an agent that died without closing had added (see {@link HostsFile#dropStaleBlocks}). */
    void removeOrphaned(Set<String> addresses) {
        for (String address : addresses) {
            if (added.contains(address)) continue;
            String output = ip("addr", "del", address + "/32", "dev", "lo");
            log.info("removed " + address + " left on lo by a dead agent" + (output == null ? "" : ": " + output));
        }
    }

    Set<String> addresses() {
        return Set.copyOf(added);
    }

    void removeAll() {
        for (String address : Set.copyOf(added)) remove(address);
    }

    /** Runs ip(8); null when it succeeded, else its output. */
    private static String ip(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "/usr/sbin/ip";
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "ip did not finish";
            }
            return process.exitValue() == 0 ? null : output;
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
