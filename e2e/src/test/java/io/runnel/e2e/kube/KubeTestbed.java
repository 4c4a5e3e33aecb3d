package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.Pause;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * A Kubernetes cluster for a test class. Normally a local one: a {@link KubeControlPlane}
 * (v1.20 on loopback) plus a {@link TestNodeAgent} that plays the node, all in a fresh run folder
 * under the e2e work dir. With {@code KUBECONFIG} set and {@code -Drunnel.e2e.kube=external} it
 * is that cluster instead, with no control plane and no agent started (tests that need the agent
 * check {@link #agent()}).
 *
 * <p>Owns what it started and closes it in reverse: agent first (pods stop, names and addresses
 * removed), then the control plane. Not thread-safe: the test thread drives it.
 */
public final class KubeTestbed implements AutoCloseable {
    private static final Duration NAMESPACE_READY_TIMEOUT = Duration.ofMinutes(2); // hang guard

    private final Path runDir;
    private final KubernetesClient client;
    private final Path kubeconfig;
    private final KubeControlPlane controlPlane;
    private final TestNodeAgent agent;

    private KubeTestbed(Path runDir, KubernetesClient client, Path kubeconfig, KubeControlPlane controlPlane, TestNodeAgent agent) {
        this.runDir = runDir;
        this.client = client;
        this.kubeconfig = kubeconfig;
        this.controlPlane = controlPlane;
        this.agent = agent;
    }

    /** A testbed whose node runs Runnel's images ({@link LocalImages#runnel()}). */
    public static KubeTestbed start(String name) {
        return start(name, LocalImages.runnel());
    }

    /**
     * The external cluster when {@code KUBECONFIG} is set and {@code runnel.e2e.kube=external};
     * otherwise a local control plane and node agent in a fresh folder named after {@code name}.
     */
    public static KubeTestbed start(String name, LocalImages images) {
        String kubeconfigEnv = System.getenv("KUBECONFIG");
        if ("external".equals(System.getProperty("runnel.e2e.kube", "")) && kubeconfigEnv != null && !kubeconfigEnv.isEmpty()) {
            Path kubeconfig = Path.of(kubeconfigEnv.split(File.pathSeparator)[0]);
            return new KubeTestbed(E2eSettings.newDir(name), new KubernetesClientBuilder().build(), kubeconfig, null, null);
        }
        Path runDir = E2eSettings.newDir(name);
        KubeControlPlane controlPlane = KubeControlPlane.start(runDir.resolve("control-plane"));
        try {
            TestNodeAgent agent = TestNodeAgent.start(controlPlane.client(), controlPlane.apiServerHost(), controlPlane.apiServerPort(),
                    runDir.resolve("node"), images);
            return new KubeTestbed(runDir, controlPlane.client(), controlPlane.kubeconfig(), controlPlane, agent);
        } catch (RuntimeException | Error e) {
            controlPlane.close();
            throw e;
        }
    }

    public boolean isExternal() {
        return controlPlane == null;
    }

    public KubernetesClient client() {
        return client;
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    /** The test's folder: control-plane/ and node/ when local, kubectl output. */
    public Path runDir() {
        return runDir;
    }

    public Optional<KubeControlPlane> controlPlane() {
        return Optional.ofNullable(controlPlane);
    }

    public Optional<TestNodeAgent> agent() {
        return Optional.ofNullable(agent);
    }

    /**
     * Creates a namespace {@code <prefix>-<random>} and returns its name once its {@code default}
     * service account is usable: on v1.20 pods are refused until the account has its token
     * Secret, which the controller-manager creates a moment after the namespace.
     */
    public String createNamespace(String prefix) {
        String name = (prefix + "-" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        Instant deadline = Instant.now().plus(NAMESPACE_READY_TIMEOUT);
        while (true) {
            ServiceAccount account = client.serviceAccounts().inNamespace(name).withName("default").get();
            // Clusters from 1.24 on make no token Secrets: there the account alone is enough.
            boolean needsSecret = controlPlane != null;
            if (account != null && (!needsSecret || !account.getSecrets().isEmpty())) return name;
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("namespace " + name + ": the default service account "
                        + (account == null ? "never appeared" : "never got its token Secret") + " within " + NAMESPACE_READY_TIMEOUT
                        + controlPlane().map(c -> "\n" + c.describe() + "\n" + c.logTail("kube-controller-manager", 30)).orElse(""));
            }
            controlPlane().ifPresent(KubeControlPlane::assertRunning);
            Pause.sleep(200);
        }
    }

    /** {@code kubectl --kubeconfig <this cluster> <args>}, output under the run folder. */
    public ExternalCommand kubectl(String... args) {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return ExternalCommand.of(command).name("kubectl").dir(runDir.resolve("kubectl"));
    }

    /** Closes the agent (pods stop, names and addresses removed), then the control plane. Leaves the run folder. */
    @Override
    public void close() {
        try {
            if (agent != null) agent.close();
        } finally {
            if (controlPlane != null) controlPlane.close();
            else client.close();
        }
    }
}
