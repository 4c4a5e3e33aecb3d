package io.runnel.e2e.kube;

import io.runnel.e2e.support.E2eSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a container image means on this machine: for each image repository ({@code runnel/broker},
 * registry and tag ignored), the local command the {@link TestNodeAgent} runs instead of pulling and
 * starting the image. Immutable; build with {@link #with}.
 *
 * <p>An image's command is its ENTRYPOINT and CMD, so a pod's {@code command} and {@code args}
 * replace them the way Kubernetes does. An image may name the artifact it needs (a built jar):
 * when that file is missing the pod shows {@code ErrImagePull} with the build step to run, as a
 * missing image would on a real node.
 */
public final class LocalImages {
    /**
     * @param entrypoint the image's ENTRYPOINT: absolute program path first
     * @param cmd the image's CMD, the default arguments
     * @param artifact a file the command needs (empty: none); missing means "not pullable"
     * @param buildHint how to make the artifact, for the ErrImagePull message
     */
    public record Image(List<String> entrypoint, List<String> cmd, Optional<Path> artifact, String buildHint) {
        public Image {
            entrypoint = List.copyOf(entrypoint);
            cmd = List.copyOf(cmd);
            if (entrypoint.isEmpty()) throw new IllegalArgumentException("an image needs an entrypoint");
        }

        /** Why this image cannot run here, or empty when it can. */
        Optional<String> pullProblem() {
            return artifact.filter(file -> !Files.isRegularFile(file))
                    .map(file -> file + " does not exist" + (buildHint.isEmpty() ? "" : "; " + buildHint));
        }
    }

    private final Map<String, Image> byRepository;

    private LocalImages(Map<String, Image> byRepository) {
        this.byRepository = Map.copyOf(byRepository);
    }

    public static LocalImages none() {
        return new LocalImages(Map.of());
    }

    /**
     * Runnel's own images: {@code runnel/broker} runs the packaged broker-native jar and
     * {@code runnel/operator} the operator's, both with the JDK running the tests.
     */
    public static LocalImages runnel() {
        Path repo = E2eSettings.repoRoot();
        Path brokerJar = Path.of(System.getProperty("runnel.e2e.brokerJar",
                repo.resolve("broker-native/target/quarkus-app/quarkus-run.jar").toString()));
        Path operatorJar = Path.of(System.getProperty("runnel.e2e.operatorJar",
                repo.resolve("operator/target/quarkus-app/quarkus-run.jar").toString()));
        return none()
                .with("runnel/broker", javaJar(brokerJar, "package it: ./mvnw -B -pl broker-native -am package -DskipTests"))
                .with("runnel/operator", javaJar(operatorJar, "package it: ./mvnw -B -pl operator -am package -DskipTests"));
    }

    /** {@code java -Xmx512m -jar <jar>} with the JDK the tests run with. */
    public static Image javaJar(Path jar, String buildHint) {
        return new Image(List.of(E2eSettings.javaLauncher(), "-Xmx512m", "-jar", jar.toString()), List.of(), Optional.of(jar), buildHint);
    }

    /** A copy that also maps {@code repository} (e.g. {@code busybox}) to {@code image}. */
    public LocalImages with(String repository, Image image) {
        Map<String, Image> copy = new LinkedHashMap<>(byRepository);
        copy.put(repository, image);
        return new LocalImages(copy);
    }

    /** A copy that maps {@code repository} to a plain command (its ENTRYPOINT, no CMD). */
    public LocalImages with(String repository, List<String> entrypoint) {
        return with(repository, new Image(entrypoint, List.of(), Optional.empty(), ""));
    }

    /** The image a pod names ({@code docker.io/runnel/broker:0.1.0}), if mapped. */
    public Optional<Image> lookup(String imageReference) {
        String repository = repository(imageReference);
        Image image = byRepository.get(repository);
        if (image == null && repository.startsWith("library/")) image = byRepository.get(repository.substring("library/".length()));
        return Optional.ofNullable(image);
    }

    public List<String> repositories() {
        return byRepository.keySet().stream().sorted().toList();
    }

    /**
     * The repository part of an image reference: no digest ({@code @sha256:...}), no tag
     * ({@code :0.1.0}, a colon after the last slash), no registry host (a first component with a
     * dot or a port, or {@code localhost}).
     */
    static String repository(String imageReference) {
        String reference = imageReference.trim();
        int digest = reference.indexOf('@');
        if (digest >= 0) reference = reference.substring(0, digest);
        int tag = reference.lastIndexOf(':');
        if (tag > reference.lastIndexOf('/')) reference = reference.substring(0, tag);
        int firstSlash = reference.indexOf('/');
        if (firstSlash > 0) {
            String first = reference.substring(0, firstSlash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) reference = reference.substring(firstSlash + 1);
        }
        return reference;
    }
}
