package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Events about pods, as the kubelet records them ({@code kubectl describe pod} and
 * {@code kubectl get events} show them): Started, Killing, BackOff, Unhealthy, FailedMount, and
 * Failed with ErrImagePull or CreateContainerConfigError. A failed write is only logged. Agent
 * thread.
 */
final class EventRecorder {
    private final KubernetesClient client;
    private final String nodeName;
    private final AgentLog log;
    private final AtomicLong sequence = new AtomicLong();

    EventRecorder(KubernetesClient client, String nodeName, AgentLog log) {
        this.client = client;
        this.nodeName = nodeName;
        this.log = log;
    }

    void normal(Pod pod, String reason, String message) {
        record(pod, "Normal", reason, message);
    }

    void warning(Pod pod, String reason, String message) {
        record(pod, "Warning", reason, message);
    }

    private void record(Pod pod, String type, String reason, String message) {
        String namespace = pod.getMetadata().getNamespace();
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        log.info("event " + type + " " + reason + " " + namespace + "/" + pod.getMetadata().getName() + ": " + message);
        try {
            client.v1().events().inNamespace(namespace).resource(new EventBuilder()
                    .withNewMetadata()
                        .withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()) + sequence.incrementAndGet())
                        .withNamespace(namespace)
                    .endMetadata()
                    .withNewInvolvedObject()
                        .withApiVersion("v1").withKind("Pod").withNamespace(namespace)
                        .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid())
                    .endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(message)
                    .withNewSource().withComponent("kubelet").withHost(nodeName).endSource()
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .build()).create();
        } catch (KubernetesClientException e) {
            log.info("could not record event " + reason + " for " + namespace + "/" + pod.getMetadata().getName() + ": " + e.getMessage());
        }
    }
}
