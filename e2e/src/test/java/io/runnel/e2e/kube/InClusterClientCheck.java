package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * A program for a test pod, not a test: fabric8 configures itself the way it does inside a
 * cluster (KUBERNETES_SERVICE_HOST/PORT, the service-account token, ca.crt and namespace files
 * under /var/run/secrets/kubernetes.io/serviceaccount) and lists the pods of its namespace,
 * printing {@code in-cluster namespace=<ns> pods=<names>}. Exits 0 on success, 1 on failure.
 * {@link TestNodeAgentIT} runs it to prove an operator pod could talk to the API server.
 */
public final class InClusterClientCheck {
    private InClusterClientCheck() {
    }

    public static void main(String[] args) {
        try (KubernetesClient client = new KubernetesClientBuilder().build()) {
            String namespace = client.getNamespace();
            String pods = String.join(",", client.pods().inNamespace(namespace).list().getItems().stream()
                    .map(Pod::getMetadata).map(m -> m.getName()).sorted().toList());
            System.out.println("in-cluster master=" + client.getMasterUrl() + " namespace=" + namespace + " pods=" + pods);
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
    }
}
