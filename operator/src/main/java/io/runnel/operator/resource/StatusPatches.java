package io.runnel.operator.resource;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * Status patches for JOSDK's server-side apply: a fresh object with only the name and the status,
 * and no spec, so the patch claims no spec or metadata fields and carries no resourceVersion that a concurrent
 * write (the user's edit, a scale) would turn into a conflict. Pure.
 */
public final class StatusPatches {
    private StatusPatches() {
    }

    public static <S, T extends CustomResource<?, S>> T statusOnly(T resource, T fresh, S status) {
        // A spec in the patch, even the empty default, would be applied as well by an API server
        // that predates status-only apply (Kubernetes 1.20 does), overwriting the user's spec.
        fresh.setSpec(null);
        fresh.setMetadata(new ObjectMetaBuilder().withName(resource.getMetadata().getName())
                .withNamespace(resource.getMetadata().getNamespace()).build());
        fresh.setStatus(status);
        return fresh;
    }
}
