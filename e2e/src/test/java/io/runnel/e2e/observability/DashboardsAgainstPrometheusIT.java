package io.runnel.e2e.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import java.io.IOException;
import java.nio.file.Files;
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

/**
 * The Grafana dashboards in {@code grafana-dashboards/} against a real Prometheus (Debian's
 * {@code prometheus}, a separate process) scraping a real broker's {@code /q/metrics} every second.
 * Load: a Java producer writes a 3-partition topic, an admin call fails (DeleteTopics of a missing
 * topic), and a consumer group with one live member reads everything but commits only offset 40
 * per partition, after which 20 more records land in partition 0: a lag of 80 + 60 + 60.
 *
 * <p>Proves: every dashboard is importable (uid, schemaVersion, datasource variable, no datasource
 * ids); every query of every panel and every variable query, with the variables filled in, returns
 * at least one series; the lag the consumer-groups dashboard shows per partition and per group is
 * what {@code kafka-consumer-groups --describe} prints; the checker itself reports an unknown
 * metric, a syntax error and a hard-coded datasource in a mutated copy.
 */
class DashboardsAgainstPrometheusIT {
    private static final String GROUPS_TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    private static final Duration PATIENCE = KafkaClients.PATIENCE;
    private static final int PARTITIONS = 3;
    private static final int RECORDS_PER_PARTITION = 100;
    private static final long COMMITTED = 40;
    private static final int EXTRA_IN_PARTITION_0 = 20;
    private static final long EXPECTED_LAG = (RECORDS_PER_PARTITION + EXTRA_IN_PARTITION_0 - COMMITTED) + 2 * (RECORDS_PER_PARTITION - COMMITTED);

    private static BrokerProcess broker;
    private static PrometheusServer prometheus;
    private static KafkaConsumer<byte[], byte[]> member;
    private static String topic;
    private static String group;
    private static Map<String, String> variables;

    @BeforeAll
    static void startBrokerLoadItAndScrape() {
        broker = BrokerProcess.builder("observability").config("group.initial.rebalance.delay.ms", "0").start();
        int httpPort = broker.httpPort();
        topic = broker.topic("orders");
        group = broker.topic("billing-lagging");
        KafkaClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
        for (int p = 0; p < PARTITIONS; p++) produce(p, RECORDS_PER_PARTITION);
        failAnAdminCall();
        member = lagBehind();
        produce(0, EXTRA_IN_PARTITION_0);

        prometheus = PrometheusServer.start(broker.dir().resolve("prometheus"), "127.0.0.1:" + httpPort, "/q/metrics");
        // The broker recomputes lag every 10 s; wait until Prometheus has scraped the settled value.
        String lagQuery = "runnel_consumer_group_lag_sum{group=\"" + group + "\"}";
        Instant deadline = Instant.now().plus(PATIENCE);
        while (!value(prometheus.series(lagQuery)).equals(Double.toString((double) EXPECTED_LAG))) {
            assertThat(Instant.now()).as("Prometheus shows lag %d for %s (hang guard); last: %s\n%s", EXPECTED_LAG, group,
                    prometheus.series(lagQuery), prometheus.logTail()).isBefore(deadline);
            Pause.sleep(500);
        }
        Pause.sleep(3_000); // a few more scrapes, so every rate() window holds several samples
        List<JsonNode> up = prometheus.series("up{job=\"runnel\"}");
        assertThat(up).hasSize(1);
        assertThat(up.get(0).path("value").get(1).asText()).as("the scrape target is up").isEqualTo("1");
        variables = Map.of("instance", up.get(0).path("metric").path("instance").asText(), "topic", topic, "group", group);
    }

    @AfterAll
    static void stop() {
        if (member != null) member.close(Duration.ofSeconds(10));
        if (prometheus != null) prometheus.close();
        if (broker != null) broker.close();
    }

    @Test
    void everyDashboardIsImportable() {
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

    /** The broker's dashboards; the operator's ({@code operator.json}) is checked against a running operator by OperatorIT. */
    private static List<Path> brokerDashboards() {
        return DashboardChecker.dashboardFiles(dashboardsDir()).stream().filter(f -> !f.getFileName().toString().equals("operator.json")).toList();
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
    void dashboardLagEqualsWhatKafkaConsumerGroupsDescribes() {
        ExternalCommand.Result describe = ExternalCommand.kafkaTool(GROUPS_TOOL, "--bootstrap-server", broker.bootstrap(),
                "--describe", "--group", group).dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
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

    @Test
    void groupStateMembersAndErrorCodesReachPrometheus() {
        assertThat(value(prometheus.series("runnel_consumer_group_members{group=\"" + group + "\"}"))).isEqualTo("1.0");
        assertThat(prometheus.series("runnel_consumer_group_state{group=\"" + group + "\"} == 1"))
                .singleElement().satisfies(s -> assertThat(s.path("metric").path("state").asText()).isEqualTo("Stable"));
        assertThat(value(prometheus.series("runnel_request_errors_total{api=\"DeleteTopics\", error=\"UNKNOWN_TOPIC_OR_PARTITION\"}")))
                .isEqualTo("1.0");
        assertThat(value(prometheus.series("sum(runnel_log_end_offset{topic=\"" + topic + "\"})")))
                .isEqualTo(Double.toString((double) PARTITIONS * RECORDS_PER_PARTITION + EXTRA_IN_PARTITION_0));
        assertThat(prometheus.series("runnel_request_latency_seconds_bucket{api=\"Produce\", le=\"+Inf\"}"))
                .as("latency is a histogram, so histogram_quantile works").hasSize(1);
    }

    @Test
    void theCheckerCatchesAnUnknownMetricASyntaxErrorAndAHardCodedDatasource() throws IOException {
        ObjectNode broken = (ObjectNode) DashboardChecker.read(dashboardsDir().resolve("consumer-groups.json"));
        List<String> before = DashboardChecker.queryProblems(broken, variables, prometheus::queryRaw);
        assertThat(before).isEmpty();
        ObjectNode lagTarget = (ObjectNode) panel(broken, "Lag per group").path("targets").get(0);
        lagTarget.put("expr", lagTarget.path("expr").asText().replace("runnel_consumer_group_lag_sum", "runnel_consumer_group_lag_total_unknown"));
        ObjectNode membersTarget = (ObjectNode) panel(broken, "Members").path("targets").get(0);
        membersTarget.put("expr", "sum(" + membersTarget.path("expr").asText());
        ((ObjectNode) panel(broken, "Lag per partition")).putObject("datasource").put("type", "prometheus").put("uid", "P1809F7CD0C75ACF3").put("id", 7);
        broken.remove("uid");
        Path copy = broker.dir().resolve("consumer-groups-broken.json");
        Files.writeString(copy, DashboardChecker.JSON.writeValueAsString(broken));

        JsonNode reread = DashboardChecker.read(copy);
        List<String> queryProblems = DashboardChecker.queryProblems(reread, variables, prometheus::queryRaw);
        assertThat(queryProblems).hasSize(2);
        assertThat(queryProblems).anySatisfy(p -> assertThat(p).contains("panel 'Lag per group'").contains("no series"));
        assertThat(queryProblems).anySatisfy(p -> assertThat(p).contains("panel 'Members'").contains("error bad_data"));
        List<String> importProblems = DashboardChecker.importProblems(reread);
        assertThat(importProblems).anySatisfy(p -> assertThat(p).isEqualTo("no uid"));
        assertThat(importProblems).anySatisfy(p -> assertThat(p).startsWith("hard-coded datasource id at $.panels["));
        assertThat(importProblems).anySatisfy(p -> assertThat(p).startsWith("datasource not the ${datasource} variable"));
    }

    private static Path dashboardsDir() {
        return E2eSettings.repoRoot().resolve("grafana-dashboards");
    }

    private static JsonNode panel(JsonNode dashboard, String title) {
        return DashboardChecker.panels(dashboard).stream().filter(p -> p.path("title").asText().equals(title)).findFirst()
                .orElseThrow(() -> new AssertionError("no panel '" + title + "' in " + dashboard.path("uid")));
    }

    private static String panelExpr(JsonNode dashboard, String title) {
        return panel(dashboard, title).path("targets").get(0).path("expr").asText();
    }

    /** The value of a single-series result, as Prometheus prints it (or "none"). */
    private static String value(List<JsonNode> series) {
        if (series.size() != 1) return "none (" + series.size() + " series)";
        return Double.toString(Double.parseDouble(series.get(0).path("value").get(1).asText()));
    }

    private static void produce(int partition, int count) {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) acks.add(producer.send(new ProducerRecord<>(topic, partition, null, ("r" + i).getBytes())));
            KafkaClients.awaitAcks(acks, "producing to " + topic + "-" + partition);
        }
    }

    private static void failAnAdminCall() {
        try (Admin admin = KafkaClients.admin(broker.bootstrap())) {
            admin.deleteTopics(List.of(broker.topic("no-such-topic"))).all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            throw new AssertionError("deleting a topic that does not exist succeeded");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(UnknownTopicOrPartitionException.class);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A live group member that has read every record but committed only offset {@link #COMMITTED} per partition. */
    private static KafkaConsumer<byte[], byte[]> lagBehind() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
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
