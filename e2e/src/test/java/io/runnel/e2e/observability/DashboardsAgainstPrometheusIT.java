package io.runnel.e2e.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runnel.e2e.support.BrokerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dashboards ({@link DashboardScenario}) against one broker, plus what only one broker makes
 * exact: group state, members and error codes as Prometheus has them, the log end offsets, the
 * latency histogram; and the checker itself reports an unknown metric, a syntax error and a
 * hard-coded datasource in a mutated copy.
 */
class DashboardsAgainstPrometheusIT extends DashboardScenario {
    private BrokerProcess broker;

    @Override
    String startBrokers() {
        broker = BrokerProcess.builder("observability").config("group.initial.rebalance.delay.ms", "0").start();
        return broker.bootstrap();
    }

    @Override
    List<String> scrapeTargets() {
        return List.of("127.0.0.1:" + broker.httpPort());
    }

    @Override
    String name(String base) {
        return broker.topic(base);
    }

    @Override
    short replicationFactor() {
        return 1;
    }

    @Override
    Path workDir() {
        return broker.dir();
    }

    @Override
    void stopBrokers() {
        if (broker != null) broker.close();
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
}
