package io.runnel.operator.resource;

import java.util.Objects;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Applies the operator's desired state with server-side apply under one field manager, so that a
 * second pass with the same desired state writes nothing and fields other managers own (an HPA,
 * kubectl annotate) are left alone. Stateless; any thread.
 */
public final class OwnedResources {
    public static final String FIELD_MANAGER = "runnel-operator";

    /** What an apply did, for events: nothing, created, or changed. */
    public enum Outcome { UNCHANGED, CREATED, UPDATED }

    private OwnedResources() {
    }

    public static <T extends HasMetadata> Outcome apply(KubernetesClient client, T desired) {
        HasMetadata before = client.resource(desired).get();
        HasMetadata after = client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        if (before == null) return Outcome.CREATED;
        // Where there is a generation it moves only with the spec, not with status writes racing us.
        boolean same = before.getMetadata().getGeneration() != null && after.getMetadata().getGeneration() != null
                ? Objects.equals(before.getMetadata().getGeneration(), after.getMetadata().getGeneration())
                : Objects.equals(before.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion());
        return same ? Outcome.UNCHANGED : Outcome.UPDATED;
    }
}
