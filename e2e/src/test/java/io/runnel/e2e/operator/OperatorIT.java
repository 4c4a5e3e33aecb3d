package io.runnel.e2e.operator;

import static io.runnel.e2e.operator.CustomResources.clusterYaml;
import static io.runnel.e2e.operator.CustomResources.condition;
import static io.runnel.e2e.operator.CustomResources.ok;
import static io.runnel.e2e.operator.CustomResources.status;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.runnel.e2e.kube.KubeTestbed;
import io.runnel.e2e.observability.DashboardChecker;
import io.runnel.e2e.observability.PrometheusServer;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;

/**
 * The operator's acceptance suite on a real API server (the Kubernetes testbed, or any cluster
 * given by KUBECONFIG with -Drunnel.e2e.kube=external): installed with {@code kubectl apply -f
 * crds/ -f k8s/} like a user would, it turns the example Cluster into brokers that real clients
 * (Java, kcat) use, manages Topics, takes {@code kubectl scale}, refuses bad resources without
 * stopping, and converges after being killed mid-reconcile. The tests share one cluster and run in
 * order, each building on the last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorIT {
    private static final ResourceDefinitionContext TOPICS = CustomResources.TOPICS;
    private static final String OPERATOR_NS = CustomResources.OPERATOR_NS;

    private static KubeTestbed testbed;
    private static KubernetesClient kube;
    private static String ns;
    private static String bootstrap;


    @BeforeAll
    static void installTheOperatorWithKubectl() {
        testbed = KubeTestbed.start("operator");
        kube = testbed.client();
        Path repo = E2eSettings.repoRoot();
        // The kustomize base renders the same install (kubectl apply -k k8s/ is the other documented way).
        assertThat(ok(kubectl("kustomize", repo.resolve("k8s").toString()))).contains("kind: CustomResourceDefinition", "kind: ClusterRole",
                "kind: Deployment", "name: runnel-operator", "name: clusters.runnel.dev", "name: topics.runnel.dev");
        ok(kubectl("apply", "-f", repo.resolve("crds").toString(), "-f", repo.resolve("k8s").toString()));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        ns = testbed.createNamespace("operator");
    }

    @AfterAll
    static void closeTestbed() {
        if (testbed != null) testbed.close();
    }

    @Test
    @Order(1)
    void theExampleClusterBecomesReadyBrokersThatJavaAndKcatClientsUse() throws Exception {
        ok(kubectl("-n", ns, "apply", "-f", E2eSettings.repoRoot().resolve("k8s/examples/cluster.yaml").toString()));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "cluster/events", "--timeout=300s"));

        GenericKubernetesResource cluster = cluster("events");
        String uid = cluster.getMetadata().getUid();
        StatefulSet sts = kube.apps().statefulSets().inNamespace(ns).withName("events").get();
        assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
        assertThat(sts.getStatus().getReadyReplicas()).isEqualTo(3);
        List<HasMetadata> owned = List.of(sts,
                kube.services().inNamespace(ns).withName("events-brokers").get(),
                kube.services().inNamespace(ns).withName("events-bootstrap").get(),
                kube.configMaps().inNamespace(ns).withName("events-config").get(),
                disruptionBudget("events"));
        for (HasMetadata o : owned)
            assertThat(o.getMetadata().getOwnerReferences()).as("owner of %s %s", o.getKind(), o.getMetadata().getName())
                    .extracting(OwnerReference::getUid).containsExactly(uid);
        assertThat(kube.persistentVolumeClaims().inNamespace(ns).list().getItems()).extracting(c -> c.getMetadata().getName())
                .containsExactlyInAnyOrder("data-events-0", "data-events-1", "data-events-2");

        String table = ok(kubectl("-n", ns, "get", "clusters"));
        assertThat(table).contains("READY").containsPattern("events\\s+\\S+\\s+3\\s+events-bootstrap\\.\\S+:9092\\s+True\\s+3");
        Map<String, Object> status = status(cluster);
        bootstrap = (String) status.get("bootstrap");
        assertThat(bootstrap).isEqualTo("events-bootstrap." + ns + ".svc:9092");

        // The operator's own metrics: the Cluster's conditions as gauges, and JOSDK's reconcile counters.
        String metrics = operatorMetrics();
        assertThat(metrics).contains("runnel_operator_cluster_condition{cluster=\"events\",namespace=\"" + ns + "\",type=\"Ready\"} 1.0",
                "runnel_operator_cluster_brokers_ready{cluster=\"events\",namespace=\"" + ns + "\"} 3.0");
        assertThat(metrics.lines().filter(l -> l.startsWith("operator_sdk_reconciliations_success_total")).toList())
                .anySatisfy(l -> assertThat(l).contains("kind=\"Cluster\"", "name=\"events\""));

        // Java: acks=all through the bootstrap Service, then every record back.
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            assertThat(admin.describeCluster().nodes().get()).hasSize(3);
            // Three replicas: the example cluster's min.insync.replicas is 2.
            admin.createTopics(List.of(new NewTopic("greetings", 3, (short) 3))).all().get();
        }
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        var props = KafkaClients.producerProps(bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < 100; i++)
                acks.add(producer.send(new ProducerRecord<>("greetings", ("java-" + i).getBytes(StandardCharsets.UTF_8))));
            KafkaClients.awaitAcks(acks, "producing to greetings through " + bootstrap);
        }
        // kcat (librdkafka): produce ten more, then read all 110 back.
        Path lines = testbed.runDir().resolve("kcat-input.txt");
        Files.write(lines, java.util.stream.IntStream.range(0, 10).mapToObj(i -> "kcat-" + i).toList());
        ok(ExternalCommand.of("kcat", "-b", bootstrap, "-t", "greetings", "-P", "-X", "acks=all", "-l", lines.toString()).name("kcat-produce")
                .dir(testbed.runDir()));
        String consumed = ok(ExternalCommand.of("kcat", "-b", bootstrap, "-t", "greetings", "-C", "-o", "beginning", "-e", "-q")
                .name("kcat-consume").dir(testbed.runDir()));
        List<String> values = consumed.lines().filter(l -> !l.isBlank()).toList();
        assertThat(values).hasSize(110).contains("java-0", "java-99", "kcat-0", "kcat-9");
    }

    @Test
    @Order(2)
    void topicsAreCreatedGrownReconfiguredRefusedAndDeletedPerPolicy() throws Exception {
        ok(kubectl("-n", ns, "apply", "-f", E2eSettings.repoRoot().resolve("k8s/examples/topic.yaml").toString()));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "topic/orders", "--timeout=120s"));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            TopicDescription orders = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
            assertThat(orders.partitions()).hasSize(12);
            assertThat(orders.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
            assertThat(topicConfig(admin, "orders")).containsEntry("retention.ms", "86400000").containsEntry("min.insync.replicas", "2");
            assertThat(status(topic("orders"))).containsEntry("partitions", 12).containsEntry("replicationFactor", 3)
                    .containsEntry("topicId", orders.topicId().toString());

            // An edit: more partitions, another retention, one config dropped (reset to the default).
            ok(kubectl("-n", ns, "patch", "topic/orders", "--type=merge", "-p",
                    "{\"spec\":{\"partitions\":16,\"config\":{\"retention.ms\":\"3600000\",\"min.insync.replicas\":null}}}"));
            Eventually.until("orders grown to 16 partitions with retention.ms 3600000 and no min.insync.replicas override", () -> {
                try {
                    int partitions = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders").partitions().size();
                    Map<String, String> config = topicConfig(admin, "orders");
                    return partitions == 16 && "3600000".equals(config.get("retention.ms")) && !config.containsKey("min.insync.replicas")
                            ? null : partitions + " partitions, configs " + config;
                } catch (Exception e) {
                    return e.toString();
                }
            });

            // Fewer partitions: refused in status, the topic untouched.
            ok(kubectl("-n", ns, "patch", "topic/orders", "--type=merge", "-p", "{\"spec\":{\"partitions\":8}}"));
            Eventually.until("the shrink of orders refused in its status", () -> {
                Map<String, Object> ready = condition(topic("orders"), "Ready");
                return "False".equals(ready.get("status")) && "ChangeRefused".equals(ready.get("reason")) ? null : String.valueOf(ready);
            });
            assertThat(String.valueOf(condition(topic("orders"), "Ready").get("message"))).contains("partitions cannot shrink from 16 to 8");
            assertThat(admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders").partitions()).hasSize(16);
            assertThat(ok(kubectl("-n", ns, "get", "topics"))).containsPattern("orders\\s+.*ChangeRefused");

            // Retain keeps the Kafka topic when the resource goes; Delete (the default) removes it.
            ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("keep.yaml", topicYaml("audit-log", 2, 1, "deletionPolicy: Retain"))));
            ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "topic/audit-log", "--timeout=120s"));
            ok(kubectl("-n", ns, "delete", "topic/audit-log", "--timeout=120s"));
            // A second resource naming the same Kafka topic is refused, and deleting it leaves the topic alone.
            ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("twin.yaml", topicYaml("orders-twin", 16, 3, "topicName: orders"))));
            Eventually.until("the twin refused", () -> {
                Map<String, Object> ready = condition(topic("orders-twin"), "Ready");
                return "TopicNameInUse".equals(ready.get("reason")) ? null : String.valueOf(ready);
            });
            ok(kubectl("-n", ns, "delete", "topic/orders-twin", "--timeout=120s"));
            assertThat(admin.listTopics().names().get()).contains("orders");
            ok(kubectl("-n", ns, "delete", "topic/orders", "--timeout=120s"));
            Eventually.until("orders deleted from the brokers", () -> {
                try {
                    Set<String> names = admin.listTopics().names().get();
                    return names.contains("orders") ? "still listed: " + names : null;
                } catch (Exception e) {
                    return e.toString();
                }
            });
            assertThat(admin.listTopics().names().get()).contains("audit-log");
        }
    }

    @Test
    @Order(3)
    void badResourcesAreRejectedOrReportedAndTheOperatorKeepsReconcilingTheRest() {
        var zeroPartitions = kubectl("-n", ns, "apply", "-f", "-").stdin(write("zero.yaml", topicYaml("zero", 0, 1, ""))).run();
        assertThat(zeroPartitions.succeeded()).as(zeroPartitions.describe()).isFalse();
        assertThat(zeroPartitions.stderr()).contains("spec.partitions");

        var unknownField = kubectl("-n", ns, "apply", "-f", "-").stdin(write("unknown.yaml", topicYaml("colourful", 1, 1, "colour: blue"))).run();
        assertThat(unknownField.succeeded()).as(unknownField.describe()).isFalse();
        assertThat(unknownField.stderr()).contains("colour");

        var tooMany = kubectl("-n", ns, "apply", "-f", "-").stdin(write("huge.yaml", clusterYaml("huge", 101, ""))).run();
        assertThat(tooMany.succeeded()).as(tooMany.describe()).isFalse();
        assertThat(tooMany.stderr()).contains("spec.replicas");

        // Valid to the schema, wrong to the operator: reported in status, nothing created.
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("reserved.yaml", clusterYaml("reserved", 1, "  config: {node.id: \"7\"}"))));
        String lost = topicYaml("lost", 1, 1, "").replace("cluster: events", "cluster: nowhere");
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("lost.yaml", lost)));
        Eventually.until("the reserved key and the missing cluster reported", () -> {
            Map<String, Object> reserved = condition(cluster("reserved"), "Ready");
            Map<String, Object> orphan = condition(topic("lost"), "Ready");
            return "InvalidSpec".equals(reserved.get("reason")) && "ClusterNotFound".equals(orphan.get("reason")) ? null
                    : "reserved: " + reserved + ", lost: " + orphan;
        });
        assertThat(String.valueOf(condition(cluster("reserved"), "Ready").get("message"))).contains("'node.id' is set by the operator");
        assertThat(kube.apps().statefulSets().inNamespace(ns).withName("reserved").get()).isNull();

        // An invalid topic config: Kafka's own error, by name, in the status.
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("badconfig.yaml", topicYaml("bad-config", 1, 1, "config: {retention.ms: soon}"))));
        Eventually.until("the broker's refusal of retention.ms=soon in the Topic's status", () -> {
            Map<String, Object> ready = condition(topic("bad-config"), "Ready");
            return "InvalidConfiguration".equals(ready.get("reason")) ? null : String.valueOf(ready);
        });

        // Meanwhile good resources are still served.
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("after.yaml", topicYaml("after-bad-ones", 3, 3, ""))));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "topic/after-bad-ones", "--timeout=120s"));
        ok(kubectl("-n", ns, "delete", "cluster/reserved", "topic/lost", "topic/after-bad-ones", "topic/bad-config", "--timeout=120s"));
    }

    @Test
    @Order(4)
    void kubectlScaleGrowsTheStatefulSetAndTheNewBrokerJoins() throws Exception {
        ok(kubectl("-n", ns, "scale", "cluster/events", "--replicas=4"));
        Eventually.until("the StatefulSet at 4 replicas", () -> {
            Integer replicas = kube.apps().statefulSets().inNamespace(ns).withName("events").get().getSpec().getReplicas();
            return replicas == 4 ? null : "replicas " + replicas;
        });
        Eventually.until("4 ready brokers in the Cluster's status", () -> {
            Map<String, Object> status = status(cluster("events"));
            return Integer.valueOf(4).equals(status.get("readyReplicas")) && "True".equals(condition(cluster("events"), "Ready").get("status"))
                    ? null : "status " + status;
        });
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            Eventually.until("broker 3 registered", () -> {
                try {
                    Collection<?> nodes = admin.describeCluster().nodes().get();
                    return nodes.size() == 4 ? null : nodes.toString();
                } catch (Exception e) {
                    return e.toString();
                }
            });
        }
    }

    @Test
    @Order(5)
    void anOperatorKilledMidReconcileConvergesAndAPassOverAnUnchangedSpecWritesNothing() throws Exception {
        // A static config change starts a pass (ConfigMap, then the StatefulSet's template, then the operator's
        // own roll, here with a short settle time); kill the operator at once.
        String revisionBefore = statefulSet().getStatus().getUpdateRevision();
        ok(kubectl("-n", ns, "patch", "cluster/events", "--type=merge", "-p", "{\"spec\":{\"rollout\":{\"settleSeconds\":5},\"config\":{\"log.retention.check.interval.ms\":\"60000\"}}}"));
        ok(kubectl("-n", OPERATOR_NS, "delete", "pod", "-l", "app.kubernetes.io/name=runnel-operator", "--grace-period=0", "--force"));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        awaitRolledOnto("RUNNEL_LOG_RETENTION_CHECK_INTERVAL_MS", "60000", revisionBefore);

        // The same, made deterministic: the operator stopped exactly between its first step (the
        // ConfigMap, done here by hand as it would) and the StatefulSet. The next operator finishes the pass.
        ok(kubectl("-n", OPERATOR_NS, "scale", "deployment/runnel-operator", "--replicas=0"));
        Eventually.until("no operator pod", () -> operatorPods().isEmpty() ? null : operatorPods().toString());
        revisionBefore = statefulSet().getStatus().getUpdateRevision();
        ok(kubectl("-n", ns, "patch", "cluster/events", "--type=merge", "-p", "{\"spec\":{\"config\":{\"log.cleaner.backoff.ms\":\"20000\"}}}"));
        ok(kubectl("-n", ns, "patch", "configmap/events-config", "--type=merge", "-p", "{\"data\":{\"RUNNEL_LOG_CLEANER_BACKOFF_MS\":\"20000\"}}"));
        assertThat(statefulSet().getStatus().getUpdateRevision()).as("nothing rolls while the operator is away").isEqualTo(revisionBefore);
        ok(kubectl("-n", OPERATOR_NS, "scale", "deployment/runnel-operator", "--replicas=1"));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        awaitRolledOnto("RUNNEL_LOG_CLEANER_BACKOFF_MS", "20000", revisionBefore);
        assertThat(kube.configMaps().inNamespace(ns).withName("events-config").get().getData())
                .containsEntry("RUNNEL_LOG_RETENTION_CHECK_INTERVAL_MS", "60000").containsEntry("RUNNEL_LOG_CLEANER_BACKOFF_MS", "20000");

        // Idempotence: the next pass (the periodic one; nothing in the spec changed) writes nothing.
        Map<String, String> before = versions();
        long passesBefore = passes();
        Eventually.until("another pass over the Cluster", () -> passes() > passesBefore ? null : "none yet");
        assertThat(versions()).isEqualTo(before);
    }

    /** Waits until the ConfigMap holds the setting and every broker runs a pod template newer than {@code revisionBefore}, Ready. */
    private static void awaitRolledOnto(String env, String value, String revisionBefore) {
        Eventually.until(env + "=" + value + " in the ConfigMap and every broker rolled onto it, Ready", () -> {
            String actual = kube.configMaps().inNamespace(ns).withName("events-config").get().getData().get(env);
            var s = statefulSet().getStatus();
            boolean rolled = s.getUpdateRevision() != null && !s.getUpdateRevision().equals(revisionBefore)
                    && Integer.valueOf(4).equals(s.getUpdatedReplicas()) && Integer.valueOf(4).equals(s.getReadyReplicas());
            boolean ready = "True".equals(condition(cluster("events"), "Ready").get("status"));
            return value.equals(actual) && rolled && ready ? null : "config " + actual + ", StatefulSet status " + s + ", ready " + ready;
        });
        List<Pod> brokers = kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", "events").list().getItems();
        assertThat(brokers).hasSize(4).allSatisfy(p -> assertThat(p.getMetadata().getLabels().get("controller-revision-hash"))
                .isEqualTo(statefulSet().getStatus().getUpdateRevision()));
    }

    private static StatefulSet statefulSet() {
        return kube.apps().statefulSets().inNamespace(ns).withName("events").get();
    }

    private static List<String> operatorPods() {
        return kube.pods().inNamespace(OPERATOR_NS).withLabel("app.kubernetes.io/name", "runnel-operator").list().getItems().stream()
                .map(p -> p.getMetadata().getName()).toList();
    }

    @Test
    @Order(6)
    void withRackAwarenessEachBrokerTakesItsNodesZoneAndEverythingButTheClaimGoesWithTheCluster() throws Exception {
        String node = kube.nodes().list().getItems().get(0).getMetadata().getName();
        ok(kubectl("label", "node", node, "topology.kubernetes.io/zone=zone-a", "--overwrite"));
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("zoned.yaml",
                clusterYaml("zoned", 1, "  rack: {topologyKey: topology.kubernetes.io/zone}"))));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "cluster/zoned", "--timeout=300s"));
        String zonedBootstrap = (String) status(cluster("zoned")).get("bootstrap");
        try (Admin admin = KafkaClients.admin(zonedBootstrap)) {
            assertThat(admin.describeCluster().nodes().get()).singleElement().satisfies(n -> assertThat(n.rack()).isEqualTo("zone-a"));
        }
        String binding = "runnel-broker-rack." + ns + ".zoned";
        assertThat(kube.rbac().clusterRoleBindings().withName(binding).get()).isNotNull();
        ok(kubectl("-n", ns, "delete", "cluster/zoned", "--timeout=120s"));
        assertThat(kube.rbac().clusterRoleBindings().withName(binding).get()).as("the rack binding, deleted with its Cluster").isNull();
        // Everything else goes by owner reference (the garbage collector); the claim stays, as StatefulSets keep claims.
        Eventually.until("the zoned StatefulSet, Services and ConfigMap garbage-collected", () -> {
            List<String> left = new ArrayList<>();
            if (kube.apps().statefulSets().inNamespace(ns).withName("zoned").get() != null) left.add("StatefulSet");
            if (kube.services().inNamespace(ns).withName("zoned-bootstrap").get() != null) left.add("Service");
            if (kube.configMaps().inNamespace(ns).withName("zoned-config").get() != null) left.add("ConfigMap");
            return left.isEmpty() ? null : "left: " + left;
        });
        assertThat(kube.persistentVolumeClaims().inNamespace(ns).withName("data-zoned-0").get()).isNotNull();
    }

    @Test
    @Order(7)
    void theOperatorDashboardAnswersEveryQueryFromAPrometheusScrapingTheOperator() throws Exception {
        // A Prometheus on this machine reaches the operator's pod IP only on the testbed (a real cluster would need a port-forward).
        org.junit.jupiter.api.Assumptions.assumeTrue(testbed.agent().isPresent(), "the operator's pod IP is reachable only on the testbed");
        Pod pod = kube.pods().inNamespace(OPERATOR_NS).withLabel("app.kubernetes.io/name", "runnel-operator").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
        Path file = E2eSettings.repoRoot().resolve("grafana-dashboards/operator.json");
        var dashboard = DashboardChecker.read(file);
        assertThat(DashboardChecker.importProblems(dashboard)).isEmpty();
        try (PrometheusServer prometheus = PrometheusServer.start(testbed.runDir().resolve("prometheus"),
                pod.getStatus().getPodIP() + ":8080", "/q/metrics")) {
            Map<String, String> variables = Map.of("namespace", ns, "cluster", "events");
            // Rates need a few scrapes (one a second) and a reconcile in between (every 60 s at the latest).
            Eventually.until("every query of the operator's dashboard answered with series",
                    () -> {
                        List<String> problems = DashboardChecker.queryProblems(dashboard, variables, prometheus::queryRaw);
                        return problems.isEmpty() ? null : problems + "\n" + prometheus.logTail();
                    });
        }
    }

    private static Map<String, String> versions() {
        Map<String, String> v = new TreeMap<>();
        for (HasMetadata o : List.of(kube.apps().statefulSets().inNamespace(ns).withName("events").get(),
                kube.services().inNamespace(ns).withName("events-brokers").get(), kube.services().inNamespace(ns).withName("events-bootstrap").get(),
                kube.configMaps().inNamespace(ns).withName("events-config").get(), disruptionBudget("events")))
            v.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion());
        // Nor does the operator rewrite the Cluster's status.
        v.put("Cluster/events", cluster("events").getMetadata().getResourceVersion());
        return v;
    }

    /** The running operator's log, where each Cluster pass leaves a line: from the testbed's agent, or kubectl logs on a real cluster. */
    private static String operatorLog() {
        if (testbed.agent().isEmpty()) return ok(kubectl("-n", OPERATOR_NS, "logs", "deployment/runnel-operator"));
        Pod pod = kube.pods().inNamespace(OPERATOR_NS).withLabel("app.kubernetes.io/name", "runnel-operator").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
        try {
            return Files.readString(testbed.agent().get().logFile(OPERATOR_NS, pod.getMetadata().getName()));
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** The operator's Prometheus metrics, scraped from its pod like Prometheus would. */
    private static String operatorMetrics() throws Exception {
        Pod pod = kube.pods().inNamespace(OPERATOR_NS).withLabel("app.kubernetes.io/name", "runnel-operator").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).findFirst().orElseThrow();
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + pod.getStatus().getPodIP() + ":8080/q/metrics"))
                .timeout(java.time.Duration.ofSeconds(10)).build();
        return http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    private static long passes() {
        return operatorLog().lines().filter(l -> l.contains("Cluster " + ns + "/events reconciled")).count();
    }

    private static HasMetadata disruptionBudget(String name) {
        var v1 = kube.policy().v1().podDisruptionBudget().inNamespace(ns).withName(name);
        try {
            HasMetadata pdb = v1.get();
            if (pdb != null) return pdb;
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            // A server before 1.21 has only policy/v1beta1.
        }
        return kube.policy().v1beta1().podDisruptionBudget().inNamespace(ns).withName(name).get();
    }

    private static Map<String, String> topicConfig(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(r)).all().get().get(r);
        return config.entries().stream().filter(e -> e.source() == org.apache.kafka.clients.admin.ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                .collect(Collectors.toMap(e -> e.name(), e -> e.value()));
    }

    private static GenericKubernetesResource cluster(String name) {
        return CustomResources.cluster(kube, ns, name);
    }

    private static GenericKubernetesResource topic(String name) {
        return kube.genericKubernetesResources(TOPICS).inNamespace(ns).withName(name).get();
    }



    private static String topicYaml(String name, int partitions, int rf, String extraSpecLine) {
        return "apiVersion: runnel.dev/v1alpha1\nkind: Topic\nmetadata:\n  name: " + name + "\nspec:\n  cluster: events\n  partitions: "
                + partitions + "\n  replicationFactor: " + rf + "\n" + (extraSpecLine.isEmpty() ? "" : "  " + extraSpecLine + "\n");
    }


    private static Path write(String file, String content) {
        return CustomResources.write(testbed.runDir(), file, content);
    }

    private static ExternalCommand kubectl(String... args) {
        return testbed.kubectl(args);
    }

}
