package io.runnel.e2e.kube;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.Pause;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Kubernetes v1.20 control plane on loopback, for tests: etcd, kube-apiserver,
 * kube-controller-manager (every default controller, including the service-account token
 * controller, which needs the signing key and the root CA) and kube-scheduler, each a process
 * of the cached binaries ({@link KubeBinaries}) on free 127.0.0.1 ports. The apiserver
 * authenticates one admin token (group system:masters) and authorizes with RBAC; its serving
 * certificate is self-signed into {@code certs/}; services get ClusterIPs from
 * {@code 10.96.0.0/16}.
 *
 * <p>It owns its run folder: {@code etcd/} (data), {@code certs/}, {@code sa.key}/{@code sa.pub},
 * {@code tokens.csv}, {@code kubeconfig} (usable with kubectl), and {@code logs/<component>.log}
 * for each process. {@link #close} stops the processes (SIGTERM, then SIGKILL) in reverse start
 * order and leaves the folder. Not thread-safe: one test thread starts and closes it; the client
 * is thread-safe.
 */
public final class KubeControlPlane implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(2); // hang guard; ready in ~5 s
    private static final String HOST = "127.0.0.1";

    private final Path runDir;
    private final KubeBinaries binaries;
    private final String token = "testbed-" + UUID.randomUUID();
    private final int etcdPort;
    private final int etcdPeerPort;
    private final int apiServerPort;
    private final Map<String, Process> processes = new LinkedHashMap<>();
    /** The parent thread of every component (see {@link #launch}); ends in {@link #close}. */
    private final ExecutorService launcher = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "kube-control-plane-launcher");
        thread.setDaemon(true);
        return thread;
    });
    private KubernetesClient client;

    private KubeControlPlane(Path runDir, KubeBinaries binaries) {
        this.runDir = runDir;
        this.binaries = binaries;
        int[] ports = BrokerProcess.freePorts(3);
        this.etcdPort = ports[0];
        this.etcdPeerPort = ports[1];
        this.apiServerPort = ports[2];
    }

    /** Starts the control plane in {@code runDir} and returns once the apiserver is ready and the controllers run. */
    public static KubeControlPlane start(Path runDir) {
        KubeControlPlane plane = new KubeControlPlane(runDir, KubeBinaries.locate());
        try {
            plane.begin();
        } catch (RuntimeException | AssertionError e) {
            plane.close();
            throw e;
        }
        return plane;
    }

    private void begin() {
        try {
            Files.createDirectories(runDir.resolve("logs"));
            Files.createDirectories(runDir.resolve("certs"));
            Files.writeString(runDir.resolve("tokens.csv"), token + ",admin,admin-uid,system:masters\n");
            writeServiceAccountKeys();
            Files.writeString(kubeconfig(), kubeconfigText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        launch("etcd", List.of(binaries.program("etcd").toString(),
                "--data-dir", runDir.resolve("etcd").toString(),
                "--listen-client-urls", "http://" + HOST + ":" + etcdPort, "--advertise-client-urls", "http://" + HOST + ":" + etcdPort,
                "--listen-peer-urls", "http://" + HOST + ":" + etcdPeerPort,
                "--initial-advertise-peer-urls", "http://" + HOST + ":" + etcdPeerPort,
                "--initial-cluster", "default=http://" + HOST + ":" + etcdPeerPort,
                "--logger", "zap", "--log-level", "warn"));
        launch("kube-apiserver", List.of(binaries.program("kube-apiserver").toString(),
                "--etcd-servers=http://" + HOST + ":" + etcdPort,
                "--bind-address=" + HOST, "--advertise-address=" + HOST,
                "--secure-port=" + apiServerPort, "--insecure-port=0",
                "--cert-dir=" + runDir.resolve("certs"),
                "--token-auth-file=" + runDir.resolve("tokens.csv"),
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + runDir.resolve("sa.pub"),
                "--service-account-signing-key-file=" + runDir.resolve("sa.key"),
                "--service-cluster-ip-range=10.96.0.0/16",
                "--allow-privileged=true",
                // The apiserver runs on 127.0.0.1, which Endpoints validation rejects: without this it
                // logs a failed sync of the "kubernetes" Endpoints every 10 s. Pods reach it directly.
                "--endpoint-reconciler-type=none",
                "--profiling=false"));
        awaitApiServerReady();
        client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig().toFile())).build();
        launch("kube-controller-manager", List.of(binaries.program("kube-controller-manager").toString(),
                "--kubeconfig=" + kubeconfig(),
                "--bind-address=" + HOST, "--secure-port=0", "--port=0",
                "--service-account-private-key-file=" + runDir.resolve("sa.key"),
                "--root-ca-file=" + runDir.resolve("certs/apiserver.crt"),
                "--leader-elect=false", "--controllers=*", "--profiling=false"));
        launch("kube-scheduler", List.of(binaries.program("kube-scheduler").toString(),
                "--kubeconfig=" + kubeconfig(),
                "--authentication-kubeconfig=" + kubeconfig(), "--authorization-kubeconfig=" + kubeconfig(),
                "--bind-address=" + HOST, "--secure-port=0", "--port=0", "--leader-elect=false", "--profiling=false"));
    }

    public KubernetesClient client() {
        return client;
    }

    /** A kubeconfig for this control plane (admin token, certificate checks off): for kubectl and fabric8. */
    public Path kubeconfig() {
        return runDir.resolve("kubeconfig");
    }

    public String apiServerHost() {
        return HOST;
    }

    public int apiServerPort() {
        return apiServerPort;
    }

    public URI apiServerUrl() {
        return URI.create("https://" + HOST + ":" + apiServerPort);
    }

    public Path runDir() {
        return runDir;
    }

    /** {@code logs/<component>.log}: etcd, kube-apiserver, kube-controller-manager, kube-scheduler. */
    public Path logFile(String component) {
        return runDir.resolve("logs").resolve(component + ".log");
    }

    /** For failure messages: each process, whether it runs, and where its log is. */
    public String describe() {
        return processes.entrySet().stream()
                .map(e -> e.getKey() + (e.getValue().isAlive() ? " running" : " EXITED with " + e.getValue().exitValue())
                        + ", log " + logFile(e.getKey()))
                .collect(Collectors.joining("\n"));
    }

    /** The last lines of a component's log, for failure messages. */
    public String logTail(String component, int lines) {
        try {
            List<String> all = Files.exists(logFile(component)) ? Files.readAllLines(logFile(component), StandardCharsets.UTF_8) : List.of();
            return "--- last lines of " + logFile(component) + " ---\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile(component) + ": " + e + ")";
        }
    }

    /** Fails with the story when a component has exited. */
    public void assertRunning() {
        for (Map.Entry<String, Process> process : processes.entrySet()) {
            if (!process.getValue().isAlive()) {
                throw new IllegalStateException(process.getKey() + " of the test control plane exited with " + process.getValue().exitValue()
                        + "\n" + describe() + "\n" + logTail(process.getKey(), 40));
            }
        }
    }

    /**
     * Starts a component from the launcher thread under {@code setpriv --pdeathsig KILL}: the
     * process dies with that thread, which lives until {@link #close}, so a test JVM killed hard
     * leaves no etcd or apiserver behind (and a caller's short-lived thread cannot take them along).
     */
    private void launch(String component, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL"));
        argv.addAll(command);
        try {
            Files.writeString(logFile(component), "=== testbed: " + Instant.now() + ": " + String.join(" ", argv) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .directory(runDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(component).toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            processes.put(component, launcher.submit(builder::start).get());
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + component, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("starting " + component, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls {@code /readyz} with the admin token until it answers 200 (every check passed). */
    private void awaitApiServerReady() {
        HttpClient http = HttpClient.newBuilder().sslContext(InsecureTls.context()).connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest readyz = HttpRequest.newBuilder(URI.create("https://" + HOST + ":" + apiServerPort + "/readyz"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(5)).build();
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        String last = "not asked yet";
        while (Instant.now().isBefore(deadline)) {
            assertRunning();
            try {
                HttpResponse<String> response = http.send(readyz, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) return;
                last = "HTTP " + response.statusCode() + ": " + response.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            Pause.sleep(200);
        }
        throw new IllegalStateException("kube-apiserver was not ready within " + READY_TIMEOUT + "; last answer: " + last + "\n"
                + describe() + "\n" + logTail("kube-apiserver", 40));
    }

    /** The service-account signing key pair (PKCS#8 private key, X.509 public key, PEM). */
    private void writeServiceAccountKeys() throws IOException {
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            pair = generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Files.writeString(runDir.resolve("sa.key"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
        Files.writeString(runDir.resolve("sa.pub"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private String kubeconfigText() {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: testbed
                  cluster: {server: "https://%s:%d", insecure-skip-tls-verify: true}
                users:
                - name: admin
                  user: {token: "%s"}
                contexts:
                - name: testbed
                  context: {cluster: testbed, user: admin, namespace: default}
                current-context: testbed
                """.formatted(HOST, apiServerPort, token);
    }

    /** Stops the processes in reverse start order (SIGTERM, SIGKILL after 10 s); leaves the run folder. Idempotent. */
    @Override
    public void close() {
        if (client != null) client.close();
        List<Map.Entry<String, Process>> reversed = new ArrayList<>(processes.entrySet());
        Collections.reverse(reversed);
        for (Map.Entry<String, Process> entry : reversed) {
            Process process = entry.getValue();
            if (!process.isAlive()) continue;
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        launcher.shutdownNow();
    }
}
