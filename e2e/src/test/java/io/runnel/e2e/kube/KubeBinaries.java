package io.runnel.e2e.kube;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the control plane's programs are: kube-apiserver, kube-controller-manager and
 * kube-scheduler v1.20.2 and etcd 3.4, built once by {@code e2e/kube-testbed/build-kube.sh} into
 * {@code $KUBE_TESTBED_BIN} (default {@code ~/.cache/runnel/kube-1.20.2/bin}). Immutable.
 */
public record KubeBinaries(Path dir) {
    static final List<String> PROGRAMS = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler");

    /** The cached binaries, or a failure that names the script building them. */
    public static KubeBinaries locate() {
        String configured = System.getenv("KUBE_TESTBED_BIN");
        Path dir = configured != null && !configured.isEmpty() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "runnel", "kube-1.20.2", "bin");
        List<String> missing = PROGRAMS.stream().filter(p -> !Files.isExecutable(dir.resolve(p))).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("The Kubernetes testbed's control plane is not built: " + missing + " missing in " + dir
                    + ". Build it once with e2e/kube-testbed/build-kube.sh (about 10 minutes; cached afterwards).");
        }
        return new KubeBinaries(dir);
    }

    public Path program(String name) {
        return dir.resolve(name);
    }
}
