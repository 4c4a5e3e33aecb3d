package io.runnel.e2e.support;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One Linux network namespace per node of a {@link RunnelCluster}, each joined by a veth pair to a
 * bridge in the test's own namespace, so that a test can cut the links between nodes (a network
 * partition) while the test and Kafka's tools, which run in the test's namespace, still reach
 * every node.
 *
 * <p>Layout, for a run id {@code r} (six random hex digits, in every name, so concurrent runs never
 * share anything) and a subnet {@code 10.213.k.0/24} that no interface or route of the test's
 * namespace uses yet:
 * <ul>
 *   <li>test's namespace: bridge {@code rn<r>br} with {@code 10.213.k.254/24}; per node the veth
 *       end {@code rn<r>h<id>}, a port of the bridge;</li>
 *   <li>node {@code id}'s namespace {@code runnel-<r>-n<id>}: {@code lo}, and the veth end
 *       {@code rn<r>g<id>} with {@code 10.213.k.<id>/24}. The node's process is launched with
 *       {@code ip netns exec runnel-<r>-n<id> java ...}, which execs java in its own pid, so
 *       signals sent to the launched process reach the broker.</li>
 * </ul>
 *
 * <p>How {@link #cut} partitions: each node namespace gets, at setup, its {@code local} routing
 * table moved from rule preference 0 to 100, so that a rule of preference 10 is consulted first
 * even for packets addressed to the node itself. A cut adds, in both namespaces of every cut pair,
 * {@code ip rule add pref 10 from <the other node> blackhole}: a packet from the other side is
 * dropped silently on arrival. Nothing answers (no RST, no ICMP), so connections stall and time
 * out as on a real partition, in both directions. The test's namespace has no such rule, so its
 * clients keep reaching a cut-off node: a client may go on talking to a leader that has lost its
 * followers and its controller. {@link #healAll} deletes the rules. Only packets between nodes are
 * affected; ARP and the bridge are untouched.
 *
 * <p>Requirements: root (network namespaces need CAP_SYS_ADMIN, links and rules CAP_NET_ADMIN) and
 * iproute2's {@code ip}. {@link #create} throws {@link Unavailable}, with the reason, when either
 * is missing, so a test can skip just the scenario that needs it. (No iptables or tc actions are
 * needed: the machine this was written on has neither.)
 *
 * <p>Cleanup: {@link #close} deletes the namespaces (and with them the veth pairs) and the bridge
 * (and with it its address and route); a JVM shutdown hook does the same if the JVM ends without
 * {@link #close}. A namespace lives on while a process runs in it, so close the cluster first.
 * Not thread-safe: one test thread sets up, cuts, heals and closes.
 */
public final class NamespacedNetwork implements NodeNetwork, AutoCloseable {
    private static final String SUBNET_PREFIX = "10.213.";
    private static final int CUT_RULE_PREFERENCE = 10;
    private static final int LOCAL_TABLE_PREFERENCE = 100;
    /** Hang guard for one {@code ip} command. */
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);

    private final String runId;
    private final String subnet;
    private final List<Integer> nodeIds;
    private final Path dir;
    private final Set<String> createdNamespaces = new LinkedHashSet<>();
    private boolean bridgeCreated;
    /** Every cut in force: "namespace|source address" pairs, each one blackhole rule. */
    private final Set<List<String>> cutRules = new LinkedHashSet<>();
    private final Thread shutdownHook = new Thread(this::removeEverything, "namespaced-network-cleanup");
    private boolean closed;

    /** Why the namespaces could not be set up (not root, no {@code ip}, namespaces refused). */
    public static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    private NamespacedNetwork(String runId, String subnet, List<Integer> nodeIds, Path dir) {
        this.runId = runId;
        this.subnet = subnet;
        this.nodeIds = List.copyOf(nodeIds);
        this.dir = dir;
    }

    /** Sets up a namespace per node id, the bridge and the veth pairs; output of every {@code ip} call under {@code dir}. */
    public static NamespacedNetwork create(List<Integer> nodeIds, Path dir) throws Unavailable {
        for (int id : nodeIds) {
            if (id < 1 || id > 253) throw new IllegalArgumentException("node ids must be 1..253 (the last octet), not " + id);
        }
        if (!isRoot()) {
            throw new Unavailable("network namespaces need root (CAP_SYS_ADMIN and CAP_NET_ADMIN); this test runs as uid "
                    + System.getProperty("user.name"));
        }
        ExternalCommand.Result addresses = ip(dir, "-o", "-4", "addr", "show");
        ExternalCommand.Result routes = ip(dir, "-4", "route", "show", "table", "all");
        if (!addresses.succeeded() || !routes.succeeded()) {
            throw new Unavailable("iproute2's ip does not work here:\n" + addresses.describe() + "\n" + routes.describe());
        }
        String subnet = freeSubnet(addresses.stdout() + routes.stdout());
        String runId = HexFormat.of().formatHex(new SecureRandom().generateSeed(3));
        NamespacedNetwork network = new NamespacedNetwork(runId, subnet, nodeIds, dir);
        Runtime.getRuntime().addShutdownHook(network.shutdownHook);
        try {
            network.build();
        } catch (Unavailable | RuntimeException | AssertionError e) {
            network.close();
            throw e;
        }
        return network;
    }

    @Override
    public String host(int nodeId) {
        requireNode(nodeId);
        return subnet + nodeId;
    }

    /** The test's own address on the bridge: where connections from the test's namespace to a node come from. */
    public String testHost() {
        return subnet + "254";
    }

    @Override
    public List<String> launchPrefix(int nodeId) {
        return List.of("ip", "netns", "exec", namespace(nodeId));
    }

    public String namespace(int nodeId) {
        requireNode(nodeId);
        return "runnel-" + runId + "-n" + nodeId;
    }

    /**
     * Cuts node {@code nodeId} off from each of {@code peers}, in both directions: packets between
     * them are dropped silently on arrival. The test's namespace still reaches all of them.
     */
    public void cut(int nodeId, Collection<Integer> peers) {
        for (int peer : peers) {
            if (peer == nodeId) throw new IllegalArgumentException("cannot cut node " + nodeId + " off from itself");
            addCutRule(namespace(nodeId), host(peer));
            addCutRule(namespace(peer), host(nodeId));
        }
    }

    /** Removes every cut: all nodes reach each other again. */
    public void healAll() {
        for (List<String> rule : List.copyOf(cutRules)) {
            ExternalCommand.Result deleted = ip(dir, "-n", rule.get(0), "rule", "del", "pref", Integer.toString(CUT_RULE_PREFERENCE),
                    "from", rule.get(1), "blackhole");
            if (!deleted.succeeded()) throw new AssertionError("healing the cut " + rule + " failed\n" + deleted.describe());
            cutRules.remove(rule);
        }
    }

    /** Every cut in force, as {@code namespace drops packets from address}; for logs and failure messages. */
    public String describeCuts() {
        if (cutRules.isEmpty()) return "no cuts";
        return cutRules.stream().map(r -> r.get(0) + " drops packets from " + r.get(1)).collect(Collectors.joining("; "));
    }

    /** Deletes the namespaces and the bridge. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        removeEverything();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs (or ran) removeEverything itself
        }
    }

    @Override
    public String toString() {
        return "network namespaces runnel-" + runId + "-n<id> on bridge " + bridge() + " (" + subnet + "0/24)";
    }

    private void build() throws Unavailable {
        String bridge = bridge();
        ExternalCommand.Result added = ip(dir, "link", "add", bridge, "type", "bridge");
        if (!added.succeeded()) throw new Unavailable("cannot create a bridge (ip link add type bridge):\n" + added.describe());
        bridgeCreated = true;
        run("addr", "add", testHost() + "/24", "dev", bridge);
        run("link", "set", bridge, "up");
        for (int id : nodeIds) {
            String namespace = namespace(id);
            ExternalCommand.Result created = ip(dir, "netns", "add", namespace);
            if (!created.succeeded()) throw new Unavailable("cannot create a network namespace (ip netns add):\n" + created.describe());
            createdNamespaces.add(namespace);
            String hostEnd = "rn" + runId + "h" + id;
            String nodeEnd = "rn" + runId + "g" + id;
            run("link", "add", hostEnd, "type", "veth", "peer", "name", nodeEnd);
            run("link", "set", nodeEnd, "netns", namespace);
            run("link", "set", hostEnd, "master", bridge);
            run("link", "set", hostEnd, "up");
            run("-n", namespace, "link", "set", "lo", "up");
            run("-n", namespace, "addr", "add", host(id) + "/24", "dev", nodeEnd);
            run("-n", namespace, "link", "set", nodeEnd, "up");
            // Cut rules (preference 10) must come before the local table, which answers first at preference 0 by default.
            run("-n", namespace, "rule", "add", "pref", Integer.toString(LOCAL_TABLE_PREFERENCE), "lookup", "local");
            run("-n", namespace, "rule", "del", "pref", "0");
        }
    }

    private void addCutRule(String namespace, String source) {
        List<String> rule = List.of(namespace, source);
        if (cutRules.contains(rule)) return;
        run("-n", namespace, "rule", "add", "pref", Integer.toString(CUT_RULE_PREFERENCE), "from", source, "blackhole");
        cutRules.add(rule);
    }

    /** Best effort: every step is tried even if one fails, so a half-built network is removed too. */
    private synchronized void removeEverything() {
        for (String namespace : List.copyOf(createdNamespaces)) {
            ExternalCommand.Result deleted = ip(dir, "netns", "del", namespace);
            if (deleted.succeeded()) createdNamespaces.remove(namespace);
            else System.err.println("NamespacedNetwork: cannot delete " + namespace + "\n" + deleted.describe());
        }
        if (bridgeCreated) {
            ExternalCommand.Result deleted = ip(dir, "link", "del", bridge());
            if (deleted.succeeded()) bridgeCreated = false;
            else System.err.println("NamespacedNetwork: cannot delete bridge " + bridge() + "\n" + deleted.describe());
        }
        cutRules.clear();
    }

    private String bridge() {
        return "rn" + runId + "br";
    }

    private void requireNode(int nodeId) {
        if (!nodeIds.contains(nodeId)) throw new IllegalArgumentException("no node " + nodeId + " in " + nodeIds);
    }

    private void run(String... args) {
        ExternalCommand.Result result = ip(dir, args);
        if (!result.succeeded()) throw new AssertionError("ip " + String.join(" ", args) + " failed\n" + result.describe());
    }

    private static ExternalCommand.Result ip(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        try {
            return ExternalCommand.of(command).name("ip").dir(dir).timeout(IP_TIMEOUT).run();
        } catch (java.io.UncheckedIOException e) {
            // No ip binary: the launch itself fails.
            return new ExternalCommand.Result(command, 127, false, "", e.toString(), dir, IP_TIMEOUT);
        }
    }

    /** A {@code 10.213.k.} prefix that nothing in the test's namespace uses (addresses, routes of any table). */
    private static String freeSubnet(String inUse) throws Unavailable {
        List<Integer> candidates = new ArrayList<>();
        for (int k = 1; k <= 250; k++) candidates.add(k);
        java.util.Collections.shuffle(candidates, new SecureRandom());
        for (int k : candidates) {
            String prefix = SUBNET_PREFIX + k + ".";
            if (!inUse.contains(prefix)) return prefix;
        }
        throw new Unavailable("every 10.213.k.0/24 subnet is in use in this namespace");
    }

    /** Whether this JVM runs as uid 0 (the real uid, first field of /proc/self/status's Uid line). */
    private static boolean isRoot() {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:")).findFirst()
                    .map(line -> line.substring("Uid:".length()).trim().split("\\s+")[0].equals("0")).orElse(false);
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
