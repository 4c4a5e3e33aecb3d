package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * How a container becomes a local process:
 * <ul>
 *   <li>{@code setsid}: a process group of its own, so the whole tree can be signalled;</li>
 *   <li>{@code setpriv --pdeathsig KILL}: the container dies with the agent thread that started
 *       it (the signal survives the execs that follow), so a test JVM killed hard leaves no broker
 *       holding its addresses;</li>
 *   <li>{@code unshare --mount --propagation private}: a private mount namespace, so the
 *       container's bind mounts are invisible to the host and vanish with it;</li>
 *   <li>a {@code sh -c} prelude that bind-mounts each volume folder at its mountPath (parents
 *       before children; read-only when asked and the kernel allows the remount), changes into
 *       the working directory and {@code exec}s the container's argv, so the container's main
 *       process keeps the pid that was started.</li>
 * </ul>
 * The prelude calls its tools by absolute path, so the container's own {@code PATH} (from its
 * env) reaches the command unchanged. Stateless.
 */
final class ContainerLaunch {
    private ContainerLaunch() {
    }

    /** A host file or folder shown at {@code target} inside the container. */
    record Mount(Path source, String target, boolean readOnly) {
    }

    /** The container's volumeMounts resolved against the pod's prepared volume folders. */
    static List<Mount> mounts(Container container, Map<String, Path> volumeFolders, Map<String, String> env) {
        List<Mount> mounts = new ArrayList<>();
        for (VolumeMount mount : container.getVolumeMounts()) {
            Path folder = volumeFolders.get(mount.getName());
            if (folder == null) {
                throw new PodVolumes.NotReady("volumeMount " + mount.getName() + " names no volume of the pod");
            }
            String subPath = mount.getSubPath() != null && !mount.getSubPath().isEmpty() ? mount.getSubPath()
                    : mount.getSubPathExpr() != null ? EnvExpansion.expand(mount.getSubPathExpr(), env::get) : "";
            Path source = folder;
            if (!subPath.isEmpty()) {
                source = folder.resolve(subPath).normalize();
                if (!source.startsWith(folder)) throw new PodVolumes.NotReady("subPath " + subPath + " leaves its volume");
                if (!Files.exists(source)) {
                    try {
                        Files.createDirectories(source); // the kubelet creates a missing subPath as a folder
                    } catch (IOException e) {
                        throw new PodVolumes.NotReady("cannot create subPath " + source + ": " + e);
                    }
                }
            }
            mounts.add(new Mount(source, mount.getMountPath(), Boolean.TRUE.equals(mount.getReadOnly())));
        }
        return mounts;
    }

    /** The full argv of the local process. */
    static List<String> argv(List<Mount> mounts, Path workingDir, List<String> command) {
        StringBuilder script = new StringBuilder("set -e\n");
        List<Mount> ordered = mounts.stream()
                .sorted(Comparator.comparingInt((Mount m) -> Path.of(m.target()).normalize().getNameCount()))
                .toList();
        for (Mount mount : ordered) {
            String source = quote(mount.source().toString());
            String target = quote(mount.target());
            if (Files.isDirectory(mount.source())) {
                script.append("/bin/mkdir -p ").append(target).append('\n');
            } else {
                script.append("/bin/mkdir -p \"$(/usr/bin/dirname ").append(target).append(")\"; [ -e ").append(target)
                        .append(" ] || : > ").append(target).append('\n');
            }
            script.append("/bin/mount --bind ").append(source).append(' ').append(target).append('\n');
            if (mount.readOnly()) {
                script.append("/bin/mount -o remount,bind,ro ").append(target).append(" 2>/dev/null || true\n");
            }
        }
        script.append("/bin/mkdir -p ").append(quote(workingDir.toString())).append("\ncd ").append(quote(workingDir.toString()))
                .append("\nexec \"$@\"\n");
        List<String> argv = new ArrayList<>(List.of("/usr/bin/setsid", "/usr/bin/setpriv", "--pdeathsig", "KILL",
                "/usr/bin/unshare", "--mount", "--propagation", "private",
                "/bin/sh", "-c", script.toString(), "container"));
        argv.addAll(command);
        return argv;
    }

    /** A shell word in single quotes. */
    static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
