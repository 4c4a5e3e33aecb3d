package io.runnel.operator.resource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * Applies the operator's desired state with server-side apply under one field manager, so that
 * fields other managers own (an HPA, kubectl annotate) are left alone, and writes only when the
 * apply would change something: a server-side dry run first, compared with what is stored. The
 * dry run is needed because an API server may record a no-op apply as a write (Kubernetes 1.20
 * moves the field manager's timestamp on a StatefulSet), and a second pass over an unchanged spec
 * must write nothing. Stateless; any thread.
 */
public final class OwnedResources {
    public static final String FIELD_MANAGER = "runnel-operator";

    /** What an apply did, for events: nothing, created, or changed. */
    public enum Outcome { UNCHANGED, CREATED, UPDATED }

    /**
     * @param before the object as stored before, or null when it was created
     * @param stored the object as stored now (spec and status), so that callers need not read it again
     */
    public record Applied<T extends HasMetadata>(Outcome outcome, T before, T stored) {
    }

    private OwnedResources() {
    }

    public static <T extends HasMetadata> Applied<T> apply(KubernetesClient client, T desired) {
        return apply(client, desired, client.resource(desired).get());
    }

    /** As {@link #apply(KubernetesClient, HasMetadata)}, for a caller that has just read the object ({@code before}, null if absent). */
    public static <T extends HasMetadata> Applied<T> apply(KubernetesClient client, T desired, T before) {
        if (before != null) {
            T wouldBe = client.resource(desired).dryRun().fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
            if (comparable(before).equals(comparable(wouldBe))) return new Applied<>(Outcome.UNCHANGED, before, before);
        }
        T stored = client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        return new Applied<>(before == null ? Outcome.CREATED : Outcome.UPDATED, before, stored);
    }

    /** The object without what moves on its own: status (controllers write it), version stamps, field ownership. */
    private static JsonNode comparable(HasMetadata object) {
        ObjectNode tree = Serialization.jsonMapper().valueToTree(object);
        tree.remove("status");
        if (tree.get("metadata") instanceof ObjectNode metadata) {
            metadata.remove("managedFields");
            metadata.remove("resourceVersion");
        }
        return tree;
    }
}
