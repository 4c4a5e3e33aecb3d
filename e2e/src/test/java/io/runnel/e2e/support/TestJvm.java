package io.runnel.e2e.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a main class of the e2e test sources (an exactly-once app, a Kafka Streams app) as its
 * own JVM on the test classpath, as a {@link BackgroundProcess}: a separate process the test can
 * SIGKILL ({@link BackgroundProcess#close()}) and start again, talking to the broker over the
 * network like any deployed application.
 *
 * <p>Why the test JVM's {@code java.class.path}: under failsafe it lists the test classes and
 * every test dependency (kafka-clients, kafka-streams, slf4j-simple), or names a manifest-only
 * jar whose Class-Path does, so the child runs on exactly what the test compiled against.
 */
public final class TestJvm {
    private TestJvm() {}

    public static BackgroundProcess start(String name, Path dir, Class<?> mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(E2eSettings.javaLauncher(), "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                mainClass.getName()));
        command.addAll(List.of(args));
        return BackgroundProcess.start(name, dir, command, Map.of());
    }
}
