package io.runnel.bench;

import io.runnel.bench.BrokerProc.Kind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;

/**
 * The benchmark orchestrator (run by bench/run). Phases, in order:
 * <ol>
 *   <li>start-to-ready: each broker launched on a fresh data dir and stopped, alternately, {@code startReps} times;
 *   <li>both brokers launched on fresh data dirs and left idle: idle RSS and idle CPU;
 *   <li>warm-up of each (produce + consume, discarded);
 *   <li>{@code reps} rounds; in each round every scenario runs on Runnel, then on Kafka (A, B, A, B...),
 *       one broker at a time; the other broker is up but idle.
 * </ol>
 * Every measured number goes to {@code results.csv} (phase, scenario, broker, rep, metric, value);
 * the tools' raw outputs go to {@code logs/}. Report turns the CSV into tables and charts.
 */
public final class Bench {
    record Mode(String name, int startReps, int reps, int idleSeconds, int warmupRecords, int bigRecords,
                int smallRecords, int e2eRecords, int fixedRate, int fixedRateSeconds) {}

    static final Mode QUICK = new Mode("quick", 2, 2, 5, 150_000, 50_000, 200_000, 1_000, 1_000, 5);
    static final Mode FULL = new Mode("full", 5, 5, 15, 300_000, 500_000, 2_000_000, 5_000, 1_000, 20);

    record Scenario(String name, String kind, int recordSize, int partitions) {}

    private final Mode mode;
    private final Path out;
    private final String java;
    private final String toolsCp;
    private final String benchCp;
    private final BrokerProc.Settings settings;
    private final long clkTck;
    private final PrintWriter csv;
    private final Path logs;
    private int toolRuns;

    Bench(Mode mode, Path out, String java, String toolsCp, String benchCp, BrokerProc.Settings settings, long clkTck)
            throws IOException {
        this.mode = mode;
        this.out = out;
        this.java = java;
        this.toolsCp = toolsCp;
        this.benchCp = benchCp;
        this.settings = settings;
        this.clkTck = clkTck;
        this.logs = Files.createDirectories(out.resolve("logs"));
        boolean fresh = !Files.exists(out.resolve("results.csv"));
        this.csv = new PrintWriter(Files.newBufferedWriter(out.resolve("results.csv"),
                StandardOpenOption.CREATE, StandardOpenOption.APPEND), true);
        if (fresh) csv.println("phase,scenario,broker,rep,metric,value");
        Files.writeString(logs.resolve("log4j2.properties"), """
                status = error
                appender.out.type = Console
                appender.out.name = out
                appender.out.target = SYSTEM_ERR
                appender.out.layout.type = PatternLayout
                appender.out.layout.pattern = [%d] %p %m (%c)%n
                rootLogger.level = warn
                rootLogger.appenderRef.out.ref = out
                """);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        Mode base = "full".equals(opts.getOrDefault("mode", "quick")) ? FULL : QUICK;
        int reps = Integer.parseInt(opts.getOrDefault("reps", Integer.toString(base.reps())));
        Mode mode = new Mode(base.name(), Math.max(2, Math.min(reps, base.startReps())), reps, base.idleSeconds(),
                base.warmupRecords(), base.bigRecords(), base.smallRecords(), base.e2eRecords(), base.fixedRate(),
                base.fixedRateSeconds());
        Path out = Path.of(opts.get("out"));
        Files.createDirectories(out);
        String java = opts.get("java");
        List<String> jvmArgs = List.of(opts.getOrDefault("jvm-args", "-Xms1g -Xmx1g").trim().split("\\s+"));
        BrokerProc.Settings settings = new BrokerProc.Settings(java, jvmArgs, Path.of(opts.get("runnel-jar")),
                Files.readString(Path.of(opts.get("kafka-cp"))).trim());
        Bench bench = new Bench(mode, out, java, Files.readString(Path.of(opts.get("tools-cp"))).trim(),
                opts.get("bench-cp"), settings, Long.parseLong(opts.getOrDefault("clk-tck", "100")));
        Files.writeString(out.resolve("mode.properties"), "mode=" + mode + "\njvm_args=" + String.join(" ", jvmArgs) + "\n");
        bench.run();
    }

    void run() throws Exception {
        long began = System.nanoTime();
        log("mode " + mode);

        // 1. Start-to-ready, alternating, each on a fresh data dir.
        for (int rep = 1; rep <= mode.startReps(); rep++) {
            for (Kind kind : Kind.values()) {
                try (BrokerProc broker = new BrokerProc(kind, out.resolve("brokers/start-" + rep + "-" + kind.name().toLowerCase(Locale.ROOT)), settings)) {
                    double ms = broker.start();
                    record("start", "start-to-ready", broker.name(), rep, "ready_ms", ms);
                    log(broker.name() + " ready in " + fmt(ms) + " ms");
                    Thread.sleep(2000); // let it finish starting up before SIGTERM
                }
            }
        }

        // 2. Both brokers up on fresh data dirs; one is driven at a time.
        try (BrokerProc runnel = new BrokerProc(Kind.RUNNEL, out.resolve("brokers/main-runnel"), settings);
             BrokerProc kafka = new BrokerProc(Kind.KAFKA, out.resolve("brokers/main-kafka"), settings)) {
            runnel.start();
            kafka.start();
            List<BrokerProc> brokers = List.of(runnel, kafka);
            Map<BrokerProc, Admin> admins = new LinkedHashMap<>();
            for (BrokerProc b : brokers) {
                Properties p = new Properties();
                p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrap());
                admins.put(b, Admin.create(p));
            }
            try {
                // Idle: wait, then CPU over an idle window and RSS at its end.
                Thread.sleep(3000);
                long[] t0 = {runnel.cpuTicks(), kafka.cpuTicks()};
                Thread.sleep(mode.idleSeconds() * 1000L);
                for (int i = 0; i < 2; i++) {
                    BrokerProc b = brokers.get(i);
                    double cpuMs = ticksToMs(b.cpuTicks() - t0[i]);
                    record("idle", "idle", b.name(), 1, "idle_cpu_ms_per_s", cpuMs / mode.idleSeconds());
                    record("idle", "idle", b.name(), 1, "idle_rss_kib", b.rssKib());
                    log(b.name() + " idle: RSS " + b.rssKib() / 1024 + " MiB, CPU " + fmt(cpuMs / mode.idleSeconds()) + " ms/s");
                }

                // 3. Warm-up (JIT, page cache, allocator), discarded.
                for (BrokerProc b : brokers) {
                    String topic = "warmup";
                    createTopic(admins.get(b), topic, 8);
                    runTool(b, "warmup-produce", producePerf(b, topic, mode.warmupRecords(), 1024, -1));
                    runTool(b, "warmup-consume", consume(b, topic, mode.warmupRecords()));
                    runTool(b, "warmup-e2e", endToEnd(b, topic, 500, 1024));
                    admins.get(b).deleteTopics(List.of(topic)).all().get();
                    log(b.name() + " warmed up");
                }

                // 4. Rounds: every scenario on A then B.
                List<Scenario> scenarios = List.of(
                        new Scenario("produce-1KiB-1p", "produce", 1024, 1),
                        new Scenario("produce-1KiB-8p", "produce", 1024, 8),
                        new Scenario("produce-100B-1p", "produce", 100, 1),
                        new Scenario("produce-100B-8p", "produce", 100, 8),
                        new Scenario("latency-e2e-at-rate-1KiB", "e2e-at-rate", 1024, 1),
                        new Scenario("latency-fixed-rate-1KiB", "fixed-rate", 1024, 1),
                        new Scenario("latency-e2e-1KiB", "e2e", 1024, 1));
                for (int rep = 1; rep <= mode.reps(); rep++) {
                    for (Scenario s : scenarios) {
                        for (BrokerProc b : brokers) {
                            runScenario(b, admins.get(b), s, rep);
                        }
                    }
                    log("round " + rep + " of " + mode.reps() + " done, " + fmt((System.nanoTime() - began) / 1e9) + " s elapsed");
                }
                for (BrokerProc b : brokers) record("end", "end", b.name(), 1, "hwm_kib", b.hwmKib());
            } finally {
                admins.values().forEach(Admin::close);
            }
        }
        log("done in " + fmt((System.nanoTime() - began) / 1e9) + " s");
        csv.close();
    }

    private void runScenario(BrokerProc b, Admin admin, Scenario s, int rep) throws Exception {
        String topic = s.name() + "-r" + rep;
        createTopic(admin, topic, s.partitions());
        long records = s.recordSize() >= 1024 ? mode.bigRecords() : mode.smallRecords();
        switch (s.kind()) {
            case "produce" -> {
                ToolResult r = measured(b, s.name() + "-" + rep, producePerf(b, topic, records, s.recordSize(), -1));
                Map<String, Double> m = parseProducerPerf(r.output());
                emit("produce", s.name(), b, rep, m, r, records);
                // Consume what was just produced (page cache warm on both brokers alike).
                String consumeName = s.name().replace("produce", "consume");
                ToolResult c = measured(b, consumeName + "-" + rep, consume(b, topic, records));
                emit("consume", consumeName, b, rep, parseConsume(c.output()), c, records);
            }
            case "e2e-at-rate" -> {
                int warm = Math.max(1, mode.fixedRateSeconds() / 10);
                List<String> cmd = toolJava(benchCp);
                cmd.addAll(List.of("io.runnel.bench.EndToEndAtRate", b.bootstrap(), topic, Integer.toString(mode.fixedRate()),
                        Integer.toString(mode.fixedRateSeconds()), Integer.toString(s.recordSize()), Integer.toString(warm)));
                ToolResult r = measured(b, s.name() + "-" + rep, cmd);
                emit("latency", s.name(), b, rep, parseAtRate(r.output()), r, (long) mode.fixedRate() * (mode.fixedRateSeconds() + warm));
            }
            case "fixed-rate" -> {
                long n = (long) mode.fixedRate() * mode.fixedRateSeconds();
                List<String> cmd = producePerf(b, topic, n, s.recordSize(), mode.fixedRate());
                cmd.add("linger.ms=0"); // a latency run: no batching delay in the client
                ToolResult r = measured(b, s.name() + "-" + rep, cmd);
                emit("latency", s.name(), b, rep, parseProducerPerf(r.output()), r, n);
            }
            case "e2e" -> {
                ToolResult r = measured(b, s.name() + "-" + rep, endToEnd(b, topic, mode.e2eRecords(), s.recordSize()));
                emit("latency", s.name(), b, rep, parseEndToEnd(r.output()), r, mode.e2eRecords());
            }
            default -> throw new IllegalArgumentException(s.kind());
        }
        admin.deleteTopics(List.of(topic)).all().get();
    }

    private void emit(String phase, String scenario, BrokerProc b, int rep, Map<String, Double> metrics, ToolResult r,
                      long records) {
        metrics.forEach((k, v) -> record(phase, scenario, b.name(), rep, k, v));
        double cpuMs = ticksToMs(r.cpuTicks());
        record(phase, scenario, b.name(), rep, "broker_cpu_ms", cpuMs);
        record(phase, scenario, b.name(), rep, "broker_cpu_us_per_record", cpuMs * 1000.0 / records);
        record(phase, scenario, b.name(), rep, "tool_cpu_us_per_record", r.toolCpuMs() * 1000.0 / records);
        record(phase, scenario, b.name(), rep, "rss_max_kib", r.rssMaxKib());
        record(phase, scenario, b.name(), rep, "tool_wall_s", r.wallSeconds());
        log(String.format(Locale.ROOT, "%-26s %-6s rep %d: %s cpu %.2f us/rec, rss max %d MiB", scenario, b.name(), rep,
                summary(metrics), cpuMs * 1000.0 / records, r.rssMaxKib() / 1024));
    }

    private static String summary(Map<String, Double> m) {
        StringBuilder s = new StringBuilder();
        for (String k : List.of("records_per_s", "mb_per_s", "lat_p50_ms", "lat_p99_ms", "lat_p999_ms")) {
            if (m.containsKey(k)) s.append(k).append('=').append(fmt(m.get(k))).append(' ');
        }
        return s.toString();
    }

    // ---- tools ----

    private List<String> producePerf(BrokerProc b, String topic, long records, int size, int throughput) {
        List<String> cmd = toolJava(toolsCp);
        cmd.addAll(List.of("org.apache.kafka.tools.ProducerPerformance", "--bootstrap-server", b.bootstrap(),
                "--topic", topic, "--num-records", Long.toString(records), "--record-size", Integer.toString(size),
                "--throughput", Integer.toString(throughput), "--command-property", "acks=all"));
        return cmd;
    }

    /**
     * Kafka's ConsumerPerformance in a fresh group (so it reads from the beginning); its fetch
     * figures leave out the group join, whose length is each broker's initial rebalance delay, not
     * its speed.
     */
    private List<String> consume(BrokerProc b, String topic, long records) {
        List<String> cmd = toolJava(toolsCp);
        cmd.addAll(List.of("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", b.bootstrap(),
                "--topic", topic, "--num-records", Long.toString(records), "--group", "bench-" + topic + "-" + b.name(),
                "--timeout", "60000"));
        return cmd;
    }

    private List<String> endToEnd(BrokerProc b, String topic, int records, int size) {
        List<String> cmd = toolJava(toolsCp);
        cmd.addAll(List.of("org.apache.kafka.tools.EndToEndLatency", "--bootstrap-server", b.bootstrap(),
                "--topic", topic, "--num-records", Integer.toString(records), "--producer-acks", "all",
                "--record-size", Integer.toString(size)));
        return cmd;
    }

    private List<String> toolJava(String cp) {
        return new ArrayList<>(List.of(java, "-Xms512m", "-Xmx512m",
                "-Dlog4j2.configurationFile=" + logs.resolve("log4j2.properties"), "-cp", cp));
    }

    record ToolResult(String output, long cpuTicks, long rssMaxKib, double wallSeconds, double toolCpuMs) {}

    /** Runs a tool against one broker, with the broker's CPU ticks and max RSS around it. */
    private ToolResult measured(BrokerProc b, String name, List<String> command) throws Exception {
        long cpu0 = b.cpuTicks();
        long t0 = System.nanoTime();
        String output;
        long rss;
        try (ProcFs.RssSampler sampler = new ProcFs.RssSampler(b.pid())) {
            output = runTool(b, name, command);
            rss = sampler.maxKib();
        }
        long cpu1 = b.cpuTicks();
        return new ToolResult(output, cpu1 - cpu0, Math.max(rss, b.rssKib()), (System.nanoTime() - t0) / 1e9, parseToolCpuMs(output));
    }

    /**
     * The tool runs as the child of a shell whose {@code times} then prints the CPU (user, system)
     * of its finished children: the tool's whole CPU, every thread and its JVM's start included,
     * which /proc cannot give once the process is gone.
     */
    private static final String TIMED = "\"$@\"; rc=$?; echo '# tool CPU (user system):'; times; exit $rc";

    private String runTool(BrokerProc b, String name, List<String> command) throws IOException, InterruptedException {
        Path file = logs.resolve(String.format(Locale.ROOT, "%03d-%s-%s.out", ++toolRuns, b.name(), name));
        Files.writeString(file, "# " + String.join(" ", command) + "\n");
        List<String> timed = new ArrayList<>(List.of("bash", "-c", TIMED, "bash"));
        timed.addAll(command);
        Process p = new ProcessBuilder(timed).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(file.toFile())).start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) { // hang guard: the tool is the shell's child
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor();
            throw new IOException("tool hung: " + file);
        }
        String output = Files.readString(file);
        if (p.exitValue() != 0) throw new IOException("tool exited " + p.exitValue() + ": " + file + "\n" + tail(output));
        return output;
    }

    private static final Pattern TIMES_LINE = Pattern.compile("(?m)^(\\d+)m([\\d.]+)s (\\d+)m([\\d.]+)s$");

    /** The children's line of bash's {@code times} (the second of its two lines), in ms of CPU. */
    static double parseToolCpuMs(String output) {
        int mark = output.lastIndexOf("# tool CPU (user system):");
        if (mark < 0) throw new IllegalStateException("no tool CPU in output:\n" + tail(output));
        Matcher m = TIMES_LINE.matcher(output.substring(mark));
        if (!m.find() || !m.find()) throw new IllegalStateException("bash's times printed no children's line:\n" + tail(output));
        return (Integer.parseInt(m.group(1)) * 60 + Double.parseDouble(m.group(2)) + Integer.parseInt(m.group(3)) * 60
                + Double.parseDouble(m.group(4))) * 1000;
    }

    private static String tail(String s) {
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }

    // ---- parsing the tools' outputs ----

    private static final Pattern PRODUCER_FINAL = Pattern.compile(
            "(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency,"
                    + " (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99.9th");

    static Map<String, Double> parseProducerPerf(String output) {
        Matcher m = PRODUCER_FINAL.matcher(output);
        if (!m.find()) throw new IllegalStateException("no ProducerPerformance summary in output:\n" + tail(output));
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("records", Double.parseDouble(m.group(1)));
        r.put("records_per_s", Double.parseDouble(m.group(2)));
        r.put("mb_per_s", Double.parseDouble(m.group(3)));
        r.put("lat_avg_ms", Double.parseDouble(m.group(4)));
        r.put("lat_max_ms", Double.parseDouble(m.group(5)));
        r.put("lat_p50_ms", Double.parseDouble(m.group(6)));
        r.put("lat_p95_ms", Double.parseDouble(m.group(7)));
        r.put("lat_p99_ms", Double.parseDouble(m.group(8)));
        r.put("lat_p999_ms", Double.parseDouble(m.group(9)));
        return r;
    }

    /**
     * ConsumerPerformance's data line: start.time, end.time, data.consumed.in.MB, MB.sec,
     * data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
     */
    private static final Pattern CONSUMER_PERF = Pattern.compile(
            "^[^,]+, [^,]+, ([\\d.]+), ([\\d.]+), (\\d+), ([\\d.]+), (-?\\d+), (\\d+), ([\\d.]+), ([\\d.]+)\\s*$", Pattern.MULTILINE);

    static Map<String, Double> parseConsume(String output) {
        Matcher m = CONSUMER_PERF.matcher(output);
        if (!m.find()) throw new IllegalStateException("no ConsumerPerformance result line in output:\n" + tail(output));
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("records", Double.parseDouble(m.group(3)));
        r.put("records_per_s", Double.parseDouble(m.group(8)));
        r.put("mb_per_s", Double.parseDouble(m.group(7)));
        r.put("rebalance_ms", Double.parseDouble(m.group(5)));
        return r;
    }

    private static final Pattern AT_RATE = Pattern.compile(
            "e2e-result records=(\\d+) lost=(\\d+) rate=(\\d+) p50_ms=([\\d.]+) p99_ms=([\\d.]+) p999_ms=([\\d.]+) max_ms=([\\d.]+) avg_ms=([\\d.]+)");

    static Map<String, Double> parseAtRate(String output) {
        Matcher m = AT_RATE.matcher(output);
        if (!m.find()) throw new IllegalStateException("no e2e-result in output:\n" + tail(output));
        Map<String, Double> r = new LinkedHashMap<>();
        r.put("records", Double.parseDouble(m.group(1)));
        r.put("lost", Double.parseDouble(m.group(2)));
        r.put("lat_p50_ms", Double.parseDouble(m.group(4)));
        r.put("lat_p99_ms", Double.parseDouble(m.group(5)));
        r.put("lat_p999_ms", Double.parseDouble(m.group(6)));
        r.put("lat_max_ms", Double.parseDouble(m.group(7)));
        r.put("lat_avg_ms", Double.parseDouble(m.group(8)));
        // The client's share of the tail: how late its producer thread sent, and the latency from the actual send.
        Matcher extra = AT_RATE_CLIENT.matcher(output);
        if (extra.find()) {
            r.put("send_late_p99_ms", Double.parseDouble(extra.group(1)));
            r.put("from_send_p50_ms", Double.parseDouble(extra.group(2)));
            r.put("from_send_p99_ms", Double.parseDouble(extra.group(3)));
            r.put("from_send_p999_ms", Double.parseDouble(extra.group(4)));
        }
        return r;
    }

    private static final Pattern AT_RATE_CLIENT = Pattern.compile(
            "send_late_p99_ms=([\\d.]+) from_send_p50_ms=([\\d.]+) from_send_p99_ms=([\\d.]+) from_send_p999_ms=([\\d.]+)");

    private static final Pattern E2E_AVG = Pattern.compile("Avg latency: ([\\d.]+) ms");
    private static final Pattern E2E_PCT = Pattern.compile(
            "Percentiles: 50th = ([\\d.]+), 99th = ([\\d.]+), 99.9th = ([\\d.]+)");

    static Map<String, Double> parseEndToEnd(String output) {
        Matcher p = E2E_PCT.matcher(output);
        if (!p.find()) throw new IllegalStateException("no EndToEndLatency percentiles in output:\n" + tail(output));
        Map<String, Double> r = new LinkedHashMap<>();
        Matcher a = E2E_AVG.matcher(output);
        if (a.find()) r.put("lat_avg_ms", Double.parseDouble(a.group(1)));
        r.put("lat_p50_ms", Double.parseDouble(p.group(1)));
        r.put("lat_p99_ms", Double.parseDouble(p.group(2)));
        r.put("lat_p999_ms", Double.parseDouble(p.group(3)));
        return r;
    }

    // ---- helpers ----

    private static void createTopic(Admin admin, String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        // Wait until every partition has a leader, then let the broker settle.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
                if (d.partitions().size() == partitions
                        && d.partitions().stream().map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty())) {
                    Thread.sleep(500);
                    return;
                }
            } catch (ExecutionException e) {
                // not visible yet
            }
            Thread.sleep(50);
        }
        throw new IOException("topic " + topic + " has no leaders after a minute");
    }

    private double ticksToMs(long ticks) {
        return ticks * 1000.0 / clkTck;
    }

    private void record(String phase, String scenario, String broker, int rep, String metric, double value) {
        csv.printf(Locale.ROOT, "%s,%s,%s,%d,%s,%s%n", phase, scenario, broker, rep, metric, fmt(value));
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    private static void log(String message) {
        System.out.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + message);
    }
}
