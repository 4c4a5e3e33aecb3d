package io.runnel.e2e.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks Grafana dashboard JSON the way an operator would find it broken: {@link #importProblems}
 * (what Grafana's import needs and what makes a dashboard portable: a uid, a schemaVersion, a
 * Prometheus datasource variable, every datasource reference going through it, never a
 * datasource id or name) and {@link #queryProblems} (every panel query and every variable query,
 * with the variables filled in, evaluated by a real Prometheus: an error or an empty result is a
 * problem). Returns problems as readable lines instead of failing, so a test can also prove that
 * a broken dashboard is caught.
 */
public final class DashboardChecker {
    static final ObjectMapper JSON = new ObjectMapper();
    /** What Grafana's {@code $__rate_interval} becomes; at least four 1 s scrapes, as Grafana makes it. */
    static final String RATE_INTERVAL = "1m";
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$", Pattern.DOTALL);

    private DashboardChecker() {}

    /** One query of a dashboard: where it is (for messages) and its PromQL before substitution. */
    public record Query(String where, String expr) {}

    public static List<Path> dashboardFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    public static List<String> importProblems(JsonNode dashboard) {
        List<String> problems = new ArrayList<>();
        if (!dashboard.path("uid").isTextual() || dashboard.path("uid").asText().isBlank()) problems.add("no uid");
        if (!dashboard.path("schemaVersion").canConvertToInt() || dashboard.path("schemaVersion").asInt() <= 0) problems.add("no schemaVersion");
        if (!dashboard.path("title").isTextual()) problems.add("no title");
        boolean datasourceVariable = variables(dashboard).stream().anyMatch(v -> v.path("type").asText().equals("datasource")
                && v.path("name").asText().equals("datasource") && v.path("query").asText().equals("prometheus"));
        if (!datasourceVariable) problems.add("no template variable `datasource` of type datasource for prometheus");
        findDatasourceReferences(dashboard, "$", problems);
        if (!dashboard.path("panels").isArray() || dashboard.path("panels").isEmpty()) problems.add("no panels");
        for (JsonNode panel : panels(dashboard)) {
            if (!panel.has("gridPos")) problems.add("panel '" + panel.path("title").asText() + "' has no gridPos");
        }
        return problems;
    }

    /** Every datasource reference must be the {@code ${datasource}} variable: no ids, no names, no fixed uids. */
    private static void findDatasourceReferences(JsonNode node, String path, List<String> problems) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                String at = path + "." + e.getKey();
                if (e.getKey().equals("datasourceId")) problems.add("hard-coded datasource id at " + at);
                if (e.getKey().equals("datasource")) {
                    JsonNode ds = e.getValue();
                    if (!ds.isObject()) problems.add("datasource by name or id at " + at + ": " + ds);
                    else {
                        if (ds.has("id")) problems.add("hard-coded datasource id at " + at + ": " + ds);
                        if (!ds.path("uid").asText().equals("${datasource}")) problems.add("datasource not the ${datasource} variable at " + at + ": " + ds);
                    }
                }
                findDatasourceReferences(e.getValue(), at, problems);
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) findDatasourceReferences(node.get(i), path + "[" + i + "]", problems);
        }
    }

    static List<JsonNode> variables(JsonNode dashboard) {
        return dashboard.path("templating").path("list").valueStream().toList();
    }

    /** Panels, including those nested in collapsed rows. */
    static List<JsonNode> panels(JsonNode dashboard) {
        List<JsonNode> all = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            all.add(p);
            for (JsonNode nested : p.path("panels")) all.add(nested);
        }
        return all;
    }

    /** Every panel target's expression and every variable's query, turned into PromQL Prometheus can answer. */
    public static List<Query> queries(JsonNode dashboard) {
        List<Query> queries = new ArrayList<>();
        for (JsonNode variable : variables(dashboard)) {
            if (!variable.path("type").asText().equals("query")) continue;
            JsonNode q = variable.path("query");
            String text = q.isObject() ? q.path("query").asText() : q.asText();
            Matcher m = LABEL_VALUES.matcher(text);
            String where = "variable $" + variable.path("name").asText();
            queries.add(new Query(where, m.matches() ? "group by (" + m.group(2) + ") (" + m.group(1) + ")" : "unsupported variable query: " + text));
        }
        for (JsonNode panel : panels(dashboard)) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query("panel '" + panel.path("title").asText() + "' target " + target.path("refId").asText(),
                        target.path("expr").asText()));
            }
        }
        return queries;
    }

    /** {@code expr} with Grafana's variables replaced: {@code $__rate_interval}, then {@code ${name}} and {@code $name}, longest names first. */
    static String substitute(String expr, Map<String, String> values) {
        String result = expr.replace("$__rate_interval", RATE_INTERVAL);
        List<String> names = values.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        for (String name : names) result = result.replace("${" + name + "}", values.get(name)).replace("$" + name, values.get(name));
        return result;
    }

    /**
     * Evaluates every query through {@code prometheus} (instant query; the JSON answer) with the
     * variables filled in; a query that errors, is not a vector, has no series or keeps an unfilled
     * {@code $} variable is a problem.
     */
    public static List<String> queryProblems(JsonNode dashboard, Map<String, String> values, Function<String, JsonNode> prometheus) {
        List<String> problems = new ArrayList<>();
        String uid = dashboard.path("uid").asText();
        for (Query q : queries(dashboard)) {
            String promql = substitute(q.expr(), values);
            String at = uid + ": " + q.where() + ": " + promql;
            if (q.expr().isBlank()) {
                problems.add(at + ": empty query");
                continue;
            }
            if (promql.contains("$")) {
                problems.add(at + ": a variable is not filled in");
                continue;
            }
            JsonNode answer = prometheus.apply(promql);
            if (!answer.path("status").asText().equals("success")) {
                problems.add(at + ": error " + answer.path("errorType").asText() + ": " + answer.path("error").asText());
            } else if (!answer.path("data").path("resultType").asText().equals("vector")) {
                problems.add(at + ": result is " + answer.path("data").path("resultType").asText() + ", not a vector");
            } else if (answer.path("data").path("result").isEmpty()) {
                problems.add(at + ": no series");
            }
        }
        return problems;
    }
}
