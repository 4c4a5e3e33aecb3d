package io.runnel.e2e.operator;

import static io.runnel.e2e.operator.CustomResources.OPERATOR_NS;
import static io.runnel.e2e.operator.CustomResources.clusterYaml;
import static io.runnel.e2e.operator.CustomResources.condition;
import static io.runnel.e2e.operator.CustomResources.ok;
import static io.runnel.e2e.operator.CustomResources.status;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runnel.e2e.kube.KubeTestbed;
import io.runnel.e2e.support.BackgroundProcess;
import io.runnel.e2e.support.DeliveryCheck;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.VerifiableConsumerProcess;
import io.runnel.e2e.support.VerifiableProducerProcess;

/**
 * Day-2 operations by the operator on a real API server, while Kafka's VerifiableProducer (acks=all,
 * idempotent) and VerifiableConsumer run against the bootstrap Service the whole time: dynamic
 * settings without a restart, scale 3 to 5 (replicas and leaders end evenly spread), scale 5 to 3
 * (the leaving brokers are drained before they go, their claims deleted, with the operator killed
 * mid-drain), a scale below the quorum
 * refused, a config change that needs a restart and an image change rolled one broker at a time
 * (with the operator killed mid-roll), autoscaling up under Kafka's producer perf test and back down
 * when it stops, and at the end every acknowledged record consumed. A
 * {@link ClusterWatch} samples the cluster every second throughout. The tests share one cluster and
 * run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorDay2IT {
    private static final String CLUSTER = "stream";
    private static final String TOPIC = "ledger";
    private static final int PARTITIONS = 6;
    private static final int MIN_INSYNC_REPLICAS = 2;
    private static final java.time.Duration PATIENCE = java.time.Duration.ofMinutes(8);

    private static KubeTestbed testbed;
    private static KubernetesClient kube;
    private static String ns;
    private static String bootstrap;
    private static VerifiableProducerProcess producer;
    private static VerifiableConsumerProcess consumer;
    private static ClusterWatch watch;

    @BeforeAll
    static void aThreeBrokerClusterUnderProduceAndConsumeLoad() throws Exception {
        testbed = KubeTestbed.start("day2");
        kube = testbed.client();
        Path repo = E2eSettings.repoRoot();
        ok(kubectl("apply", "-f", repo.resolve("crds").toString(), "-f", repo.resolve("k8s").toString()));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        ns = testbed.createNamespace("day2");
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("stream.yaml", clusterYaml(CLUSTER, 3,
                "  config: {min.insync.replicas: \"" + MIN_INSYNC_REPLICAS + "\", log.cleaner.backoff.ms: \"15000\"}\n"
                        + "  rollout: {settleSeconds: 10}\n  rebalance: {throttleBytesPerSecond: 10485760}"))));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "cluster/" + CLUSTER, "--timeout=300s"));
        bootstrap = (String) status(cluster()).get("bootstrap");
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(2, TimeUnit.MINUTES);
        }
        Path clients = testbed.runDir().resolve("clients");
        Files.createDirectories(clients);
        consumer = VerifiableConsumerProcess.start(bootstrap, TOPIC, "day2-readers", Map.of(
                "session.timeout.ms", "10000", "heartbeat.interval.ms", "1000", "request.timeout.ms", "10000",
                "metadata.max.age.ms", "3000"), clients);
        producer = VerifiableProducerProcess.start(bootstrap, TOPIC, 50, 60, Map.of(
                "enable.idempotence", "true", "acks", "all", "retries", Integer.toString(Integer.MAX_VALUE),
                // One batch per partition in flight: see ReplicationChaosIT for why leader moves need it with Kafka's producer.
                "max.in.flight.requests.per.connection", "1",
                "delivery.timeout.ms", "600000", "request.timeout.ms", "8000", "metadata.max.age.ms", "3000", "linger.ms", "5"), clients);
        until("the producer's first acknowledgements and the consumer's first records",
                () -> producer.ackedCount() > 0 && consumer.consumedCount() > 0 ? null : producer.describe() + "\n" + consumer.describe());
        watch = new ClusterWatch(kube, ns, CLUSTER, bootstrap, TOPIC, MIN_INSYNC_REPLICAS);
    }

    @AfterAll
    static void stopEverything() {
        if (watch != null) watch.close();
        if (producer != null) producer.close();
        if (consumer != null) consumer.close();
        if (testbed != null) testbed.close();
    }

    @Test
    @Order(1)
    void topicDefaultsInTheSpecReachTheRunningBrokersWithoutARestart() throws Exception {
        Map<String, String> uids = podUids();
        ok(kubectl("-n", ns, "patch", "cluster/" + CLUSTER, "--type=merge", "-p", "{\"spec\":{\"config\":{\"log.retention.ms\":\"86400000\"}}}"));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            until("log.retention.ms and min.insync.replicas as cluster-wide dynamic defaults", () -> {
                Map<String, String> defaults = clusterDefaults(admin);
                return "86400000".equals(defaults.get("log.retention.ms")) && "2".equals(defaults.get("min.insync.replicas")) ? null
                        : defaults.toString();
            });
            // Each key the operator applies this way is one a real broker takes as a dynamic default.
            ConfigResource broker0 = new ConfigResource(ConfigResource.Type.BROKER, "0");
            Config current = admin.describeConfigs(List.of(broker0)).all().get().get(broker0);
            ConfigResource defaults = new ConfigResource(ConfigResource.Type.BROKER, "");
            for (String key : dynamicKeys()) {
                ConfigEntry entry = current.get(key);
                List<String> candidates = new java.util.ArrayList<>();
                if (entry != null && entry.value() != null) candidates.add(entry.value());
                candidates.addAll(List.of("1000", "0.5", "true", "delete", "CreateTime", "producer"));
                String refusal = null;
                for (String value : candidates) {
                    try {
                        admin.incrementalAlterConfigs(Map.of(defaults, List.of(new AlterConfigOp(new ConfigEntry(key, value),
                                AlterConfigOp.OpType.SET))), new AlterConfigsOptions().validateOnly(true)).all().get();
                        refusal = null;
                        break;
                    } catch (java.util.concurrent.ExecutionException e) {
                        refusal = e.getCause().getMessage();
                    }
                }
                assertThat(refusal).as("the broker takes %s as a dynamic default", key).isNull();
            }
        }
        assertThat(podUids()).as("no broker restarted for a dynamic setting").isEqualTo(uids);
        assertThat(kube.configMaps().inNamespace(ns).withName(CLUSTER + "-config").get().getData()).doesNotContainKey("RUNNEL_LOG_RETENTION_MS");
    }

    @Test
    @Order(2)
    void scalingFromThreeToFiveBrokersSpreadsReplicasAndLeadersEvenly() {
        ok(kubectl("-n", ns, "scale", "cluster/" + CLUSTER, "--replicas=5"));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            until("5 Ready brokers carrying even shares of replicas and leaders", () -> {
                String notReady = readyWith(5);
                if (notReady != null) return notReady;
                Spread spread = spread(admin);
                return spread.brokers().equals(Set.of(0, 1, 2, 3, 4)) && spread.even() ? null : spread.toString();
            });
        }
        assertThat(watch.removedWhileHolding()).isEmpty();
    }

    @Test
    @Order(3)
    void scalingFromFiveToThreeDrainsTheLeavingBrokersBeforeTheyGoAndDeletesTheirClaimsEvenWithTheOperatorKilledMidDrain() {
        ok(kubectl("-n", ns, "scale", "cluster/" + CLUSTER, "--replicas=3"));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            // Looked at every 50 ms: the moves of a drain take seconds here, a pass of the operator milliseconds.
            java.time.Instant deadline = java.time.Instant.now().plusSeconds(120);
            int moving = 0;
            while (moving == 0 && java.time.Instant.now().isBefore(deadline)) {
                try {
                    moving = admin.listPartitionReassignments().reassignments().get(5, TimeUnit.SECONDS).size();
                } catch (Exception e) {
                    // a broker busy restarting its fetchers; look again
                }
                if (moving == 0) io.runnel.e2e.support.Pause.sleep(50);
            }
            assertThat(moving).as("partitions seen moving off brokers 3 and 4 before the operator is killed").isPositive();
        }
        ok(kubectl("-n", OPERATOR_NS, "delete", "pod", "-l", "app.kubernetes.io/name=runnel-operator", "--grace-period=0", "--force"));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            until("3 Ready brokers holding every replica, brokers 3 and 4 and their claims gone", () -> {
                String notReady = readyWith(3);
                if (notReady != null) return notReady;
                List<String> left = kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", CLUSTER).list().getItems().stream()
                        .map(p -> p.getMetadata().getName()).filter(n -> n.endsWith("-3") || n.endsWith("-4")).toList();
                List<String> claims = kube.persistentVolumeClaims().inNamespace(ns).list().getItems().stream()
                        .map(c -> c.getMetadata().getName()).filter(n -> n.endsWith("-3") || n.endsWith("-4")).toList();
                Spread spread = spread(admin);
                return left.isEmpty() && claims.isEmpty() && spread.brokers().equals(Set.of(0, 1, 2)) && spread.even() ? null
                        : "pods " + left + ", claims " + claims + ", " + spread;
            });
        }
        assertThat(watch.removedWhileHolding()).as("brokers removed while replicas were still assigned to them").isEmpty();
    }

    @Test
    @Order(4)
    void aScaleBelowTheMetadataQuorumIsRefusedWithAReasonAndChangesNothing() {
        ok(kubectl("-n", ns, "scale", "cluster/" + CLUSTER, "--replicas=2"));
        until("the Cluster not Ready, ScaleRefused", () -> {
            Map<String, Object> ready = condition(cluster(), "Ready");
            return "ScaleRefused".equals(ready.get("reason")) ? null : ready.toString();
        });
        assertThat((String) condition(cluster(), "Ready").get("message")).contains("metadata quorum");
        assertThat(statefulSet().getSpec().getReplicas()).isEqualTo(3);
        ok(kubectl("-n", ns, "scale", "cluster/" + CLUSTER, "--replicas=3"));
        until("the Cluster Ready again", () -> readyWith(3));
    }

    @Test
    @Order(5)
    void aConfigThatNeedsARestartRollsOneBrokerAtATimeAndTheRollSurvivesAnOperatorKill() {
        watch.resetNotReady();
        String before = statefulSet().getStatus().getUpdateRevision();
        ok(kubectl("-n", ns, "patch", "cluster/" + CLUSTER, "--type=merge", "-p", "{\"spec\":{\"config\":{\"log.cleaner.backoff.ms\":\"20000\"}}}"));
        until("the first broker restarted onto the new template", () -> {
            String now = statefulSet().getStatus().getUpdateRevision();
            long updated = brokerPods().stream().filter(p -> now.equals(p.getMetadata().getLabels().get("controller-revision-hash"))).count();
            return !now.equals(before) && updated >= 1 ? null : updated + " updated";
        });
        ok(kubectl("-n", OPERATOR_NS, "delete", "pod", "-l", "app.kubernetes.io/name=runnel-operator", "--grace-period=0", "--force"));
        ok(kubectl("-n", OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        awaitRolled(before);
        assertThat(watch.maxNotReady()).as("brokers not Ready at once during the roll").isEqualTo(1);
    }

    @Test
    @Order(6)
    void aNewVersionRollsTheBrokersTheSameWay() {
        // The testbed runs the same broker jar for any tag: this proves the roll, not a new binary.
        watch.resetNotReady();
        String before = statefulSet().getStatus().getUpdateRevision();
        ok(kubectl("-n", ns, "patch", "cluster/" + CLUSTER, "--type=merge", "-p", "{\"spec\":{\"version\":\"0.1.1\"}}"));
        awaitRolled(before);
        assertThat(statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("runnel/broker:0.1.1");
        assertThat(watch.maxNotReady()).as("brokers not Ready at once during the roll").isEqualTo(1);
    }

    @Test
    @Order(7)
    void autoscalingAddsABrokerUnderLoadAndRemovesItWhenTheLoadGoesWithoutFlapping() throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic("load", 3, (short) 3))).all().get(2, TimeUnit.MINUTES);
        }
        int historyBefore = watch.replicasHistory().size();
        // 20 KiB/s per broker: the VerifiableProducer alone is far below it, with the perf test's 100 KB/s it calls for 5 (at most 4).
        ok(kubectl("-n", ns, "patch", "cluster/" + CLUSTER, "--type=merge", "-p", "{\"spec\":{\"autoscaling\":{\"minReplicas\":3,"
                + "\"maxReplicas\":4,\"target\":{\"bytesInPerSecond\":20480},\"scaleUpCooldownSeconds\":0,\"scaleDownCooldownSeconds\":30}}}"));
        Path dir = testbed.runDir().resolve("perf");
        Files.createDirectories(dir);
        // Kafka's own load generator: 100 records of 1000 bytes a second.
        try (BackgroundProcess load = BackgroundProcess.start("producer-perf-test", dir, List.of(E2eSettings.javaLauncher(), "-Xmx256m",
                "-cp", E2eSettings.toolsClasspath(), "org.apache.kafka.tools.ProducerPerformance", "--topic", "load",
                "--num-records", "1000000", "--record-size", "1000", "--throughput", "100",
                "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all"), Map.of())) {
            until("the autoscaler at 4 brokers, Ready, replicas spread", () -> {
                String notReady = readyWith(4);
                return notReady == null ? null : notReady + ", autoscaling " + status(cluster()).get("autoscaling");
            });
        }
        until("the autoscaler back at 3 brokers once the load is gone", () -> {
            String notReady = readyWith(3);
            return notReady == null ? null : notReady + ", autoscaling " + status(cluster()).get("autoscaling");
        });
        Map<String, Object> autoscaling = castMap(status(cluster()).get("autoscaling"));
        assertThat(autoscaling).containsKeys("load", "lastScaleTime").containsEntry("desiredReplicas", 3);
        assertThat(watch.replicasHistory().subList(historyBefore - 1, watch.replicasHistory().size()))
                .as("spec.replicas while autoscaling: up once, down once").containsExactly(3, 4, 3);
        ok(kubectl("-n", ns, "patch", "cluster/" + CLUSTER, "--type=json", "-p", "[{\"op\":\"remove\",\"path\":\"/spec/autoscaling\"}]"));
    }

    @Test
    @Order(8)
    void throughoutNoAcknowledgedRecordWasLostAndNoPartitionFellBelowMinIsr() {
        producer.stop();
        assertThat(producer.errors()).as("sends the producer gave up on\n%s", producer.describe()).isEmpty();
        var acked = producer.acked();
        assertThat(acked).hasSizeGreaterThan(100);
        until("every acknowledged record consumed", () -> {
            DeliveryCheck.Report report = DeliveryCheck.check(acked, consumer.events());
            assertThat(report.problems()).as("delivery\n%s", report.details()).isEmpty();
            return report.unread().isEmpty() ? null : report.summary();
        });
        assertThat(watch.samples()).isGreaterThan(60);
        assertThat(watch.belowMinIsr()).as("samples with a partition of %s below min.insync.replicas", TOPIC).isEmpty();
        assertThat(watch.removedWhileHolding()).isEmpty();
    }

    private static void awaitRolled(String before) {
        until("every broker on the new template, Ready, the roll reported done", () -> {
            var s = statefulSet().getStatus();
            String now = s.getUpdateRevision();
            List<Pod> pods = brokerPods();
            long updated = pods.stream().filter(p -> now.equals(p.getMetadata().getLabels().get("controller-revision-hash"))).count();
            Object rollout = status(cluster()).get("rollout");
            boolean idle = rollout instanceof Map<?, ?> r && "Idle".equals(r.get("phase"));
            return !now.equals(before) && updated == 3 && readyWith(3) == null && idle ? null : updated + " of 3 updated, rollout " + rollout;
        });
    }

    /** Where replicas and preferred leaders are, over every partition of every topic (internal ones included). */
    private record Spread(Map<Integer, Integer> replicas, Map<Integer, Integer> leaders) {
        Set<Integer> brokers() {
            return replicas.keySet();
        }

        boolean even() {
            return spreadOf(replicas) <= 1 && spreadOf(leaders) <= 1 && leaders.keySet().equals(replicas.keySet());
        }

        private static int spreadOf(Map<Integer, Integer> counts) {
            return counts.isEmpty() ? 0 : counts.values().stream().max(Integer::compare).get() - counts.values().stream().min(Integer::compare).get();
        }
    }

    private static Spread spread(Admin admin) {
        try {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get();
            Map<Integer, Integer> replicas = new TreeMap<>();
            Map<Integer, Integer> leaders = new TreeMap<>();
            for (TopicDescription t : admin.describeTopics(names).allTopicNames().get().values()) {
                for (TopicPartitionInfo p : t.partitions()) {
                    p.replicas().forEach(n -> replicas.merge(n.id(), 1, Integer::sum));
                    if (p.leader() != null) leaders.merge(p.leader().id(), 1, Integer::sum);
                }
            }
            return new Spread(replicas, leaders);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null when the Cluster is Ready with exactly {@code brokers} Ready brokers; else what is not so. */
    private static String readyWith(int brokers) {
        GenericKubernetesResource c = cluster();
        Map<String, Object> status = status(c);
        boolean ready = "True".equals(condition(c, "Ready").get("status"));
        StatefulSet sts = statefulSet();
        return ready && Integer.valueOf(brokers).equals(status.get("readyReplicas")) && sts.getSpec().getReplicas() == brokers ? null
                : "Ready " + condition(c, "Ready") + ", Reconciling " + condition(c, "Reconciling").get("message") + ", readyReplicas "
                + status.get("readyReplicas") + ", rebalance " + status.get("rebalance");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static Map<String, String> clusterDefaults(Admin admin) {
        try {
            ConfigResource r = new ConfigResource(ConfigResource.Type.BROKER, "");
            return admin.describeConfigs(List.of(r)).all().get().get(r).entries().stream()
                    .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
                    .collect(Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The keys the operator applies without a restart, from the operator's own list (the e2e module does not link the operator). */
    private static List<String> dynamicKeys() throws java.io.IOException {
        Path list = E2eSettings.repoRoot().resolve("operator/src/main/resources/io/runnel/operator/model/dynamic-broker-configs.txt");
        List<String> keys = Files.readAllLines(list).stream().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).sorted().toList();
        assertThat(keys).contains("log.retention.ms", "min.insync.replicas", "leader.replication.throttled.rate");
        return keys;
    }

    private static Map<String, String> podUids() {
        Map<String, String> uids = new HashMap<>();
        brokerPods().forEach(p -> uids.put(p.getMetadata().getName(), p.getMetadata().getUid()));
        return uids;
    }

    private static List<Pod> brokerPods() {
        return kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", CLUSTER).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static StatefulSet statefulSet() {
        return kube.apps().statefulSets().inNamespace(ns).withName(CLUSTER).get();
    }

    private static GenericKubernetesResource cluster() {
        return CustomResources.cluster(kube, ns, CLUSTER);
    }

    private static void until(String what, java.util.function.Supplier<String> probe) {
        Eventually.until(what, PATIENCE, probe);
    }

    private static Path write(String file, String content) {
        return CustomResources.write(testbed.runDir(), file, content);
    }

    private static ExternalCommand kubectl(String... args) {
        return testbed.kubectl(args);
    }
}
