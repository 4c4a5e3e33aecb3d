package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One attempt of a container probe, the way the kubelet's prober makes it: httpGet against the
 * pod IP (success: 200-399, within timeoutSeconds; HTTPS without certificate checks), tcpSocket
 * (a connection opens), exec (the command, inside the container's mount namespace via
 * {@code nsenter}, with the container's env, exits 0). Attempts run off the agent thread and
 * complete a future; the caller posts the result back. Thread-safe.
 */
final class ProbeRunner implements AutoCloseable {
    /** What one attempt found; the message explains a failure. */
    record Result(boolean success, String message) {
    }

    private final HttpClient http;
    private final ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();

    ProbeRunner() {
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NORMAL)
                .sslContext(InsecureTls.context())
                .executor(blocking)
                .build();
    }

    /** @param pid the container's main process, for exec probes */
    CompletableFuture<Result> attempt(Probe probe, Container container, String podIp, long pid, Map<String, String> env) {
        Duration timeout = Duration.ofSeconds(probe.getTimeoutSeconds() == null ? 1 : Math.max(1, probe.getTimeoutSeconds()));
        try {
            if (probe.getHttpGet() != null) {
                var get = probe.getHttpGet();
                String host = get.getHost() == null || get.getHost().isEmpty() ? podIp : get.getHost();
                String scheme = get.getScheme() == null ? "http" : get.getScheme().toLowerCase();
                String path = get.getPath() == null || get.getPath().isEmpty() ? "/" : get.getPath();
                URI uri = URI.create(scheme + "://" + host + ":" + port(get.getPort(), container) + (path.startsWith("/") ? path : "/" + path));
                HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).header("User-Agent", "kube-probe/1.20");
                if (get.getHttpHeaders() != null) get.getHttpHeaders().forEach(h -> request.header(h.getName(), h.getValue()));
                return http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
                        .handle((response, failure) -> {
                            if (failure != null) return new Result(false, "GET " + uri + " failed: " + rootCause(failure));
                            int status = response.statusCode();
                            return new Result(status >= 200 && status < 400, "GET " + uri + " answered " + status);
                        });
            }
            if (probe.getTcpSocket() != null) {
                String host = probe.getTcpSocket().getHost() == null || probe.getTcpSocket().getHost().isEmpty()
                        ? podIp : probe.getTcpSocket().getHost();
                int port = port(probe.getTcpSocket().getPort(), container);
                return CompletableFuture.supplyAsync(() -> {
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                        return new Result(true, "connected to " + host + ":" + port);
                    } catch (IOException e) {
                        return new Result(false, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
                    }
                }, blocking);
            }
            if (probe.getExec() != null) {
                List<String> argv = new ArrayList<>(List.of("/usr/bin/nsenter", "--target", Long.toString(pid), "--mount", "--"));
                argv.addAll(probe.getExec().getCommand());
                return CompletableFuture.supplyAsync(() -> exec(argv, env, timeout), blocking);
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Result(false, e.getMessage()));
        }
        return CompletableFuture.completedFuture(new Result(false, "probe has no handler the test node knows"));
    }

    private static Result exec(List<String> argv, Map<String, String> env, Duration timeout) {
        try {
            ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true);
            builder.environment().clear();
            builder.environment().putAll(env);
            Process process = builder.start();
            byte[] output = process.getInputStream().readNBytes(4096);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return new Result(false, "exec probe timed out after " + timeout);
            }
            return new Result(process.exitValue() == 0, "exec probe exited " + process.exitValue() + ": " + new String(output).trim());
        } catch (IOException e) {
            return new Result(false, "exec probe failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        }
    }

    /** A probe's port: a number, or the name of one of the container's ports. */
    static int port(IntOrString port, Container container) {
        if (port == null) throw new IllegalArgumentException("probe without a port");
        if (port.getIntVal() != null) return port.getIntVal();
        String name = port.getStrVal();
        if (name.chars().allMatch(Character::isDigit)) return Integer.parseInt(name);
        return container.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("container " + container.getName() + " has no port named " + name));
    }

    private static String rootCause(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null) cause = cause.getCause();
        return cause.toString();
    }

    @Override
    public void close() {
        http.shutdownNow();
        blocking.shutdownNow();
    }
}
