package io.runnel.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves the Kubernetes testbed with real brokers and no operator: a 3-replica StatefulSet of
 * {@code runnel/broker} pods (the env contract the operator generates: node id from the host
 * name, listeners on the pod IP, advertised under the headless Service, voters by DNS name, data
 * on a claim from volumeClaimTemplates) becomes Ready under the real controller-manager and
 * scheduler (kubectl sees it), serves a Java producer and consumer through the ClusterIP Service,
 * survives {@code kubectl delete pod tb-1} (graceful stop, the StatefulSet recreates it on the same
 * IP and claim, the broker comes back with its data and leads again), and the agent leaves no
 * process, address, proxy or /etc/hosts line behind when closed.
 */
class KubeTestbedIT {
    private static final String CLUSTER_ID = "75esQafVSG-9VgVSf4pqMw";
    private static final Duration PATIENCE = Duration.ofMinutes(3); // hang guard, not a speed check
    private static final int RECORDS = 300;

    private static KubeTestbed testbed;
    private static KubernetesClient client;
    private static TestNodeAgent agent;
    private static String namespace;

    @BeforeAll
    static void startTestbed() {
        testbed = KubeTestbed.start("kube-testbed");
        Assumptions.assumeTrue(testbed.agent().isPresent(),
                "KubeTestbedIT proves the local testbed (control plane + node agent); runnel.e2e.kube=external points elsewhere");
        client = testbed.client();
        agent = testbed.agent().orElseThrow();
        namespace = testbed.createNamespace("tb");
    }

    @AfterAll
    static void closeTestbed() {
        if (testbed != null) testbed.close();
    }

    @Test
    void brokerStatefulSetServesClientsKeepsItsDataWhenAPodIsDeletedAndTheAgentLeavesNothingBehind() throws Exception {
        client.services().inNamespace(namespace).resource(headlessService()).create();
        client.services().inNamespace(namespace).resource(bootstrapService()).create();
        client.apps().statefulSets().inNamespace(namespace).resource(statefulSet()).create();

        // kubectl, against the real control plane: every replica Ready.
        ExternalCommand.Result ready = testbed.kubectl("wait", "--namespace", namespace, "--for=jsonpath={.status.readyReplicas}=3",
                "statefulset/tb", "--timeout=" + PATIENCE.toSeconds() + "s").timeout(PATIENCE.plusMinutes(1)).run();
        assertThat(ready.succeeded()).as(() -> ready.describe() + "\n" + diagnostics()).isTrue();
        assertThat(client.apps().statefulSets().inNamespace(namespace).withName("tb").get().getStatus().getReadyReplicas()).isEqualTo(3);

        String bootstrap = "tb-bootstrap." + namespace + ".svc.cluster.local:9092";
        String topic = "kube-roundtrip";
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            // Partition 0 prefers broker 1 (tb-1), the pod deleted below, so its return can be seen in who leads it.
            admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 0, 2), 1, List.of(0, 2, 1), 2, List.of(2, 1, 0)))))
                    .all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        produce(bootstrap, topic, 0, RECORDS);
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> before = KafkaClients.readAll(bootstrap, topic);
        assertThat(values(before)).as("records read back through the ClusterIP service").isEqualTo(expectedValues(0, RECORDS));

        Pod oldPod = client.pods().inNamespace(namespace).withName("tb-1").get();
        Path claimFolder = agent.claimFolder(namespace, "data-tb-1").orElseThrow();
        for (int partition = 0; partition < 3; partition++) {
            assertThat(claimFolder.resolve("data").resolve(topic + "-" + partition)).as("tb-1's replica on its claim's folder").isDirectory();
        }
        // The segment files themselves (inodes), so that a broker that lost them and fetched them anew would show.
        Map<Path, Object> segmentsBefore = segments(claimFolder.resolve("data").resolve(topic + "-0"));
        assertThat(segmentsBefore).as("tb-1's segments of partition 0").isNotEmpty();

        // kubectl's delete waits until the object is gone: the agent stops the broker, then deletes the pod.
        ExternalCommand.Result delete = testbed.kubectl("delete", "pod", "tb-1", "--namespace", namespace, "--timeout=120s")
                .timeout(PATIENCE).run();
        assertThat(delete.succeeded()).as(() -> delete.describe() + "\n" + diagnostics()).isTrue();
        assertThat(Files.readString(agent.logFile(namespace, "tb-1"))).as("tb-1's broker log").contains("exited with");

        Pod newPod = await("a new tb-1 Ready", () -> Optional.ofNullable(client.pods().inNamespace(namespace).withName("tb-1").get())
                .filter(p -> !p.getMetadata().getUid().equals(oldPod.getMetadata().getUid()))
                .filter(KubeTestbedIT::isReady));
        assertThat(newPod.getStatus().getPodIP()).as("a recreated pod keeps its IP").isEqualTo(oldPod.getStatus().getPodIP());
        assertThat(agent.claimFolder(namespace, "data-tb-1")).as("the new tb-1 gets the same claim").contains(claimFolder);
        assertThat(segments(claimFolder.resolve("data").resolve(topic + "-0"))).as("tb-1's segment files of partition 0 after the restart")
                .containsAllEntriesOf(segmentsBefore);
        ExternalCommand.Result readyAgain = testbed.kubectl("wait", "--namespace", namespace, "--for=jsonpath={.status.readyReplicas}=3",
                "statefulset/tb", "--timeout=" + PATIENCE.toSeconds() + "s").timeout(PATIENCE.plusMinutes(1)).run();
        assertThat(readyAgain.succeeded()).as(() -> readyAgain.describe() + "\n" + diagnostics()).isTrue();

        // The restarted broker catches up from its own log dir and leads partition 0 again: it serves the records.
        TopicPartition partition0 = new TopicPartition(topic, 0);
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            await("tb-1 back in partition 0's ISR", () -> Optional.of(describe(admin, topic).partitions().get(0))
                    .filter(p -> p.isr().stream().anyMatch(n -> n.id() == 1)));
            await("tb-1 leading partition 0 again", () -> {
                try {
                    admin.electLeaders(ElectionType.PREFERRED, Set.of(partition0)).partitions().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // ELECTION_NOT_NEEDED (already leader) and retriable errors: the description below decides.
                }
                return Optional.of(describe(admin, topic).partitions().get(0)).filter(p -> p.leader() != null && p.leader().id() == 1);
            });
        }
        produce(bootstrap, topic, RECORDS, RECORDS);
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> after = KafkaClients.readAll(bootstrap, topic);
        assertThat(values(after)).as("every record, before and after the pod was replaced").isEqualTo(expectedValues(0, 2 * RECORDS));
        assertThat(after.get(0).subList(0, before.get(0).size()).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList())
                .as("partition 0, now led by the recreated tb-1, still holds what it held")
                .isEqualTo(before.get(0).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
        assertThat(countStarts(agent.logFile(namespace, "tb-1"))).as("tb-1's log spans both pods").isEqualTo(2);

        // Closing the agent leaves nothing behind.
        List<Long> pids = agent.processIds();
        List<String> clusterIps = agent.clusterIps();
        List<String> loopbackAddresses = agent.loopbackAddresses();
        String bootstrapIp = client.services().inNamespace(namespace).withName("tb-bootstrap").get().getSpec().getClusterIP();
        assertThat(pids).as("three brokers running").hasSize(3);
        assertThat(clusterIps).contains(bootstrapIp);
        assertThat(agent.hostsBlock()).anyMatch(line -> line.contains("tb-0.tb-brokers." + namespace + ".svc.cluster.local"));
        assertThat(listening(bootstrapIp, 9092)).as("the tb-bootstrap proxy listens before close").isTrue();
        agent.close();
        assertThat(pids.stream().filter(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).toList())
                .as("container processes still alive after close").isEmpty();
        assertThat(Files.readString(Path.of("/etc/hosts"))).as("/etc/hosts after close").doesNotContain("runnel-kube-testbed " + agent.id());
        String loAddresses = ExternalCommand.ok(ExternalCommand.of("/usr/sbin/ip", "-o", "addr", "show", "dev", "lo")
                .name("ip-addr").dir(testbed.runDir()).run());
        assertThat(loopbackAddresses).as("pod IPs and ClusterIPs on lo").contains(newPod.getStatus().getPodIP(), bootstrapIp);
        for (String ip : loopbackAddresses) assertThat(loAddresses).as("lo after close").doesNotContain(" " + ip + "/32");
        // Not a connect attempt: this machine's network may accept connections to any address that is not local.
        assertThat(listening(bootstrapIp, 9092)).as("the tb-bootstrap proxy listens after close").isFalse();
    }

    private static Service headlessService() {
        return new ServiceBuilder()
                .withNewMetadata().withName("tb-brokers").addToLabels("app", "tb").endMetadata()
                .withNewSpec()
                    .withClusterIP("None")
                    .withPublishNotReadyAddresses(true)
                    .addToSelector("app", "tb")
                    .addNewPort().withName("kafka").withPort(9092).withTargetPort(new IntOrString(9092)).endPort()
                .endSpec()
                .build();
    }

    private static Service bootstrapService() {
        return new ServiceBuilder()
                .withNewMetadata().withName("tb-bootstrap").addToLabels("app", "tb").endMetadata()
                .withNewSpec()
                    .withType("ClusterIP")
                    .addToSelector("app", "tb")
                    .addNewPort().withName("kafka").withPort(9092).withTargetPort(new IntOrString(9092)).endPort()
                .endSpec()
                .build();
    }

    /** The env contract of the operator's broker StatefulSet. */
    private static StatefulSet statefulSet() {
        String voters = IntStream.range(0, 3).mapToObj(i -> i + "@tb-" + i + ".tb-brokers." + namespace + ".svc.cluster.local:9093")
                .collect(Collectors.joining(","));
        List<EnvVar> env = List.of(
                fieldRef("POD_NAME", "metadata.name"),
                fieldRef("POD_NAMESPACE", "metadata.namespace"),
                fieldRef("POD_IP", "status.podIP"),
                value("RUNNEL_NODE_ID", "from-hostname"),
                value("RUNNEL_CLUSTER_ID", CLUSTER_ID),
                value("RUNNEL_LISTENERS", "PLAINTEXT://$(POD_IP):9092,CONTROLLER://$(POD_IP):9093"),
                value("RUNNEL_ADVERTISED_LISTENERS", "PLAINTEXT://$(POD_NAME).tb-brokers.$(POD_NAMESPACE).svc.cluster.local:9092"),
                value("RUNNEL_CONTROLLER_QUORUM_VOTERS", voters),
                value("RUNNEL_LOG_DIRS", "/var/lib/runnel/data"),
                value("QUARKUS_HTTP_HOST", "$(POD_IP)"),
                value("QUARKUS_HTTP_PORT", "8080"));
        return new StatefulSetBuilder()
                .withNewMetadata().withName("tb").addToLabels("app", "tb").endMetadata()
                .withNewSpec()
                    .withReplicas(3)
                    .withServiceName("tb-brokers")
                    .withPodManagementPolicy("Parallel")
                    .withNewSelector().addToMatchLabels("app", "tb").endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", "tb").endMetadata()
                        .withNewSpec()
                            .withTerminationGracePeriodSeconds(30L)
                            .addNewContainer()
                                .withName("broker")
                                .withImage("runnel/broker:0.1.0")
                                .addNewPort().withName("kafka").withContainerPort(9092).endPort()
                                .addNewPort().withName("controller").withContainerPort(9093).endPort()
                                .addNewPort().withName("http").withContainerPort(8080).endPort()
                                .withEnv(env)
                                .addNewVolumeMount().withName("data").withMountPath("/var/lib/runnel").endVolumeMount()
                                .withNewReadinessProbe()
                                    .withNewHttpGet().withPath("/q/health/ready").withPort(new IntOrString(8080)).endHttpGet()
                                    .withPeriodSeconds(2)
                                .endReadinessProbe()
                                .withNewLivenessProbe()
                                    .withNewHttpGet().withPath("/q/health/live").withPort(new IntOrString(8080)).endHttpGet()
                                .endLivenessProbe()
                            .endContainer()
                        .endSpec()
                    .endTemplate()
                    .addNewVolumeClaimTemplate()
                        .withNewMetadata().withName("data").endMetadata()
                        .withNewSpec()
                            .withAccessModes("ReadWriteOnce")
                            .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
                        .endSpec()
                    .endVolumeClaimTemplate()
                .endSpec()
                .build();
    }

    private static void produce(String bootstrap, String topic, int first, int count) {
        var props = KafkaClients.producerProps(bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = first; i < first + count; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, ("key-" + i).getBytes(StandardCharsets.UTF_8),
                        ("value-" + i).getBytes(StandardCharsets.UTF_8))));
            }
            KafkaClients.awaitAcks(acks, "producing " + count + " records with acks=all through " + bootstrap);
        }
    }

    private static List<String> values(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> byPartition) {
        return byPartition.values().stream().flatMap(List::stream).map(r -> new String(r.value(), StandardCharsets.UTF_8)).sorted().toList();
    }

    private static List<String> expectedValues(int first, int count) {
        return IntStream.range(first, first + count).mapToObj(i -> "value-" + i).sorted().toList();
    }

    private static TopicDescription describe(Admin admin, String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        } catch (Exception e) {
            throw new IllegalStateException("describing " + topic, e);
        }
    }

    private static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The partition folder's segment files ({@code *.log}) and their file keys (device and inode). */
    private static Map<Path, Object> segments(Path partitionDir) throws IOException {
        Map<Path, Object> keys = new TreeMap<>();
        try (Stream<Path> files = Files.list(partitionDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                keys.put(file.getFileName(), Files.readAttributes(file, BasicFileAttributes.class).fileKey());
            }
        }
        return keys;
    }

    private static long countStarts(Path log) throws IOException {
        return Files.readAllLines(log).stream().filter(line -> line.startsWith("=== testbed: start ")).count();
    }

    /** Whether a TCP socket listens on {@code ip:port}, as ss(8) lists them (IPv4 or IPv4-mapped IPv6). */
    private static boolean listening(String ip, int port) {
        String sockets = ExternalCommand.ok(ExternalCommand.of("ss", "-Hltn").name("ss").dir(testbed.runDir()).run());
        return sockets.contains(" " + ip + ":" + port + " ") || sockets.contains("[::ffff:" + ip + "]:" + port + " ");
    }

    /** Polls until {@code probe} yields a value; fails with the cluster's story past the hang guard. */
    private static <T> T await(String what, Supplier<Optional<T>> probe) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            Optional<T> value = probe.get();
            if (value.isPresent()) return value.get();
            Pause.sleep(250);
        }
        throw new AssertionError("no " + what + " within " + PATIENCE + "\n" + diagnostics());
    }

    /** What a failure message needs: pods as kubectl shows them, and the tails of the agent's and brokers' logs. */
    private static String diagnostics() {
        StringBuilder story = new StringBuilder();
        ExternalCommand.Result pods = testbed.kubectl("get", "pods,pvc,svc,endpoints", "--namespace", namespace, "-o", "wide").run();
        story.append(pods.stdout()).append(pods.stderr());
        story.append(tail(agent.agentLog(), 40));
        for (int i = 0; i < 3; i++) story.append(tail(agent.podDir(namespace, "tb-" + i).resolve("broker.log"), 30));
        testbed.controlPlane().ifPresent(plane -> story.append(plane.describe()));
        return story.toString();
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
            return "\n--- last lines of " + file + " ---\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "\n(cannot read " + file + ": " + e + ")\n";
        }
    }

    private static EnvVar value(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static EnvVar fieldRef(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path).endFieldRef().endValueFrom().build();
    }
}
