package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.E2eSettings.BrokerKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Assumptions;

/**
 * A Runnel cluster of {@code N} nodes (ids 1..N), each Runnel's packaged broker
 * ({@code quarkus-run.jar}) as its own OS process, the way {@link BrokerProcess} launches one.
 * Every node is broker and controller ({@code process.roles=broker,controller}) and a voter of the
 * metadata quorum ({@code controller.quorum.voters} names all N); all share one
 * {@code cluster.id}.
 *
 * <p>What it owns: per node, three ports (client listener {@code PLAINTEXT}, controller
 * listener {@code CONTROLLER}, HTTP for {@code /q/health} and {@code /q/metrics}; a fourth for
 * {@link Builder#interBrokerListener} if asked) on the node's
 * address, loopback unless {@link Builder#network} places the nodes elsewhere (e.g. one network
 * namespace each, {@link NamespacedNetwork}, so that links between them can be cut), a directory
 * {@code node-<id>/} under a fresh {@link #dir()} in {@code e2e/target/e2e/runs} holding the
 * node's log dir ({@code data/}) and {@code broker.log} (everything the process printed, appended
 * across launches, each launch marked with an {@code === e2e: launch} line), and the process.
 *
 * <p>Invariants: a node keeps its id, ports and data dir for the cluster's life, so
 * {@link #restart} brings back the same member of the quorum on the same data. {@link #start}
 * launches every node before it waits for any, because each node waits for a quorum leader
 * (a majority of voters) before it is ready: nodes started one by one would never get there.
 * A node is ready when its {@code /q/health/ready} answers 200 and a Metadata request on its
 * client port lists a broker.
 *
 * <p>Faults, per node: {@link #kill} (SIGKILL: nothing flushed, no controlled shutdown),
 * {@link #pause}/{@link #resume} ({@code kill -STOP}/{@code kill -CONT}: the process is frozen
 * with its sockets open, as in a long GC pause or a hung VM), {@link #stop} (SIGTERM: controlled
 * shutdown). {@link #close} resumes paused nodes first, since a stopped process cannot act on
 * SIGTERM.
 *
 * <p>Runnel only: Apache Kafka needs its storage formatted per node and other keys, and the
 * suites that use this class test Runnel's cluster, so with {@code -Drunnel.e2e.broker=kafka} or
 * an external {@code -Drunnel.e2e.bootstrap} {@link Builder#start} skips the calling test with
 * that reason.
 *
 * <p>Not thread-safe: one test thread drives the nodes' lifecycles; other threads may only read
 * the bootstrap strings and paths. Timeouts here are hang guards (minutes), never speed checks.
 */
public final class RunnelCluster implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);

    private final String name;
    private final Path dir;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Map<String, String> config;
    private final List<String> jvmArgs;
    private final NodeNetwork network;
    private final String interBrokerListener;
    private final Map<Integer, Node> nodes = new TreeMap<>();

    private RunnelCluster(Builder builder) {
        this.name = builder.name;
        this.config = Map.copyOf(builder.config);
        this.jvmArgs = List.copyOf(builder.jvmArgs);
        this.network = builder.network;
        this.interBrokerListener = builder.interBrokerListener;
        this.dir = E2eSettings.newDir(name);
        // Free in the test's own namespace; a node in a namespace of its own has every port free anyway.
        int portsPerNode = interBrokerListener == null ? 3 : 4;
        int[] ports = BrokerProcess.freePorts(portsPerNode * builder.size);
        for (int id = 1; id <= builder.size; id++) {
            int base = portsPerNode * (id - 1);
            Node node = new Node(id, network.host(id), ports[base], ports[base + 1], ports[base + 2], dir.resolve("node-" + id));
            if (interBrokerListener != null) node.interBrokerPort = ports[base + 3];
            nodes.put(id, node);
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    public static final class Builder {
        private final String name;
        private final Map<String, String> config = new LinkedHashMap<>();
        private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m"));
        private int size = 3;
        private NodeNetwork network = NodeNetwork.LOOPBACK;
        private String interBrokerListener;

        private Builder(String name) {
            this.name = name;
            config.put("auto.create.topics.enable", "false");
            config.put("num.partitions", "1");
        }

        /** How many nodes (default 3); each is a voter, so a majority must run for any to be ready. */
        public Builder nodes(int size) {
            if (size < 1) throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
            this.size = size;
            return this;
        }

        /** A setting for every node, under Kafka's key name (Runnel reads it as RUNNEL_KEY_NAME). */
        public Builder config(String key, String value) {
            config.put(key, value);
            return this;
        }

        /** Replaces every node's JVM options (default {@code -Xmx512m}). */
        public Builder jvmArgs(String... args) {
            jvmArgs.clear();
            jvmArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Gives every node a listener of its own for replication and transaction markers,
         * {@code name://host:port} on a fourth port, and makes it {@code inter.broker.listener.name};
         * its protocol and security come from {@link #config} ({@code listener.security.protocol.map},
         * {@code listener.name.<name>.…}). The client listener stays PLAINTEXT, for the test's clients.
         */
        public Builder interBrokerListener(String name) {
            this.interBrokerListener = name;
            return this;
        }

        /** Where the nodes listen and run (default {@link NodeNetwork#LOOPBACK}); the caller keeps and closes it, after the cluster. */
        public Builder network(NodeNetwork network) {
            this.network = network;
            return this;
        }

        /** Launches every node at once and waits until all are ready; skips the test on Kafka or an external broker. */
        public RunnelCluster start() {
            Assumptions.assumeTrue(E2eSettings.brokerKind() == BrokerKind.RUNNEL,
                    "RunnelCluster launches Runnel's packaged broker only (Apache Kafka's nodes need formatted storage and "
                            + "their own config); -Drunnel.e2e.broker=kafka is set");
            Assumptions.assumeTrue(E2eSettings.externalBootstrap().isEmpty(),
                    "RunnelCluster launches, kills and pauses its own broker processes; -Drunnel.e2e.bootstrap="
                            + E2eSettings.externalBootstrap().orElse("") + " points at an external broker");
            RunnelCluster cluster = new RunnelCluster(this);
            try {
                cluster.startNodes(cluster.nodeIds());
            } catch (RuntimeException | AssertionError e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    public List<Integer> nodeIds() {
        return List.copyOf(nodes.keySet());
    }

    public String clusterId() {
        return clusterId;
    }

    /** Every node's client listener, {@code host:port,...}. */
    public String bootstrap() {
        return bootstrap(nodeIds());
    }

    /** The client listeners of these nodes only (e.g. the survivors, so a client never picks a dead one to bootstrap from). */
    public String bootstrap(List<Integer> ids) {
        return ids.stream().map(id -> node(id).clientAddress()).collect(Collectors.joining(","));
    }

    /** Node {@code id}'s client listener alone, {@code host:port}: a request sent there is answered by that node. */
    public String bootstrap(int id) {
        return node(id).clientAddress();
    }

    /** Every node but {@code id}. */
    public List<Integer> othersThan(int id) {
        return nodeIds().stream().filter(other -> other != id).toList();
    }

    public int controllerPort(int id) {
        return node(id).controllerPort;
    }

    public int httpPort(int id) {
        return node(id).httpPort;
    }

    /** {@code id@host:controllerPort,...}, as every node is configured. */
    public String voters() {
        return nodes.values().stream().map(n -> n.id + "@" + n.host + ":" + n.controllerPort).collect(Collectors.joining(","));
    }

    /** The cluster's own directory: one {@code node-<id>/} per node, and tool output. */
    public Path dir() {
        return dir;
    }

    /** Node {@code id}'s log dir ({@code log.dirs}). */
    public Path dataDir(int id) {
        return node(id).dataDir;
    }

    /** Node {@code id}'s copy of the metadata log: {@code <log dir>/__cluster_metadata-0}, Kafka segment files and {@code quorum-state}. */
    public Path metadataLogDir(int id) {
        return dataDir(id).resolve("__cluster_metadata-0");
    }

    public Path logFile(int id) {
        return node(id).logFile;
    }

    public long pid(int id) {
        Node node = node(id);
        if (node.process == null) throw new IllegalStateException("node " + id + " was never launched");
        return node.process.pid();
    }

    /** Whether node {@code id}'s process exists (a paused one does). */
    public boolean isAlive(int id) {
        Node node = node(id);
        return node.process != null && node.process.isAlive();
    }

    public boolean isPaused(int id) {
        return node(id).paused;
    }

    /** The nodes whose process runs and is not paused. */
    public List<Integer> runningIds() {
        return nodeIds().stream().filter(id -> isAlive(id) && !isPaused(id)).toList();
    }

    /** Crash: SIGKILL, then wait for the process to be gone. Nothing is flushed, no controlled shutdown. */
    public void kill(int id) {
        Node node = node(id);
        if (node.process == null || !node.process.isAlive()) return;
        node.appendToLog("=== e2e: SIGKILL of node " + id + " at " + Instant.now() + "\n");
        node.process.destroyForcibly(); // SIGKILL on Linux; it also ends a paused process
        awaitExit(node, "SIGKILL");
        node.paused = false;
    }

    /**
     * Freezes node {@code id} with {@code kill -STOP}: its sockets stay open and connections to it
     * succeed, but it answers nothing and sends no heartbeat until {@link #resume}. Returns once
     * the kernel reports the process stopped.
     */
    public void pause(int id) {
        Node node = node(id);
        requireAlive(node, "pause");
        node.appendToLog("=== e2e: SIGSTOP of node " + id + " at " + Instant.now() + "\n");
        signal(node, "-STOP");
        node.paused = true;
        awaitProcessState(node, 'T', "SIGSTOP");
    }

    /** Lets a paused node {@code id} run again ({@code kill -CONT}). */
    public void resume(int id) {
        Node node = node(id);
        requireAlive(node, "resume");
        signal(node, "-CONT");
        node.paused = false;
        node.appendToLog("=== e2e: SIGCONT of node " + id + " at " + Instant.now() + "\n");
    }

    /** Graceful stop of node {@code id}: SIGTERM (controlled shutdown), then wait for the process to exit. */
    public void stop(int id) {
        Node node = node(id);
        if (node.process == null || !node.process.isAlive()) return;
        if (node.paused) resume(id);
        node.process.destroy();
        awaitExit(node, "SIGTERM");
    }

    /** Stops every node: SIGTERM to all at once, then waits for each. */
    public void stopAll() {
        for (Node node : nodes.values()) {
            if (node.process == null || !node.process.isAlive()) continue;
            if (node.paused) resume(node.id);
            node.process.destroy();
        }
        for (Node node : nodes.values()) {
            if (node.process != null) awaitExit(node, "SIGTERM");
        }
    }

    /** Launches node {@code id} again on its ports and data dir, and waits until it is ready. */
    public void restart(int id) {
        startNodes(List.of(id));
    }

    /**
     * Launches these stopped nodes all at once, then waits until each is ready. Several at once
     * when the quorum has lost its majority: none of them is ready before a majority runs.
     */
    public void startNodes(List<Integer> ids) {
        for (int id : ids) {
            Node node = node(id);
            if (node.process != null && node.process.isAlive()) {
                throw new IllegalStateException("node " + id + " is still running; stop() or kill() it first");
            }
        }
        for (int id : ids) launch(node(id));
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        for (int id : ids) awaitReady(node(id), deadline);
    }

    /** The last lines of node {@code id}'s log, for failure messages. */
    public String logTail(int id, int lines) {
        Path file = logFile(id);
        try {
            List<String> all = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
            return "--- last lines of " + file + " ---\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** The last lines of every node's log. */
    public String logTails(int lines) {
        return nodeIds().stream().map(id -> logTail(id, lines)).collect(Collectors.joining("\n"));
    }

    /** Resumes paused nodes, then stops every node (SIGTERM, SIGKILL past the hang guard). Idempotent. */
    @Override
    public void close() {
        for (Node node : nodes.values()) {
            if (node.process != null && node.process.isAlive() && node.paused) {
                try {
                    resume(node.id);
                } catch (RuntimeException | AssertionError e) {
                    node.process.destroyForcibly();
                }
            }
        }
        for (Node node : nodes.values()) {
            if (node.process != null && node.process.isAlive()) node.process.destroy();
        }
        for (Node node : nodes.values()) {
            if (node.process == null) continue;
            try {
                if (!node.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) node.process.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                node.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private Node node(int id) {
        Node node = nodes.get(id);
        if (node == null) throw new IllegalArgumentException("no node " + id + " in " + this);
        return node;
    }

    private void requireAlive(Node node, String what) {
        if (node.process == null || !node.process.isAlive()) {
            throw new IllegalStateException("cannot " + what + " node " + node.id + ": it is not running");
        }
    }

    private void launch(Node node) {
        node.launches++;
        node.paused = false;
        try {
            Files.createDirectories(node.dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(network.launchPrefix(node.id));
        command.add(E2eSettings.javaLauncher());
        command.addAll(E2eSettings.runnelAotArgs());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(E2eSettings.brokerJar().toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(node.dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(node.logFile.toFile()));
        builder.environment().putAll(environment(node));
        node.appendToLog("=== e2e: launch " + node.launches + " of node " + node.id + " of cluster " + name + " at " + Instant.now()
                + ": " + String.join(" ", command) + "\n");
        try {
            node.process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("launching " + command, e);
        }
    }

    /** Runnel reads each Kafka-named setting as RUNNEL_UPPER_SNAKE; the advertised listener is left to its default (the client listener). */
    private Map<String, String> environment(Node node) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("RUNNEL_NODE_ID", Integer.toString(node.id));
        env.put("RUNNEL_CLUSTER_ID", clusterId);
        env.put("RUNNEL_PROCESS_ROLES", "broker,controller");
        env.put("RUNNEL_LISTENERS", "PLAINTEXT://" + node.clientAddress() + ",CONTROLLER://" + node.host + ":" + node.controllerPort
                + (interBrokerListener == null ? "" : "," + interBrokerListener + "://" + node.host + ":" + node.interBrokerPort));
        if (interBrokerListener != null) env.put("RUNNEL_INTER_BROKER_LISTENER_NAME", interBrokerListener);
        env.put("RUNNEL_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        env.put("RUNNEL_CONTROLLER_QUORUM_VOTERS", voters());
        env.put("RUNNEL_LOG_DIRS", node.dataDir.toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(node.httpPort));
        env.put("QUARKUS_HTTP_HOST", node.host);
        config.forEach((key, value) -> env.put("RUNNEL_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), value));
        return env;
    }

    private void awaitReady(Node node, Instant deadline) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String lastProblem = "not probed yet";
        while (Instant.now().isBefore(deadline)) {
            if (!node.process.isAlive()) {
                fail("node " + node.id + " exited with code " + node.process.exitValue() + " before it was ready\n" + logTail(node.id, 60));
            }
            try {
                lastProblem = Readiness.problem(http, "http://" + node.host + ":" + node.httpPort + "/q/health/ready", node.clientAddress());
                if (lastProblem == null) return;
            } catch (IOException e) {
                lastProblem = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            Pause.sleep(200);
        }
        fail("node " + node.id + " at " + node.clientAddress() + " was not ready within " + READY_TIMEOUT + " (last: " + lastProblem
                + "; a node is ready only once a majority of the voters runs)\n" + logTails(40));
    }

    private void awaitExit(Node node, String signal) {
        try {
            if (!node.process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                node.process.destroyForcibly().waitFor();
                fail("node " + node.id + " (pid " + node.process.pid() + ") did not exit within " + STOP_TIMEOUT + " of " + signal + "\n"
                        + logTail(node.id, 40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends a signal with the system's kill(1): Java's Process API has no SIGSTOP or SIGCONT. */
    private static void signal(Node node, String signal) {
        ExternalCommand.Result result = ExternalCommand.of("kill", signal, Long.toString(node.process.pid()))
                .name("kill" + signal).dir(node.dir).timeout(Duration.ofSeconds(30)).run();
        if (!result.succeeded()) fail("kill " + signal + " of node " + node.id + " failed\n" + result.describe());
    }

    /** Waits until /proc/PID/stat shows {@code state} (T: stopped by a signal). */
    private static void awaitProcessState(Node node, char state, String after) {
        Path stat = Path.of("/proc", Long.toString(node.process.pid()), "stat");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            try {
                last = Files.readString(stat);
                // Field 3, after the parenthesised command name (which may itself hold spaces).
                char current = last.charAt(last.lastIndexOf(')') + 2);
                if (current == state) return;
            } catch (IOException e) {
                last = e.toString();
            }
            Pause.sleep(20);
        }
        fail("node " + node.id + " is not in state " + state + " after " + after + ": " + stat + " = " + last);
    }

    @Override
    public String toString() {
        return "cluster " + name + " (" + clusterId + ") of nodes " + nodeIds() + " at " + bootstrap() + " (network: " + network + ")";
    }

    /** One node: fixed id, ports and directories; the process of its current launch. */
    private static final class Node {
        final int id;
        final String host;
        final int clientPort;
        final int controllerPort;
        final int httpPort;
        /** The {@link Builder#interBrokerListener} port; 0 without one. */
        int interBrokerPort;
        final Path dir;
        final Path dataDir;
        final Path logFile;
        Process process;
        boolean paused;
        int launches;

        Node(int id, String host, int clientPort, int controllerPort, int httpPort, Path dir) {
            this.id = id;
            this.host = host;
            this.clientPort = clientPort;
            this.controllerPort = controllerPort;
            this.httpPort = httpPort;
            this.dir = dir;
            this.dataDir = dir.resolve("data");
            this.logFile = dir.resolve("broker.log");
        }

        String clientAddress() {
            return host + ":" + clientPort;
        }

        void appendToLog(String line) {
            try {
                Files.createDirectories(dir);
                Files.writeString(logFile, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
