package io.runnel.broker.aot;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A build step, not a test: the training run that makes the packaged broker's JDK AOT cache
 * ({@code quarkus-app/runnel.aot}, JEP 483/514/515, ADR 0016). Run by Maven at {@code package},
 * after Quarkus has built {@code quarkus-app} as an {@code aot-jar}.
 *
 * <p>It starts the packaged broker with {@code -XX:AOTCacheOutput} on a throwaway data folder,
 * drives it with the Java client the way applications do (create a topic, produce with acks=all,
 * consume in a group and commit, the admin calls operators make, a metrics scrape), then stops it
 * with SIGTERM; the JVM writes the cache as it exits. The cache holds the classes the run loaded,
 * already parsed and linked, and the method profiles it gathered, so a broker started with
 * {@code -XX:AOTCache} skips that work. A JDK older than 24 has no AOT cache: the step says so and
 * writes nothing. Any other failure fails the build: a broker that cannot serve this run is broken.
 *
 * <p>Single-threaded; runs in its own JVM (exec-maven-plugin), never inside the broker.
 */
public final class AotCacheTraining {
    /** The cache's name inside {@code quarkus-app}; launchers look for it there. */
    public static final String CACHE_FILE = "runnel.aot";
    private static final String TOPIC = "aot-training";
    private static final int PARTITIONS = 4;
    private static final int RECORDS = 20_000;
    private static final int RECORD_BYTES = 1024;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(180);

    private AotCacheTraining() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) throw new IllegalArgumentException("usage: AotCacheTraining <quarkus-app dir>");
        Path app = Path.of(args[0]).toAbsolutePath();
        Path cache = app.resolve(CACHE_FILE);
        Files.deleteIfExists(cache);
        if (Runtime.version().feature() < 24) {
            System.out.println("[aot] JDK " + Runtime.version() + " has no AOT cache (JDK 24+): the broker starts without one");
            return;
        }
        Path jar = app.resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            System.out.println("[aot] no " + jar + " (not a JVM build): nothing to train");
            return;
        }
        long startNanos = System.nanoTime();
        Path work = Files.createTempDirectory("runnel-aot-training");
        Path log = app.getParent().resolve("aot-training.log");
        int kafkaPort = freePort();
        int httpPort = freePort();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:AOTCacheOutput=" + cache,
                // The cache lists classes the JDK cannot store (JFR events, proxies) as warnings: noise here.
                "-Xlog:aot*=error",
                "-Xmx1g",
                "-jar", jar.toString()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("RUNNEL_LISTENERS", "PLAINTEXT://127.0.0.1:" + kafkaPort);
        env.put("RUNNEL_LOG_DIRS", work.resolve("data").toString());
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        Process broker = builder.start();
        try {
            awaitReady(broker, httpPort, log);
            drive("127.0.0.1:" + kafkaPort);
            scrapeMetrics(httpPort);
            broker.destroy(); // SIGTERM: a clean stop, at the end of which the JVM writes the cache
            if (!broker.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                throw new IllegalStateException("the training broker did not exit within " + EXIT_TIMEOUT + "; see " + log);
        } catch (Exception | Error e) {
            broker.destroyForcibly();
            Files.deleteIfExists(cache);
            throw e;
        } finally {
            deleteTree(work);
        }
        if (!Files.isRegularFile(cache) || Files.size(cache) == 0)
            throw new IllegalStateException("the JVM wrote no AOT cache at " + cache + " (exit " + broker.exitValue() + "); see " + log);
        System.out.printf("[aot] %s: %d MiB, trained in %.1f s (broker output in %s)%n", cache, Files.size(cache) >> 20,
                (System.nanoTime() - startNanos) / 1e9, log);
    }

    private static void awaitReady(Process broker, int httpPort, Path log) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!broker.isAlive()) throw new IllegalStateException("the training broker exited with " + broker.exitValue() + "; see " + log);
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
            } catch (IOException notListeningYet) {
                // the HTTP port opens a little after the JVM starts
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the training broker was not ready within " + READY_TIMEOUT + "; see " + log);
    }

    /** What applications and operators do most: the paths whose classes and profiles the cache keeps. */
    private static void drive(String bootstrap) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
            produce(bootstrap);
            consume(bootstrap);
            admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS);
            admin.listOffsets(Map.of(new TopicPartition(TOPIC, 0), OffsetSpec.latest())).all().get(30, TimeUnit.SECONDS);
            admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, TOPIC))).all().get(30, TimeUnit.SECONDS);
            admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS);
            admin.describeConsumerGroups(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
            admin.listConsumerGroupOffsets(TOPIC).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            admin.deleteTopics(List.of(TOPIC)).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void produce(String bootstrap) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        byte[] value = new byte[RECORD_BYTES];
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < RECORDS; i++)
                producer.send(new ProducerRecord<>(TOPIC, Integer.toString(i).getBytes(), value));
            producer.flush();
            producer.send(new ProducerRecord<>(TOPIC, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static void consume(String bootstrap) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, TOPIC);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int read = 0;
            while (read < RECORDS + 1) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("read only " + read + " of " + (RECORDS + 1) + " records");
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                read += records.count();
                if (!records.isEmpty()) consumer.commitSync();
            }
        }
    }

    private static void scrapeMetrics(int httpPort) throws Exception {
        HttpResponse<Void> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/metrics")).build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() != 200) throw new IllegalStateException("/q/metrics answered " + response.statusCode());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
