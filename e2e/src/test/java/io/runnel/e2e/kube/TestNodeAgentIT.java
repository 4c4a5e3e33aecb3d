package io.runnel.e2e.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.Pause;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test node agent does what a kubelet does, checked pod by pod with a shell image
 * ({@code testbed/sh} is /bin/sh) and a Java one ({@code testbed/java} runs a class of these
 * tests): env from literals, the downward API, ConfigMaps and Secrets with {@code $(VAR)}
 * expansion; volumes of every supported kind at their mount paths, read-only where asked;
 * init containers first; ErrImagePull and CreateContainerConfigError as waiting reasons, the
 * latter cleared once the ConfigMap appears; restarts with back-off and a restart count; a
 * failing liveness probe restarting the container; an exec readiness probe run inside the
 * container's mounts; graceful deletion (SIGTERM, then SIGKILL after the grace period, then the
 * object deleted); and an in-cluster fabric8 client authenticating with the mounted token.
 */
class TestNodeAgentIT {
    private static final Duration PATIENCE = Duration.ofMinutes(2); // hang guard, not a speed check
    private static final String SH = "testbed/sh:1";
    private static final String JAVA = "testbed/java:1";

    private static KubeTestbed testbed;
    private static KubernetesClient client;
    private static TestNodeAgent agent;
    private static String namespace;

    @BeforeAll
    static void startTestbed() {
        LocalImages images = LocalImages.none()
                .with("testbed/sh", List.of("/bin/sh"))
                .with("testbed/java", List.of(E2eSettings.javaLauncher(), "-Xmx128m", "-cp", System.getProperty("java.class.path")));
        testbed = KubeTestbed.start("node-agent", images);
        Assumptions.assumeTrue(testbed.agent().isPresent(), "TestNodeAgentIT checks the local node agent; runnel.e2e.kube=external is set");
        client = testbed.client();
        agent = testbed.agent().orElseThrow();
        namespace = testbed.createNamespace("agent");
    }

    @AfterAll
    static void closeTestbed() {
        if (testbed != null) testbed.close();
    }

    @Test
    void envComesFromLiteralsDownwardApiConfigMapsAndSecretsWithKubeletExpansion() throws IOException {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName("env-cm").endMetadata()
                .addToData("A", "from-map").build()).create();
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName("env-secret").endMetadata()
                .addToStringData("S", "s3cret").addToStringData("1bad", "not a variable name").build()).create();
        create(pod("env-check", p -> p.editSpec().withRestartPolicy("Never").editFirstContainer()
                .addNewEnvFrom().withPrefix("CM_").withNewConfigMapRef().withName("env-cm").endConfigMapRef().endEnvFrom()
                .addNewEnvFrom().withNewSecretRef().withName("env-secret").endSecretRef().endEnvFrom()
                .addToEnv(fieldEnv("POD_NAME", "metadata.name"), fieldEnv("APP", "metadata.labels['app']"),
                        fieldEnv("NODE", "spec.nodeName"), fieldEnv("IP", "status.podIP"))
                .addNewEnv().withName("FROM_MAP").withNewValueFrom()
                        .withNewConfigMapKeyRef().withName("env-cm").withKey("A").endConfigMapKeyRef().endValueFrom().endEnv()
                .addNewEnv().withName("FROM_SECRET").withNewValueFrom()
                        .withNewSecretKeyRef().withName("env-secret").withKey("S").endSecretKeyRef().endValueFrom().endEnv()
                .addNewEnv().withName("OPTIONAL_MISSING").withNewValueFrom()
                        .withNewConfigMapKeyRef().withName("no-such-map").withKey("A").withOptional(true).endConfigMapKeyRef()
                        .endValueFrom().endEnv()
                .addNewEnv().withName("COMBINED").withValue("$(POD_NAME)-$(FROM_MAP)-$(CM_A)").endEnv()
                .addNewEnv().withName("ESCAPED").withValue("$$(POD_NAME)").endEnv()
                .addNewEnv().withName("UNKNOWN").withValue("$(NOPE)").endEnv()
                .addNewEnv().withName("FORWARD").withValue("$(LATER)").endEnv()
                .addNewEnv().withName("LATER").withValue("later").endEnv()
                .withArgs("-c", "env | sort; echo ARG=$(POD_NAME)")
                .endContainer().endSpec()));
        Pod done = awaitPod("env-check", "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
        List<String> lines = Files.readAllLines(agent.logFile(namespace, "env-check"));
        assertThat(lines).contains("POD_NAME=env-check", "APP=env-check", "NODE=" + agent.nodeName(), "IP=" + done.getStatus().getPodIP(),
                "FROM_MAP=from-map", "FROM_SECRET=s3cret", "CM_A=from-map", "S=s3cret", "COMBINED=env-check-from-map-from-map",
                "ESCAPED=$(POD_NAME)", "UNKNOWN=$(NOPE)", "FORWARD=$(LATER)", "LATER=later", "HOSTNAME=env-check",
                "KUBERNETES_SERVICE_HOST=127.0.0.1",
                "KUBERNETES_SERVICE_PORT=" + testbed.controlPlane().orElseThrow().apiServerPort(),
                "ARG=env-check");
        assertThat(lines).noneMatch(line -> line.startsWith("OPTIONAL_MISSING=") || line.startsWith("1bad="));
        ContainerStatus status = done.getStatus().getContainerStatuses().get(0);
        assertThat(status.getState().getTerminated().getExitCode()).isZero();
        assertThat(status.getState().getTerminated().getReason()).isEqualTo("Completed");
    }

    @Test
    void aMissingConfigMapHoldsTheContainerInCreateContainerConfigErrorUntilItAppears() throws IOException {
        create(pod("needs-map", p -> p.editSpec().withRestartPolicy("Never").editFirstContainer()
                .addNewEnv().withName("V").withNewValueFrom().withNewConfigMapKeyRef().withName("late-map").withKey("v").endConfigMapKeyRef()
                .endValueFrom().endEnv()
                .withArgs("-c", "echo V=$V").endContainer().endSpec()));
        Pod waiting = awaitPod("needs-map", "CreateContainerConfigError", p -> waitingReason(p).equals(Optional.of("CreateContainerConfigError")));
        assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName("late-map").endMetadata()
                .addToData("v", "arrived").build()).create();
        awaitPod("needs-map", "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
        assertThat(Files.readAllLines(agent.logFile(namespace, "needs-map"))).contains("V=arrived");
    }

    @Test
    void volumesOfEveryKindAppearAtTheirMountPathsAfterInitContainersRan() throws IOException {
        client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName("vol-cm").endMetadata()
                .addToData("a", "config-a").addToData("b", "config-b").build()).create();
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName("vol-secret").endMetadata()
                .addToStringData("password", "hunter2").build()).create();
        String sa = "/var/run/secrets/kubernetes.io/serviceaccount";
        create(pod("volumes", p -> p.editSpec().withRestartPolicy("Never")
                .addNewVolume().withName("cfg").withNewConfigMap().withName("vol-cm").addNewItem().withKey("a").withPath("dir/a.txt").endItem()
                        .endConfigMap().endVolume()
                .addNewVolume().withName("sec").withNewSecret().withSecretName("vol-secret").endSecret().endVolume()
                .addNewVolume().withName("scratch").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("info").withNewDownwardAPI().addNewItem().withPath("name").withNewFieldRef()
                        .withFieldPath("metadata.name").endFieldRef().endItem().endDownwardAPI().endVolume()
                .addNewInitContainer().withName("first").withImage(SH)
                        .withArgs("-c", "echo first > /scratch/order")
                        .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount().endInitContainer()
                .addNewInitContainer().withName("second").withImage(SH)
                        .withArgs("-c", "echo second >> /scratch/order")
                        .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount().endInitContainer()
                .editFirstContainer()
                .addNewVolumeMount().withName("cfg").withMountPath("/etc/testbed-cfg").withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("sec").withMountPath("/etc/testbed-secret").endVolumeMount()
                .addNewVolumeMount().withName("scratch").withMountPath("/scratch").endVolumeMount()
                .addNewVolumeMount().withName("info").withMountPath("/etc/podinfo").endVolumeMount()
                .withArgs("-c", "echo CFG=$(cat /etc/testbed-cfg/dir/a.txt); ls /etc/testbed-cfg; echo SECRET=$(cat /etc/testbed-secret/password); "
                        + "echo ORDER=$(cat /scratch/order | tr '\\n' ' '); echo NAME=$(cat /etc/podinfo/name); "
                        + "echo NS=$(cat " + sa + "/namespace); test -s " + sa + "/token && echo TOKEN_OK; test -s " + sa + "/ca.crt && echo CA_OK; "
                        + "if touch /etc/testbed-cfg/x 2>/dev/null; then echo CFG_WRITABLE; else echo CFG_READ_ONLY; fi")
                .endContainer().endSpec()));
        Pod done = awaitPod("volumes", "Succeeded", p -> "Succeeded".equals(p.getStatus().getPhase()));
        List<String> lines = Files.readAllLines(agent.logFile(namespace, "volumes", "main"));
        assertThat(lines).contains("CFG=config-a", "dir", "SECRET=hunter2", "ORDER=first second", "NAME=volumes", "NS=" + namespace,
                "TOKEN_OK", "CA_OK", "CFG_READ_ONLY");
        assertThat(done.getStatus().getInitContainerStatuses()).extracting(s -> s.getState().getTerminated().getExitCode()).containsExactly(0, 0);
        assertThat(Path.of("/etc/testbed-cfg/dir/a.txt")).as("mounts stay inside the container's mount namespace").doesNotExist();
    }

    @Test
    void anImageWithoutLocalCommandWaitsInErrImagePullAndItsPodCanStillBeDeleted() {
        create(pod("no-image", p -> p.editSpec().editFirstContainer().withImage("registry.example:5000/nobody/nothing:1").endContainer().endSpec()));
        Pod waiting = awaitPod("no-image", "ErrImagePull", p -> waitingReason(p).equals(Optional.of("ErrImagePull")));
        assertThat(waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getMessage()).contains("nobody/nothing");
        awaitValue("a Failed event for no-image", () -> client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "no-image".equals(e.getInvolvedObject().getName()) && "Failed".equals(e.getReason()))
                .map(Event::getMessage).filter(m -> m.contains("ErrImagePull")).findFirst());
        ExternalCommand.ok(testbed.kubectl("delete", "pod", "no-image", "--namespace", namespace, "--timeout=60s").run());
        assertThat(client.pods().inNamespace(namespace).withName("no-image").get()).isNull();
    }

    @Test
    void aCrashingContainerIsRestartedWithBackOffAndItsRestartsAreCounted() throws IOException {
        create(pod("crasher", p -> p.editSpec().editFirstContainer().withArgs("-c", "echo crashing; exit 3").endContainer().endSpec()));
        Pod crashed = awaitPod("crasher", "two restarts", p -> !p.getStatus().getContainerStatuses().isEmpty()
                && p.getStatus().getContainerStatuses().get(0).getRestartCount() >= 2);
        ContainerStatus status = crashed.getStatus().getContainerStatuses().get(0);
        assertThat(status.getLastState().getTerminated().getExitCode()).isEqualTo(3);
        assertThat(status.getLastState().getTerminated().getReason()).isEqualTo("Error");
        assertThat(Files.readAllLines(agent.logFile(namespace, "crasher")).stream().filter("crashing"::equals).count()).isGreaterThanOrEqualTo(3);
        awaitPod("crasher", "CrashLoopBackOff", p -> waitingReason(p).equals(Optional.of("CrashLoopBackOff")));
    }

    @Test
    void aFailingLivenessProbeRestartsTheContainer() {
        create(pod("not-alive", p -> p.editSpec().withTerminationGracePeriodSeconds(5L).editFirstContainer()
                .withArgs("-c", "echo up; exec sleep 600")
                .withNewLivenessProbe().withNewTcpSocket().withPort(new IntOrString(1)).endTcpSocket()
                        .withPeriodSeconds(1).withFailureThreshold(2).endLivenessProbe()
                .endContainer().endSpec()));
        Pod restarted = awaitPod("not-alive", "a restart", p -> !p.getStatus().getContainerStatuses().isEmpty()
                && p.getStatus().getContainerStatuses().get(0).getRestartCount() >= 1);
        assertThat(restarted.getStatus().getContainerStatuses().get(0).getLastState().getTerminated().getExitCode())
                .as("sleep ended by SIGTERM").isEqualTo(143);
        awaitValue("an Unhealthy event", () -> client.v1().events().inNamespace(namespace).list().getItems().stream()
                .filter(e -> "not-alive".equals(e.getInvolvedObject().getName()) && "Unhealthy".equals(e.getReason())).findFirst());
    }

    @Test
    void anExecReadinessProbeRunsInsideTheContainersMounts() {
        create(pod("exec-ready", p -> p.editSpec()
                .addNewVolume().withName("work").withNewEmptyDir().endEmptyDir().endVolume()
                .editFirstContainer()
                .addNewVolumeMount().withName("work").withMountPath("/testbed-work").endVolumeMount()
                .withArgs("-c", "touch /testbed-work/ready; exec sleep 600")
                .withNewReadinessProbe().withNewExec().withCommand("test", "-f", "/testbed-work/ready").endExec()
                        .withPeriodSeconds(1).endReadinessProbe()
                .endContainer().endSpec()));
        Pod ready = awaitPod("exec-ready", "Ready", TestNodeAgentIT::isReady);
        assertThat(ready.getStatus().getContainerStatuses().get(0).getReady()).isTrue();
    }

    @Test
    void deletionSendsSigtermThenSigkillAfterTheGracePeriodThenDeletesThePod() throws IOException {
        create(pod("graceful", p -> p.editSpec().editFirstContainer()
                .withArgs("-c", "trap 'echo got TERM; exit 0' TERM; echo started; while true; do sleep 0.2; done").endContainer().endSpec()));
        create(pod("stubborn", p -> p.editSpec().withTerminationGracePeriodSeconds(2L).editFirstContainer()
                .withArgs("-c", "trap '' TERM; echo started; while true; do sleep 0.2; done").endContainer().endSpec()));
        awaitPod("graceful", "Running", p -> "Running".equals(p.getStatus().getPhase()));
        awaitPod("stubborn", "Running", p -> "Running".equals(p.getStatus().getPhase()));
        awaitValue("both started", () -> Optional.of(true).filter(x -> logContains("graceful", "started") && logContains("stubborn", "started")));

        ExternalCommand.ok(testbed.kubectl("delete", "pod", "graceful", "stubborn", "--namespace", namespace, "--timeout=60s").run());
        assertThat(client.pods().inNamespace(namespace).withName("graceful").get()).isNull();
        assertThat(client.pods().inNamespace(namespace).withName("stubborn").get()).isNull();
        assertThat(Files.readString(agent.logFile(namespace, "graceful"))).contains("got TERM").contains("exited with 0");
        assertThat(Files.readString(agent.logFile(namespace, "stubborn"))).as("SIGKILL after the grace period").contains("exited with 137");
    }

    @Test
    void aFabric8ClientInsideAPodUsesTheMountedServiceAccount() throws IOException {
        client.rbac().roleBindings().inNamespace(namespace).resource(new RoleBindingBuilder()
                .withNewMetadata().withName("default-view").endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("view").endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName("default").withNamespace(namespace).endSubject()
                .build()).create();
        create(pod("in-cluster", p -> p.editSpec().withRestartPolicy("Never").editFirstContainer().withImage(JAVA)
                .withArgs(InClusterClientCheck.class.getName()).endContainer().endSpec()));
        Pod done = awaitPod("in-cluster", "finished", p -> List.of("Succeeded", "Failed").contains(p.getStatus().getPhase()));
        String log = Files.readString(agent.logFile(namespace, "in-cluster"));
        assertThat(done.getStatus().getPhase()).as(log).isEqualTo("Succeeded");
        // The token's own API server: the pod has a HOME of its own, so no kubeconfig of the machine can take over.
        assertThat(log).contains("master=https://127.0.0.1:" + testbed.controlPlane().orElseThrow().apiServerPort() + "/")
                .contains("namespace=" + namespace).contains("in-cluster");
    }

    // ---- helpers ----

    /** A one-container pod of the shell image, labelled app=<name>, shaped by {@code edit}. */
    private static Pod pod(String name, UnaryOperator<PodBuilder> edit) {
        return edit.apply(new PodBuilder()
                .withNewMetadata().withName(name).addToLabels("app", name).endMetadata()
                .withNewSpec().withTerminationGracePeriodSeconds(10L).addNewContainer().withName("main").withImage(SH).endContainer().endSpec())
                .build();
    }

    private static EnvVar fieldEnv(String name, String fieldPath) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(fieldPath).endFieldRef()
                .endValueFrom().build();
    }

    private static void create(Pod pod) {
        client.pods().inNamespace(namespace).resource(pod).create();
    }

    private static Pod awaitPod(String name, String what, Predicate<Pod> condition) {
        return awaitValue(name + " " + what, () -> Optional.ofNullable(client.pods().inNamespace(namespace).withName(name).get())
                .filter(p -> p.getStatus() != null && condition.test(p)));
    }

    private static <T> T awaitValue(String what, Supplier<Optional<T>> probe) {
        Instant deadline = Instant.now().plus(PATIENCE);
        while (Instant.now().isBefore(deadline)) {
            Optional<T> value = probe.get();
            if (value.isPresent()) return value.get();
            Pause.sleep(250);
        }
        ExternalCommand.Result pods = testbed.kubectl("get", "pods", "--namespace", namespace, "-o", "yaml").run();
        throw new AssertionError("no " + what + " within " + PATIENCE + "\n" + pods.stdout() + "\nagent log: " + agent.agentLog());
    }

    private static Optional<String> waitingReason(Pod pod) {
        return pod.getStatus().getContainerStatuses().stream().findFirst()
                .map(s -> s.getState() == null || s.getState().getWaiting() == null ? null : s.getState().getWaiting().getReason());
    }

    private static boolean isReady(Pod pod) {
        return pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static boolean logContains(String pod, String text) {
        try {
            Path log = agent.logFile(namespace, pod);
            return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text);
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}
