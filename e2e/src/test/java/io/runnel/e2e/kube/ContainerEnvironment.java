package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A container's environment as the kubelet computes it, in its order: {@code envFrom} sources
 * first (ConfigMap and Secret keys, with their prefix; keys that are no valid variable name are
 * skipped), then {@code env} entries in order, each literal value {@code $(VAR)}-expanded against
 * the variables defined before it and the service variables; then the service variables not
 * overridden. Below all of that sits what the container runtime sets ({@code PATH},
 * {@code HOSTNAME}, {@code HOME}). Stateless.
 *
 * <p>A reference to a missing ConfigMap, Secret or key fails the container start
 * ({@link ConfigError}, shown as {@code CreateContainerConfigError}) unless it is
 * {@code optional}, in which case the variable (or source) is left out.
 */
final class ContainerEnvironment {
    private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]*");

    private ContainerEnvironment() {
    }

    /** The container cannot start with this spec and these objects (CreateContainerConfigError). */
    static final class ConfigError extends RuntimeException {
        ConfigError(String message) {
            super(message);
        }
    }

    /** Where a container runs: its pod's addresses and what the runtime and the cluster add to every container. */
    record Context(String podIp, String hostIp, Map<String, String> runtimeEnv, Map<String, String> serviceEnv,
                   Map<String, Quantity> nodeAllocatable) {
    }

    static Map<String, String> compute(Pod pod, Container container, Context context, ClusterObjects objects) {
        String namespace = pod.getMetadata().getNamespace();
        Map<String, String> defined = new LinkedHashMap<>();
        for (EnvFromSource source : container.getEnvFrom()) {
            String prefix = source.getPrefix() == null ? "" : source.getPrefix();
            Map<String, String> values;
            if (source.getConfigMapRef() != null) {
                String name = source.getConfigMapRef().getName();
                Optional<ConfigMap> map = objects.configMap(namespace, name);
                if (map.isEmpty()) {
                    if (isTrue(source.getConfigMapRef().getOptional())) continue;
                    throw new ConfigError("configmap \"" + name + "\" not found");
                }
                values = map.get().getData() == null ? Map.of() : map.get().getData();
            } else if (source.getSecretRef() != null) {
                String name = source.getSecretRef().getName();
                Optional<Secret> secret = objects.secret(namespace, name);
                if (secret.isEmpty()) {
                    if (isTrue(source.getSecretRef().getOptional())) continue;
                    throw new ConfigError("secret \"" + name + "\" not found");
                }
                values = decoded(secret.get());
            } else {
                continue;
            }
            values.forEach((key, value) -> {
                if (ENV_NAME.matcher(prefix + key).matches()) defined.put(prefix + key, value);
            });
        }
        for (EnvVar variable : container.getEnv()) {
            Optional<String> value = variable.getValueFrom() == null
                    ? Optional.of(EnvExpansion.expand(variable.getValue() == null ? "" : variable.getValue(),
                            name -> defined.containsKey(name) ? defined.get(name) : context.serviceEnv().get(name)))
                    : valueFrom(pod, container, variable.getValueFrom(), context, objects);
            value.ifPresent(v -> defined.put(variable.getName(), v));
        }
        Map<String, String> env = new LinkedHashMap<>(context.runtimeEnv());
        context.serviceEnv().forEach((name, value) -> {
            if (!defined.containsKey(name)) env.put(name, value);
        });
        env.putAll(defined);
        return env;
    }

    /** The variable's value, or empty when an optional source is missing. */
    private static Optional<String> valueFrom(Pod pod, Container container, EnvVarSource source, Context context, ClusterObjects objects) {
        String namespace = pod.getMetadata().getNamespace();
        try {
            if (source.getFieldRef() != null) {
                return Optional.of(PodFields.field(pod, source.getFieldRef().getFieldPath(), context.podIp(), context.hostIp()));
            }
            if (source.getResourceFieldRef() != null) {
                return Optional.of(PodFields.resource(container, source.getResourceFieldRef(), context.nodeAllocatable()));
            }
        } catch (PodFields.UnsupportedField e) {
            throw new ConfigError(e.getMessage());
        }
        if (source.getConfigMapKeyRef() != null) {
            var ref = source.getConfigMapKeyRef();
            Optional<String> value = objects.configMap(namespace, ref.getName())
                    .map(map -> map.getData() == null ? null : map.getData().get(ref.getKey()));
            if (value.isEmpty() && !isTrue(ref.getOptional())) {
                throw new ConfigError("couldn't find key " + ref.getKey() + " in ConfigMap " + namespace + "/" + ref.getName());
            }
            return value;
        }
        if (source.getSecretKeyRef() != null) {
            var ref = source.getSecretKeyRef();
            Optional<String> value = objects.secret(namespace, ref.getName()).map(secret -> decoded(secret).get(ref.getKey()));
            if (value.isEmpty() && !isTrue(ref.getOptional())) {
                throw new ConfigError("couldn't find key " + ref.getKey() + " in Secret " + namespace + "/" + ref.getName());
            }
            return value;
        }
        throw new ConfigError("env valueFrom with no source");
    }

    /** A Secret's {@code data}, base64-decoded to UTF-8 text. */
    static Map<String, String> decoded(Secret secret) {
        Map<String, String> values = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((key, value) -> values.put(key, new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) values.putAll(secret.getStringData());
        return values;
    }

    private static boolean isTrue(Boolean flag) {
        return flag != null && flag;
    }
}
