package io.runnel.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * One broker process for the benchmark: Runnel ({@code quarkus-run.jar}) or Apache Kafka
 * ({@code kafka.Kafka}, KRaft, one node), on free loopback ports and its own fresh data dir, with
 * the same JVM options for both. The launch follows e2e's BrokerProcess (copied, not depended on).
 *
 * <p>Start-to-ready: the clock starts just before {@code ProcessBuilder.start()} of the broker JVM
 * (for Kafka, after the one-off storage format, which a fresh Kafka node needs and Runnel does
 * not) and stops when the broker answers a Metadata request that lists itself; for Runnel,
 * additionally only after {@code /q/health/ready} is 200. Probed every 10 ms.
 */
final class BrokerProc implements AutoCloseable {
    enum Kind { RUNNEL, KAFKA }

    final Kind kind;
    final Path dir;
    final Path dataDir;
    final Path logFile;
    final int port;
    final int auxPort;
    private final Settings settings;
    private Process process;
    private double readyMs = Double.NaN;

    record Settings(String java, List<String> jvmArgs, Path runnelJar, String kafkaClasspath) {}

    BrokerProc(Kind kind, Path dir, Settings settings) {
        this.kind = kind;
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.logFile = dir.resolve("broker.log");
        this.settings = settings;
        int[] ports = freePorts(2);
        this.port = ports[0];
        this.auxPort = ports[1];
    }

    String name() {
        return kind == Kind.RUNNEL ? "runnel" : "kafka";
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    double readyMs() {
        return readyMs;
    }

    /** Launches the broker and waits until it is ready; returns milliseconds from launch to ready. */
    double start() throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        List<String> command = kind == Kind.RUNNEL ? runnelCommand() : kafkaCommand();
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        if (kind == Kind.RUNNEL) builder.environment().putAll(runnelEnvironment());
        Files.writeString(dir.resolve("command.txt"), String.join(" ", command) + "\n");
        long t0 = System.nanoTime();
        process = builder.start();
        awaitReady(t0);
        readyMs = (System.nanoTime() - t0) / 1e6;
        return readyMs;
    }

    private List<String> runnelCommand() {
        List<String> command = new ArrayList<>();
        command.add(settings.java());
        command.addAll(settings.jvmArgs());
        // Runnel as bin/runnel runs it: with the AOT cache its build trained (ADR 0016). AOTMode=on
        // makes a cache the JVM cannot use a failed start rather than a silently slower one.
        Path aotCache = settings.runnelJar().resolveSibling("runnel.aot");
        if (Files.isRegularFile(aotCache)) command.addAll(List.of("-XX:AOTCache=" + aotCache, "-XX:AOTMode=on"));
        command.add("-jar");
        command.add(settings.runnelJar().toString());
        return command;
    }

    private Map<String, String> runnelEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        String listener = "PLAINTEXT://127.0.0.1:" + port;
        env.put("RUNNEL_NODE_ID", "1");
        env.put("RUNNEL_LISTENERS", listener);
        env.put("RUNNEL_ADVERTISED_LISTENERS", listener);
        env.put("RUNNEL_LOG_DIRS", dataDir.toString());
        env.put("RUNNEL_AUTO_CREATE_TOPICS_ENABLE", "false");
        env.put("RUNNEL_GROUP_INITIAL_REBALANCE_DELAY_MS", "0"); // as for Kafka below: the consume runs join a fresh group each
        env.put("QUARKUS_HTTP_PORT", Integer.toString(auxPort));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        return env;
    }

    private List<String> kafkaCommand() throws IOException, InterruptedException {
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
        List<String> base = new ArrayList<>(List.of(settings.java()));
        base.addAll(settings.jvmArgs());
        base.addAll(List.of("-Dlog4j2.configurationFile=" + log4j, "-cp", settings.kafkaClasspath()));
        if (!Files.exists(dataDir.resolve("meta.properties"))) {
            List<String> format = new ArrayList<>(base);
            format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                    "-c", properties.toString()));
            Process p = new ProcessBuilder(format).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("storage-format.log").toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("kafka storage format failed, see " + dir.resolve("storage-format.log"));
            }
        }
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("kafka.Kafka", properties.toString()));
        return command;
    }

    private String kafkaServerProperties() {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + auxPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + auxPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", dataDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        StringBuilder text = new StringBuilder("# written by bench (io.runnel.bench.BrokerProc)\n");
        props.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        return text.toString();
    }

    private void awaitReady(long t0) throws IOException, InterruptedException {
        long deadline = t0 + TimeUnit.MINUTES.toNanos(3); // hang guard, not a speed check
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        String last = "not probed yet";
        boolean healthy = kind != Kind.RUNNEL;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException(name() + " exited with code " + process.exitValue() + " before ready; see " + logFile);
            }
            try {
                if (!healthy) {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + auxPort + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    healthy = r.statusCode() == 200;
                    last = "health " + r.statusCode();
                }
                if (healthy && metadataListsBroker()) return;
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(10);
        }
        throw new IOException(name() + " not ready within 3 minutes (last: " + last + "); see " + logFile);
    }

    /** One Metadata v12 round trip on a fresh connection: true if the broker lists a broker. */
    boolean metadataListsBroker() throws IOException {
        short version = 12;
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(5000);
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            RequestHeader header = new RequestHeader(ApiKeys.METADATA, version, "runnel-bench-probe", 1);
            ByteBuffer body = new MetadataRequest.Builder(new MetadataRequestData().setTopics(List.of()))
                    .build(version).serializeWithHeader(header);
            OutputStream out = socket.getOutputStream();
            ByteBuffer frame = ByteBuffer.allocate(4 + body.remaining()).putInt(body.remaining()).put(body).flip();
            out.write(frame.array(), 0, frame.limit());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] payload = new byte[in.readInt()];
            in.readFully(payload);
            ByteBuffer buffer = ByteBuffer.wrap(payload);
            ResponseHeader.parse(buffer, ApiKeys.METADATA.responseHeaderVersion(version));
            MetadataResponse response = (MetadataResponse) AbstractResponse.parseResponse(ApiKeys.METADATA,
                    new ByteBufferAccessor(buffer), version);
            return !response.data().brokers().isEmpty();
        }
    }

    /** SIGTERM and wait (then SIGKILL after two minutes). */
    void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(2, TimeUnit.MINUTES)) process.destroyForcibly().waitFor();
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** utime + stime of the broker process (all its threads) in clock ticks, from /proc/PID/stat. */
    long cpuTicks() {
        return ProcFs.cpuTicks(pid());
    }

    long rssKib() {
        return ProcFs.statusKib(pid(), "VmRSS:");
    }

    long hwmKib() {
        return ProcFs.statusKib(pid(), "VmHWM:");
    }

    static int[] freePorts(int count) {
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
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // probe socket
                }
            }
        }
    }
}
