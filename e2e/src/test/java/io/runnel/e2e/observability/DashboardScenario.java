package io.runnel.e2e.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Grafana dashboards in {@code grafana-dashboards/} against a real Prometheus (Debian's
 * {@code prometheus}, a separate process) scraping real brokers' {@code /q/metrics} every second;
 * the subclasses say which brokers (one, or a 3-broker cluster). Load: a Java producer writes a
 * 3-partition topic, an admin call fails (DeleteTopics of a missing topic), and a consumer group
 * with one live member reads everything but commits only offset 40 per partition, after which 20
 * more records land in partition 0: a lag of 80 + 60 + 60.
 *
 * <p>Proves: every broker dashboard is importable (uid, schemaVersion, datasource variable, no
 * datasource ids); every query of every panel and every variable query, with the variables filled
 * in (every broker for {@code instance}), returns at least one series; every broker is up; the lag
 * the consumer-groups dashboard shows per partition and per group is what
 * {@code kafka-consumer-groups --describe} prints. One instance per subclass; JUnit's thread.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DashboardScenario {
    static final String GROUPS_TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    static final Duration PATIENCE = KafkaClients.PATIENCE;
    static final int PARTITIONS = 3;
    static final int RECORDS_PER_PARTITION = 100;
    static final long COMMITTED = 40;
    static final int EXTRA_IN_PARTITION_0 = 20;
    static final String CLUSTER_LABEL = "e2e-brokers";
    static final long EXPECTED_LAG = (RECORDS_PER_PARTITION + EXTRA_IN_PARTITION_0 - COMMITTED) + 2 * (RECORDS_PER_PARTITION - COMMITTED);

    PrometheusServer prometheus;
    KafkaConsumer<byte[], byte[]> member;
    String bootstrap;
    String topic;
    String group;
    Map<String, String> variables;

    /** Starts the brokers; returns their bootstrap address. */
    abstract String startBrokers();

    /** Each broker's {@code host:port} of its HTTP server, for Prometheus to scrape. */
    abstract List<String> scrapeTargets();

    /** A unique topic or group name derived from {@code base}. */
    abstract String name(String base);

    abstract short replicationFactor();

    /** Where Prometheus and the CLI tools run. */
    abstract Path workDir();

    abstract void stopBrokers();

    @BeforeAll
    void startBrokersLoadThemAndScrape() throws Exception {
        bootstrap = startBrokers();
        topic = name("orders");
        group = name("billing-lagging");
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, PARTITIONS, replicationFactor())))
                    .all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        for (int p = 0; p < PARTITIONS; p++) produce(p, RECORDS_PER_PARTITION);
        failAnAdminCall();
        member = lagBehind();
        produce(0, EXTRA_IN_PARTITION_0);

        List<String> targets = scrapeTargets();
        // The cluster label a PodMonitor's relabeling adds on Kubernetes (k8s/monitoring/podmonitor.yaml).
        prometheus = PrometheusServer.start(workDir().resolve("prometheus"), targets, "/q/metrics", Map.of("cluster", CLUSTER_LABEL));
        // The coordinator recomputes lag every 10 s; wait until Prometheus has scraped the settled value.
        String lagQuery = "runnel_consumer_group_lag_sum{group=\"" + group + "\"}";
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!value(prometheus.series(lagQuery)).equals(Double.toString((double) EXPECTED_LAG))) {
            assertThat(Instant.now()).as("Prometheus shows lag %d for %s (hang guard); last: %s\n%s", EXPECTED_LAG, group,
                    prometheus.series(lagQuery), prometheus.logTail()).isBefore(deadline);
            Pause.sleep(500);
        }
        Pause.sleep(3_000); // a few more scrapes, so every rate() window holds several samples
        List<JsonNode> up = prometheus.series("up{job=\"runnel\"}");
        assertThat(up).as("one scrape target per broker").hasSize(targets.size());
        assertThat(up).allSatisfy(u -> assertThat(u.path("value").get(1).asText()).as("the scrape target is up").isEqualTo("1"));
        String instances = String.join("|", up.stream().map(u -> u.path("metric").path("instance").asText()).sorted().toList());
        variables = Map.of("cluster", CLUSTER_LABEL, "instance", instances, "topic", topic, "group", group);
    }

    @AfterAll
    void stop() {
        if (member != null) member.close(Duration.ofSeconds(10));
        if (prometheus != null) prometheus.close();
        stopBrokers();
    }

    @Test
    void everyBrokerDashboardIsImportable() {
        List<Path> files = brokerDashboards();
        assertThat(files.stream().map(f -> f.getFileName().toString()))
                .containsExactlyInAnyOrder("broker-resources.json", "cluster-overview.json", "consumer-groups.json", "topics.json");
        List<String> uids = new ArrayList<>();
        for (Path file : files) {
            JsonNode dashboard = DashboardChecker.read(file);
            assertThat(DashboardChecker.importProblems(dashboard)).as(file.toString()).isEmpty();
            uids.add(dashboard.path("uid").asText());
        }
        assertThat(uids).doesNotHaveDuplicates();
    }

    @Test
    void everyQueryOfEveryPanelReturnsSeries() {
        for (Path file : brokerDashboards()) {
            JsonNode dashboard = DashboardChecker.read(file);
            assertThat(DashboardChecker.queries(dashboard)).as(file + " has queries").isNotEmpty();
            assertThat(DashboardChecker.queryProblems(dashboard, variables, prometheus::queryRaw)).as(file.toString()).isEmpty();
        }
    }

    @Test
    void theClusterVariableScopesTheBrokerVariable() {
        JsonNode overview = DashboardChecker.read(dashboardsDir().resolve("cluster-overview.json"));
        String instanceQuery = DashboardChecker.queries(overview).stream().filter(q -> q.where().equals("variable $instance")).findFirst()
                .orElseThrow().expr();
        Map<String, String> ours = Map.of("cluster", CLUSTER_LABEL);
        Map<String, String> another = Map.of("cluster", "another-cluster");
        assertThat(prometheus.series(DashboardChecker.substitute(instanceQuery, ours))).hasSize(scrapeTargets().size());
        assertThat(prometheus.series(DashboardChecker.substitute(instanceQuery, another))).isEmpty();
    }

    @Test
    void brokersUpOnTheOverviewCountsEveryBroker() {
        JsonNode overview = DashboardChecker.read(dashboardsDir().resolve("cluster-overview.json"));
        assertThat(value(prometheus.series(DashboardChecker.substitute(panelExpr(overview, "Brokers up"), variables))))
                .isEqualTo(Double.toString(scrapeTargets().size()));
    }

    @Test
    void dashboardLagEqualsWhatKafkaConsumerGroupsDescribes() {
        ExternalCommand.Result describe = ExternalCommand.kafkaTool(GROUPS_TOOL, "--bootstrap-server", bootstrap,
                "--describe", "--group", group).dir(workDir()).timeout(Duration.ofMinutes(3)).run();
        assertThat(describe.succeeded()).as(describe.describe()).isTrue();
        Map<String, Double> toolLag = new TreeMap<>();
        describe.stdout().lines().map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 6 && f[0].equals(group) && f[1].equals(topic))
                .forEach(f -> toolLag.put(f[2], Double.parseDouble(f[5])));
        assertThat(toolLag).as(describe.describe()).hasSize(PARTITIONS);

        JsonNode dashboard = DashboardChecker.read(dashboardsDir().resolve("consumer-groups.json"));
        Map<String, Double> dashboardLag = new TreeMap<>();
        for (JsonNode s : prometheus.series(DashboardChecker.substitute(panelExpr(dashboard, "Lag per partition"), variables))) {
            dashboardLag.put(s.path("metric").path("partition").asText(), Double.parseDouble(s.path("value").get(1).asText()));
        }
        assertThat(dashboardLag).as(describe.describe()).isEqualTo(toolLag);
        assertThat(toolLag).isEqualTo(Map.of("0", 80.0, "1", 60.0, "2", 60.0));

        List<JsonNode> perGroup = prometheus.series(DashboardChecker.substitute(panelExpr(dashboard, "Lag per group"), variables));
        assertThat(perGroup).hasSize(1);
        assertThat(Double.parseDouble(value(perGroup))).isEqualTo(toolLag.values().stream().mapToDouble(Double::doubleValue).sum());
    }

    /** The broker's dashboards; the operator's ({@code operator.json}) is checked against a running operator by OperatorIT. */
    static List<Path> brokerDashboards() {
        return DashboardChecker.dashboardFiles(dashboardsDir()).stream().filter(f -> !f.getFileName().toString().equals("operator.json")).toList();
    }

    static Path dashboardsDir() {
        return E2eSettings.repoRoot().resolve("grafana-dashboards");
    }

    static JsonNode panel(JsonNode dashboard, String title) {
        return DashboardChecker.panels(dashboard).stream().filter(p -> p.path("title").asText().equals(title)).findFirst()
                .orElseThrow(() -> new AssertionError("no panel '" + title + "' in " + dashboard.path("uid")));
    }

    static String panelExpr(JsonNode dashboard, String title) {
        return panel(dashboard, title).path("targets").get(0).path("expr").asText();
    }

    /** The value of a single-series result, as Prometheus prints it (or "none"). */
    static String value(List<JsonNode> series) {
        if (series.size() != 1) return "none (" + series.size() + " series)";
        return Double.toString(Double.parseDouble(series.get(0).path("value").get(1).asText()));
    }

    private void produce(int partition, int count) {
        Properties props = KafkaClients.producerProps(bootstrap);
        props.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) acks.add(producer.send(new ProducerRecord<>(topic, partition, null, ("r" + i).getBytes())));
            KafkaClients.awaitAcks(acks, "producing to " + topic + "-" + partition);
        }
    }

    private void failAnAdminCall() {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.deleteTopics(List.of(name("no-such-topic"))).all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("deleting a topic that does not exist succeeded");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(UnknownTopicOrPartitionException.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A live group member that has read every record but committed only offset {@link #COMMITTED} per partition. */
    private KafkaConsumer<byte[], byte[]> lagBehind() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "runnel-e2e-lagging");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        consumer.subscribe(List.of(topic));
        int read = 0;
        Instant deadline = Instant.now().plus(PATIENCE);
        while (read < PARTITIONS * RECORDS_PER_PARTITION) {
            assertThat(Instant.now()).as("the member read every record (hang guard); read %d", read).isBefore(deadline);
            read += consumer.poll(Duration.ofMillis(200)).count();
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
        for (int p = 0; p < PARTITIONS; p++) commit.put(new TopicPartition(topic, p), new OffsetAndMetadata(COMMITTED));
        consumer.commitSync(commit);
        return consumer;
    }
}
