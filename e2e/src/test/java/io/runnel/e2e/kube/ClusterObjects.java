package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The objects a pod's containers read from the cluster when they start: ConfigMaps and Secrets
 * for env and volumes, the host folder behind a bound claim, a service-account token for a
 * projected volume. An interface so that env and volume rules can be exercised without a cluster;
 * the agent's implementation asks the API server. Called on the agent thread.
 */
interface ClusterObjects {
    Optional<ConfigMap> configMap(String namespace, String name);

    Optional<Secret> secret(String namespace, String name);

    /** The host folder of the PersistentVolume bound to this claim; empty while the claim is unbound. */
    Optional<Path> claimFolder(String namespace, String claimName);

    /** A token for {@code serviceAccount} (TokenRequest), for projected serviceAccountToken sources. */
    String serviceAccountToken(String namespace, String serviceAccount, String audience, long expirationSeconds);
}
