package io.runnel.e2e.operator;

import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.runnel.e2e.support.ExternalCommand;

/** Reading Runnel's custom resources as a user would (no operator classes): their status and conditions as plain maps. Stateless. */
final class CustomResources {
    static final ResourceDefinitionContext CLUSTERS = context("clusters", "Cluster");
    static final ResourceDefinitionContext TOPICS = context("topics", "Topic");
    static final String OPERATOR_NS = "runnel-system";

    private CustomResources() {
    }

    private static ResourceDefinitionContext context(String plural, String kind) {
        return new ResourceDefinitionContext.Builder().withGroup("runnel.dev").withVersion("v1alpha1").withPlural(plural)
                .withKind(kind).withNamespaced(true).build();
    }

    static GenericKubernetesResource cluster(KubernetesClient kube, String ns, String name) {
        return kube.genericKubernetesResources(CLUSTERS).inNamespace(ns).withName(name).get();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> status(GenericKubernetesResource r) {
        Object s = r == null ? null : r.getAdditionalProperties().get("status");
        return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> condition(GenericKubernetesResource r, String type) {
        Object conditions = status(r).get("conditions");
        if (!(conditions instanceof List<?> list)) return Map.of();
        return list.stream().map(c -> (Map<String, Object>) c).filter(c -> type.equals(c.get("type"))).findFirst().orElse(Map.of());
    }

    static String clusterYaml(String name, int replicas, String extraSpecLines) {
        return "apiVersion: runnel.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: " + name + "\nspec:\n  replicas: " + replicas
                + "\n  storage:\n    size: 1Gi\n" + (extraSpecLines.isEmpty() ? "" : extraSpecLines + "\n");
    }

    static java.nio.file.Path write(java.nio.file.Path dir, String file, String content) {
        try {
            java.nio.file.Path p = dir.resolve(file);
            java.nio.file.Files.writeString(p, content);
            return p;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs the command and returns its stdout, failing the test with the whole story unless it exited 0. */
    static String ok(ExternalCommand command) {
        return ExternalCommand.ok(command.run());
    }
}
