package io.runnel.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.crdv2.generator.CRDGenerator;

/**
 * The CRDs users install ({@code crds/}) are exactly what fabric8's generator makes of the model
 * classes. After changing the model, regenerate them with
 * {@code ./mvnw -pl operator test -Dtest=CrdsInSyncTest -Drunnel.crds.write=true}.
 */
class CrdsInSyncTest {
    private static final Path CRDS = Path.of(System.getProperty("runnel.repoRoot", "..")).resolve("crds");

    @Test
    void checkedInCrdsMatchTheModel(@TempDir Path generated) throws IOException {
        new CRDGenerator().customResourceClasses(Cluster.class, Topic.class, User.class).forCRDVersions("v1").inOutputDir(generated.toFile())
                .generate();
        List<Path> files;
        try (Stream<Path> s = Files.list(generated)) {
            files = s.sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("clusters.runnel.dev-v1.yml", "topics.runnel.dev-v1.yml", "users.runnel.dev-v1.yml");
        if (Boolean.getBoolean("runnel.crds.write")) {
            Files.createDirectories(CRDS);
            for (Path f : files) Files.copy(f, CRDS.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        for (Path f : files) {
            Path checkedIn = CRDS.resolve(f.getFileName());
            assertThat(checkedIn).as("%s is missing: regenerate crds/ (see this test's javadoc)", checkedIn).exists();
            assertThat(Files.readString(checkedIn)).as("%s drifted from the model: regenerate crds/ (see this test's javadoc)", checkedIn)
                    .isEqualTo(Files.readString(f));
        }
    }
}
