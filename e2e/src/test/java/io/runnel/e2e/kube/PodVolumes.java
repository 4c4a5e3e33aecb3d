package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A pod's volumes as host folders, prepared once before its first container starts (the
 * kubelet's volume manager, minus refreshes): a claim's folder is the bound PersistentVolume's
 * host path (so data outlives the pod); emptyDir is a fresh folder of this pod instance;
 * configMap, secret, downwardAPI and projected volumes are folders of files written from the
 * objects, honouring {@code items}, {@code optional} and file modes; hostPath is the path itself.
 * Stateless; runs on the agent thread.
 */
final class PodVolumes {
    private PodVolumes() {
    }

    /** A volume cannot be prepared yet or at all; the pod stays in ContainerCreating and is retried. */
    static final class NotReady extends RuntimeException {
        NotReady(String message) {
            super(message);
        }
    }

    /** @param instanceDir this pod instance's folder (per uid): emptyDirs and written files go under it */
    static Map<String, Path> prepare(Pod pod, Path instanceDir, ClusterObjects objects, ContainerEnvironment.Context context) {
        Map<String, Path> folders = new LinkedHashMap<>();
        for (Volume volume : pod.getSpec().getVolumes()) {
            Path own = instanceDir.resolve("volumes").resolve(volume.getName());
            folders.put(volume.getName(), prepare(pod, volume, own, objects, context));
        }
        return folders;
    }

    private static Path prepare(Pod pod, Volume volume, Path own, ClusterObjects objects, ContainerEnvironment.Context context) {
        String namespace = pod.getMetadata().getNamespace();
        if (volume.getPersistentVolumeClaim() != null) {
            String claim = volume.getPersistentVolumeClaim().getClaimName();
            return objects.claimFolder(namespace, claim)
                    .orElseThrow(() -> new NotReady("persistentvolumeclaim \"" + claim + "\" is not bound to a volume with a host path yet"));
        }
        if (volume.getHostPath() != null) {
            Path path = Path.of(volume.getHostPath().getPath());
            if ("DirectoryOrCreate".equals(volume.getHostPath().getType())) createDirectories(path);
            return path;
        }
        createDirectories(own);
        if (volume.getEmptyDir() != null) return own;
        if (volume.getConfigMap() != null) {
            var source = volume.getConfigMap();
            writeConfigMap(namespace, source.getName(), source.getItems(), source.getOptional(), source.getDefaultMode(), own, objects);
        } else if (volume.getSecret() != null) {
            var source = volume.getSecret();
            writeSecret(namespace, source.getSecretName(), source.getItems(), source.getOptional(), source.getDefaultMode(), own, objects);
        } else if (volume.getDownwardAPI() != null) {
            writeDownward(pod, volume.getDownwardAPI().getItems(), volume.getDownwardAPI().getDefaultMode(), own, context);
        } else if (volume.getProjected() != null) {
            Integer mode = volume.getProjected().getDefaultMode();
            for (VolumeProjection source : volume.getProjected().getSources()) {
                if (source.getConfigMap() != null) {
                    var s = source.getConfigMap();
                    writeConfigMap(namespace, s.getName(), s.getItems(), s.getOptional(), mode, own, objects);
                } else if (source.getSecret() != null) {
                    var s = source.getSecret();
                    writeSecret(namespace, s.getName(), s.getItems(), s.getOptional(), mode, own, objects);
                } else if (source.getDownwardAPI() != null) {
                    writeDownward(pod, source.getDownwardAPI().getItems(), mode, own, context);
                } else if (source.getServiceAccountToken() != null) {
                    var s = source.getServiceAccountToken();
                    String serviceAccount = pod.getSpec().getServiceAccountName() == null ? "default" : pod.getSpec().getServiceAccountName();
                    long expirationSeconds = s.getExpirationSeconds() == null ? 3600 : s.getExpirationSeconds();
                    String token = objects.serviceAccountToken(namespace, serviceAccount, s.getAudience(), expirationSeconds);
                    write(own, s.getPath(), token.getBytes(StandardCharsets.UTF_8), mode);
                }
            }
        } else {
            throw new NotReady("volume \"" + volume.getName() + "\" is of a kind the test node does not emulate");
        }
        return own;
    }

    private static void writeConfigMap(String namespace, String name, List<KeyToPath> items, Boolean optional, Integer mode,
                                       Path folder, ClusterObjects objects) {
        Optional<ConfigMap> map = objects.configMap(namespace, name);
        if (map.isEmpty()) {
            if (Boolean.TRUE.equals(optional)) return;
            throw new NotReady("configmap \"" + name + "\" not found");
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        if (map.get().getData() != null) map.get().getData().forEach((k, v) -> contents.put(k, v.getBytes(StandardCharsets.UTF_8)));
        if (map.get().getBinaryData() != null) map.get().getBinaryData().forEach((k, v) -> contents.put(k, Base64.getDecoder().decode(v)));
        writeKeys("configmap " + name, contents, items, optional, mode, folder);
    }

    private static void writeSecret(String namespace, String name, List<KeyToPath> items, Boolean optional, Integer mode,
                                    Path folder, ClusterObjects objects) {
        Optional<Secret> secret = objects.secret(namespace, name);
        if (secret.isEmpty()) {
            if (Boolean.TRUE.equals(optional)) return;
            throw new NotReady("secret \"" + name + "\" not found");
        }
        Map<String, byte[]> contents = new LinkedHashMap<>();
        if (secret.get().getData() != null) secret.get().getData().forEach((k, v) -> contents.put(k, Base64.getDecoder().decode(v)));
        writeKeys("secret " + name, contents, items, optional, mode, folder);
    }

    /** Every key as a file named after it, or only the listed items at their paths. */
    private static void writeKeys(String what, Map<String, byte[]> contents, List<KeyToPath> items, Boolean optional, Integer mode, Path folder) {
        if (items == null || items.isEmpty()) {
            contents.forEach((key, value) -> write(folder, key, value, mode));
            return;
        }
        for (KeyToPath item : items) {
            byte[] value = contents.get(item.getKey());
            if (value == null) {
                if (Boolean.TRUE.equals(optional)) continue;
                throw new NotReady(what + " has no key " + item.getKey());
            }
            write(folder, item.getPath(), value, item.getMode() != null ? item.getMode() : mode);
        }
    }

    private static void writeDownward(Pod pod, List<DownwardAPIVolumeFile> items, Integer mode, Path folder, ContainerEnvironment.Context context) {
        for (DownwardAPIVolumeFile item : items) {
            String value;
            try {
                if (item.getFieldRef() != null) {
                    value = PodFields.field(pod, item.getFieldRef().getFieldPath(), context.podIp(), context.hostIp());
                } else if (item.getResourceFieldRef() != null) {
                    String name = item.getResourceFieldRef().getContainerName();
                    Container container = pod.getSpec().getContainers().stream()
                            .filter(c -> name == null || name.isEmpty() || c.getName().equals(name)).findFirst()
                            .orElseThrow(() -> new NotReady("downwardAPI item " + item.getPath() + " names no container of the pod"));
                    value = PodFields.resource(container, item.getResourceFieldRef(), context.nodeAllocatable());
                } else {
                    continue;
                }
            } catch (PodFields.UnsupportedField e) {
                throw new NotReady(e.getMessage());
            }
            write(folder, item.getPath(), value.getBytes(StandardCharsets.UTF_8), item.getMode() != null ? item.getMode() : mode);
        }
    }

    private static void write(Path folder, String relativePath, byte[] value, Integer mode) {
        Path file = folder.resolve(relativePath).normalize();
        if (!file.startsWith(folder)) throw new NotReady("volume path " + relativePath + " leaves its volume");
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, value);
            if (mode != null) Files.setPosixFilePermissions(file, permissions(mode));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A Kubernetes file mode (decimal in JSON, e.g. 420 = 0644) as POSIX permissions. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) permissions.add(order[bit]);
        }
        return permissions;
    }

    private static void createDirectories(Path path) {
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
