package io.runnel.operator.resource;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Records what the operator did as Kubernetes events on the resource it did it for, so that
 * {@code kubectl describe} tells the story. Best effort: an event that cannot be written is
 * logged and never fails a reconcile. Stateless; any thread.
 */
public final class KubernetesEvents {
    private static final Logger LOG = Logger.getLogger(KubernetesEvents.class);
    private static final String COMPONENT = "runnel-operator";

    private KubernetesEvents() {
    }

    public static void normal(KubernetesClient client, HasMetadata about, String reason, String message) {
        record(client, about, "Normal", reason, message);
    }

    public static void warning(KubernetesClient client, HasMetadata about, String reason, String message) {
        record(client, about, "Warning", reason, message);
    }

    private static void record(KubernetesClient client, HasMetadata about, String type, String reason, String message) {
        LOG.infof("%s %s/%s: %s %s", about.getKind(), about.getMetadata().getNamespace(), about.getMetadata().getName(), reason, message);
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(about.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13))
                    .withNamespace(about.getMetadata().getNamespace()).endMetadata()
                    .withNewInvolvedObject().withApiVersion(about.getApiVersion()).withKind(about.getKind())
                    .withName(about.getMetadata().getName()).withNamespace(about.getMetadata().getNamespace())
                    .withUid(about.getMetadata().getUid()).endInvolvedObject()
                    .withType(type).withReason(reason).withMessage(message)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warnf("could not record event %s on %s/%s: %s", reason, about.getKind(), about.getMetadata().getName(), e.getMessage());
        }
    }
}
