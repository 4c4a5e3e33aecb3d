package io.runnel.broker.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;

/**
 * A broker's rack on Kubernetes: the value of a label of the node its pod runs on (such as
 * {@code topology.kubernetes.io/zone}), read once at start from the API server with the pod's
 * service account, the way an in-cluster client does (KUBERNETES_SERVICE_HOST/PORT, the mounted
 * token and CA). The downward API cannot give a pod its node's labels, hence the call. Runs on the
 * starting thread, before anything else needs the config.
 */
final class NodeRack {
    static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private NodeRack() {
    }

    /** The label's value on {@code NODE_NAME}'s node; fails, naming what is missing, rather than start without a rack. */
    static String lookup(String label, Map<String, String> env, Path serviceAccount) {
        String node = env.get("NODE_NAME");
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        if (node == null || node.isBlank() || host == null || host.isBlank())
            throw new IllegalArgumentException("runnel.broker.rack.node.label=" + label
                    + " needs NODE_NAME and KUBERNETES_SERVICE_HOST in the environment (a pod with spec.nodeName in NODE_NAME)");
        try {
            String token = Files.readString(serviceAccount.resolve("token")).trim();
            HttpClient http = HttpClient.newBuilder().sslContext(trusting(serviceAccount.resolve("ca.crt"))).connectTimeout(TIMEOUT).build();
            String hostPart = host.contains(":") ? "[" + host + "]" : host;
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + hostPart + ":" + port + "/api/v1/nodes/" + node))
                    .header("Authorization", "Bearer " + token).header("Accept", "application/json").timeout(TIMEOUT).build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200)
                throw new IllegalStateException("reading node " + node + " for its rack label " + label + ": HTTP " + response.statusCode()
                        + " " + response.body().lines().findFirst().orElse("") + " (the pod's service account needs 'get' on nodes)");
            return labelOf(response.body(), label).orElseThrow(() -> new IllegalStateException(
                    "node " + node + " has no label " + label + ", which runnel.broker.rack.node.label names as the rack"));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("reading node " + node + " for its rack label " + label + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading node " + node, e);
        }
    }

    /** The label's value in a Node object's JSON. */
    static java.util.Optional<String> labelOf(String nodeJson, String label) {
        JsonObject node = Json.createReader(new StringReader(nodeJson)).readObject();
        JsonObject metadata = node.getJsonObject("metadata");
        JsonObject labels = metadata == null ? null : metadata.getJsonObject("labels");
        if (labels == null || !labels.containsKey(label) || labels.get(label).getValueType() != JsonValue.ValueType.STRING)
            return java.util.Optional.empty();
        return java.util.Optional.of(labels.getString(label));
    }

    private static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(caFile))))
            trust.setCertificateEntry("ca-" + i++, c);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }
}
