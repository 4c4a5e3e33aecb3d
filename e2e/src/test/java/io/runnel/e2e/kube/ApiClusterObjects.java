package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** {@link ClusterObjects} read from the API server, fresh on every call (no cache to go stale). Agent thread. */
final class ApiClusterObjects implements ClusterObjects {
    private final KubernetesClient client;

    ApiClusterObjects(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
        return Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(name).get());
    }

    @Override
    public Optional<Secret> secret(String namespace, String name) {
        return Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get());
    }

    @Override
    public Optional<Path> claimFolder(String namespace, String claimName) {
        PersistentVolumeClaim claim = client.persistentVolumeClaims().inNamespace(namespace).withName(claimName).get();
        if (claim == null || claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty()) return Optional.empty();
        PersistentVolume volume = client.persistentVolumes().withName(claim.getSpec().getVolumeName()).get();
        if (volume == null) return Optional.empty();
        if (volume.getSpec().getHostPath() != null) return Optional.of(Path.of(volume.getSpec().getHostPath().getPath()));
        if (volume.getSpec().getLocal() != null) return Optional.of(Path.of(volume.getSpec().getLocal().getPath()));
        return Optional.empty();
    }

    @Override
    public String serviceAccountToken(String namespace, String serviceAccount, String audience, long expirationSeconds) {
        var spec = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(expirationSeconds);
        if (audience != null && !audience.isEmpty()) spec = spec.withAudiences(List.of(audience));
        return client.serviceAccounts().inNamespace(namespace).withName(serviceAccount).tokenRequest(spec.endSpec().build())
                .getStatus().getToken();
    }
}
