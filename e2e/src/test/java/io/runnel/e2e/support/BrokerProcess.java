package io.runnel.e2e.support;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.E2eSettings.BrokerKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Assumptions;

/**
 * One broker as a separate OS process: Runnel's packaged broker ({@code quarkus-run.jar}) or, with
 * {@code -Drunnel.e2e.broker=kafka}, Apache Kafka in KRaft single-node mode, so the same suites
 * prove Runnel and check themselves against the real thing.
 *
 * <p>Lifecycle: {@link #start} picks free loopback ports and a fresh data dir under
 * {@code e2e/target/e2e/runs}, launches the broker and waits until it is ready (Runnel: HTTP
 * {@code /q/health/ready} is 200; both: a Metadata request on the Kafka port lists a broker).
 * {@link #stop} sends SIGTERM and waits; {@link #kill} sends SIGKILL; {@link #restart} launches
 * again on the same ports and data dir. Everything the process prints goes, appended across
 * restarts, to {@link #logFile()}, which suites read to check the broker named a problem.
 *
 * <p>With {@code -Drunnel.e2e.bootstrap=host:port} no process is launched: {@link #bootstrap()}
 * is that address, and anything that needs the process (kill, restart, its files, its log) skips
 * the calling test with a reason.
 *
 * <p>Not thread-safe: one test thread drives a broker's lifecycle; other threads may only read
 * {@link #bootstrap()}.
 *
 * <p>Timeouts here are hang guards (a broker that never comes up fails the test with its log tail
 * instead of blocking the build), never speed checks: each is minutes, far above normal.
 */
public final class BrokerProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);
    private static final String RUN_ID = Long.toString(System.currentTimeMillis(), 36);

    private final String name;
    private final BrokerKind kind;
    private final Map<String, String> config;
    private final List<String> jvmArgs;
    private final String externalBootstrap;
    private final Path dir;
    private final Path dataDir;
    private final Path logFile;
    private final int kafkaPort;
    private final int auxPort; // Runnel: HTTP port; Kafka: controller listener port.
    /** Extra client listeners (beside PLAINTEXT on kafkaPort): name → security protocol, and name → port. */
    private final Map<String, String> extraListenerProtocols;
    private final Map<String, Integer> extraListenerPorts = new LinkedHashMap<>();
    private Process process;
    private int launches;

    private BrokerProcess(Builder builder) {
        this.name = builder.name;
        this.kind = E2eSettings.brokerKind();
        this.config = Map.copyOf(builder.config);
        this.jvmArgs = List.copyOf(builder.jvmArgs);
        this.externalBootstrap = E2eSettings.externalBootstrap().orElse(null);
        this.dir = E2eSettings.newDir(name);
        this.dataDir = dir.resolve("data");
        this.logFile = dir.resolve("broker.log");
        this.extraListenerProtocols = Map.copyOf(builder.listeners);
        int[] ports = freePorts(2 + builder.listeners.size());
        this.kafkaPort = ports[0];
        this.auxPort = ports[1];
        int next = 2;
        for (String listener : builder.listeners.keySet()) extraListenerPorts.put(listener, ports[next++]);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A broker with the suites' defaults: auto-create off, one partition per new topic. */
    public static BrokerProcess start(String name) {
        return builder(name).start();
    }

    public static final class Builder {
        private final String name;
        private final Map<String, String> config = new LinkedHashMap<>();
        private final List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m"));
        private final Map<String, String> listeners = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
            config.put("auto.create.topics.enable", "false");
            config.put("num.partitions", "1");
        }

        /** A broker setting under Kafka's key name (Runnel reads it as RUNNEL_KEY_NAME). */
        public Builder config(String key, String value) {
            config.put(key, value);
            return this;
        }

        /** Replaces the JVM options (default {@code -Xmx512m}). */
        public Builder jvmArgs(String... args) {
            jvmArgs.clear();
            jvmArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Another client listener {@code name} speaking {@code securityProtocol} (SSL, SASL_SSL, ...)
         * on its own free loopback port, beside the PLAINTEXT one (which readiness and admin calls
         * keep using); {@link BrokerProcess#bootstrap(String)} is its address. Its settings go
         * through {@link #config} under {@code listener.name.<name lower-cased>.}.
         */
        public Builder listener(String name, String securityProtocol) {
            listeners.put(name, securityProtocol);
            return this;
        }

        public BrokerProcess start() {
            BrokerProcess broker = new BrokerProcess(this);
            broker.launch();
            return broker;
        }
    }

    public String bootstrap() {
        return externalBootstrap != null ? externalBootstrap : "127.0.0.1:" + kafkaPort;
    }

    /** host:port of the extra listener {@code name} ({@link Builder#listener}); skips the test on an external broker. */
    public String bootstrap(String listenerName) {
        assumeLaunchedHere("connects to its own listener " + listenerName);
        Integer port = extraListenerPorts.get(listenerName);
        if (port == null) throw new IllegalArgumentException("no listener " + listenerName + "; the broker has " + extraListenerPorts.keySet());
        return "127.0.0.1:" + port;
    }

    /** Runnel's HTTP port ({@code quarkus.http.port}: health, {@code /q/metrics}); skips the test on Kafka or an external broker. */
    public int httpPort() {
        assumeLaunchedHere("Runnel's HTTP endpoints");
        Assumptions.assumeTrue(kind == BrokerKind.RUNNEL, "Apache Kafka has no /q/metrics");
        return auxPort;
    }

    /**
     * A topic name for this test: {@code base} itself on a broker the suite launched (fresh data
     * dir), {@code base} plus a per-run suffix on an external broker, so reruns do not collide.
     */
    public String topic(String base) {
        return externalBootstrap == null ? base : base + "-" + RUN_ID;
    }

    public BrokerKind kind() {
        return kind;
    }

    public boolean isExternal() {
        return externalBootstrap != null;
    }

    /** This test's own directory: data dir, broker log, client output. */
    public Path dir() {
        return dir;
    }

    public Path dataDir() {
        assumeLaunchedHere("reads the broker's data files");
        return dataDir;
    }

    public Path logFile() {
        assumeLaunchedHere("reads the broker's log");
        return logFile;
    }

    public long pid() {
        assumeLaunchedHere("needs the broker's pid");
        return process.pid();
    }

    public boolean isAlive() {
        return externalBootstrap != null || (process != null && process.isAlive());
    }

    /** Resident set size of the broker process, from /proc/PID/status (VmRSS), in KiB. */
    public long rssKib() {
        Path status = Path.of("/proc", Long.toString(pid()), "status");
        try (Stream<String> lines = Files.lines(status)) {
            return lines.filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no VmRSS in " + status));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + status + " (is the broker alive?)", e);
        }
    }

    /** A position in the broker log; {@link #logSince} returns what was written after it. */
    public long logMark() {
        if (externalBootstrap != null) return 0;
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String logSince(long mark) {
        assumeLaunchedHere("reads the broker's log");
        try {
            byte[] bytes = Files.readAllBytes(logFile);
            int from = (int) Math.min(mark, bytes.length);
            return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of the broker log, for failure messages. */
    public String logTail(int lines) {
        if (externalBootstrap != null) return "(external broker " + externalBootstrap + ": no log)";
        try {
            List<String> all = Files.exists(logFile) ? Files.readAllLines(logFile, StandardCharsets.UTF_8) : List.of();
            return "--- last lines of " + logFile + " ---\n"
                    + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e + ")";
        }
    }

    /** Graceful stop: SIGTERM, then wait for the process to exit. */
    public void stop() {
        assumeLaunchedHere("stops the broker");
        if (process == null || !process.isAlive()) return;
        process.destroy();
        awaitExit("SIGTERM");
    }

    /** Crash: SIGKILL, then wait for the process to be gone. Nothing is flushed or closed. */
    public void kill() {
        assumeLaunchedHere("kills the broker");
        if (process == null || !process.isAlive()) return;
        process.destroyForcibly(); // SIGKILL on Linux
        awaitExit("SIGKILL");
    }

    /** Launches the broker again on the same ports and data dir, and waits until it is ready. */
    public void restart() {
        assumeLaunchedHere("restarts the broker");
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("restart() of a broker that is still running; stop() or kill() it first");
        }
        launch();
    }

    @Override
    public void close() {
        if (externalBootstrap == null && process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Skips the calling test, with a reason, when the broker is external (runnel.e2e.bootstrap). */
    public void assumeLaunchedHere(String what) {
        Assumptions.assumeTrue(externalBootstrap == null,
                "this test " + what + ", so it needs a broker process the suite launches; runnel.e2e.bootstrap="
                        + externalBootstrap + " points at an external one");
    }

    private void awaitExit(String signal) {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail("broker " + name + " (pid " + process.pid() + ") did not exit within " + STOP_TIMEOUT
                        + " of " + signal + "\n" + logTail(40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void launch() {
        if (externalBootstrap != null) {
            awaitReady(null);
            return;
        }
        launches++;
        List<String> command = switch (kind) {
            case RUNNEL -> runnelCommand();
            case KAFKA -> kafkaCommand();
        };
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        if (kind == BrokerKind.RUNNEL) builder.environment().putAll(runnelEnvironment());
        appendToLog("=== e2e: launch " + launches + " of broker " + name + " (" + kind + ") at " + Instant.now()
                + ": " + String.join(" ", command) + "\n");
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("launching " + command, e);
        }
        awaitReady(process);
    }

    private List<String> runnelCommand() {
        List<String> command = new ArrayList<>();
        command.add(E2eSettings.javaLauncher());
        command.addAll(E2eSettings.runnelAotArgs());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(E2eSettings.brokerJar().toString());
        return command;
    }

    /** Runnel reads each Kafka-named setting as RUNNEL_UPPER_SNAKE (e.g. RUNNEL_LOG_DIRS). */
    private Map<String, String> runnelEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        String listener = "PLAINTEXT://127.0.0.1:" + kafkaPort + extraListeners();
        env.put("RUNNEL_NODE_ID", "1");
        env.put("RUNNEL_LISTENERS", listener);
        env.put("RUNNEL_ADVERTISED_LISTENERS", listener);
        if (!extraListenerPorts.isEmpty()) env.put("RUNNEL_LISTENER_SECURITY_PROTOCOL_MAP", protocolMap());
        env.put("RUNNEL_LOG_DIRS", dataDir.toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(auxPort));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        config.forEach((key, value) -> env.put("RUNNEL_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), value));
        return env;
    }

    private List<String> kafkaCommand() {
        try {
            Path properties = dir.resolve("server.properties");
            Files.writeString(properties, kafkaServerProperties());
            Path log4j = dir.resolve("log4j2.properties");
            Files.writeString(log4j, """
                    status = warn
                    appender.out.type = Console
                    appender.out.name = out
                    appender.out.layout.type = PatternLayout
                    appender.out.layout.pattern = [%d] %p %m (%c)%n
                    rootLogger.level = info
                    rootLogger.appenderRef.out.ref = out
                    logger.kafka-request.name = kafka.request.logger
                    logger.kafka-request.level = warn
                    """);
            String classpath = E2eSettings.kafkaClasspath();
            List<String> base = new ArrayList<>(List.of(E2eSettings.javaLauncher()));
            base.addAll(jvmArgs);
            base.addAll(List.of("-Dlog4j2.configurationFile=" + log4j, "-cp", classpath));
            if (!Files.exists(dataDir.resolve("meta.properties"))) formatKafkaStorage(base, properties);
            List<String> command = new ArrayList<>(base);
            command.addAll(List.of("kafka.Kafka", properties.toString()));
            return command;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String kafkaServerProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + auxPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + kafkaPort + extraListeners() + ",CONTROLLER://127.0.0.1:" + auxPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + kafkaPort + extraListeners());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", protocolMap());
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", dataDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.putAll(config);
        StringBuilder text = new StringBuilder("# written by the Runnel e2e fixture\n");
        props.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return text.toString();
    }

    /** ",NAME://127.0.0.1:PORT" for each extra listener, in the order they were added. */
    private String extraListeners() {
        StringBuilder out = new StringBuilder();
        extraListenerPorts.forEach((listener, port) -> out.append(',').append(listener).append("://127.0.0.1:").append(port));
        return out.toString();
    }

    private String protocolMap() {
        StringBuilder out = new StringBuilder("PLAINTEXT:PLAINTEXT");
        extraListenerPorts.keySet().forEach(listener -> out.append(',').append(listener).append(':').append(extraListenerProtocols.get(listener)));
        return out.append(",CONTROLLER:PLAINTEXT").toString();
    }

    private void formatKafkaStorage(List<String> base, Path properties) {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                "-c", properties.toString()));
        ExternalCommand.Result result = ExternalCommand.of(command).name("kafka-storage-format").dir(dir)
                .timeout(Duration.ofMinutes(2)).run();
        if (result.exitCode() != 0) fail("formatting Kafka storage failed\n" + result.describe());
    }

    private void awaitReady(Process launched) {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String lastProblem = "not probed yet";
        while (Instant.now().isBefore(deadline)) {
            if (launched != null && !launched.isAlive()) {
                fail("broker " + name + " exited with code " + launched.exitValue() + " before it was ready\n"
                        + logTail(60));
            }
            try {
                String healthUrl = launched != null && kind == BrokerKind.RUNNEL ? "http://127.0.0.1:" + auxPort + "/q/health/ready" : null;
                lastProblem = Readiness.problem(http, healthUrl, bootstrap());
                if (lastProblem == null) return;
            } catch (IOException e) {
                lastProblem = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(200);
        }
        fail("broker " + name + " at " + bootstrap() + " was not ready within " + READY_TIMEOUT
                + " (last: " + lastProblem + ")\n" + logTail(60));
    }

    private void appendToLog(String line) {
        try {
            Files.writeString(logFile, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    /** Distinct free loopback ports, held open together so the OS hands out different ones. */
    public static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing a probe socket: nothing to do
                }
            }
        }
    }

    @Override
    public String toString() {
        return "broker " + name + " (" + kind + ") at " + bootstrap();
    }
}
