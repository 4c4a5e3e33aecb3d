package io.runnel.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The settings the e2e suites read from system properties (set by e2e/pom.xml, overridable with
 * {@code -D} on the Maven command line), each resolved to something usable or a clear failure.
 *
 * <p>Why failures and not skips: a suite that silently skips because the broker was not built
 * proves nothing while looking green.
 */
public final class E2eSettings {
    private E2eSettings() {}

    /** Which broker {@link BrokerProcess} launches. */
    public enum BrokerKind { RUNNEL, KAFKA }

    public static BrokerKind brokerKind() {
        String kind = System.getProperty("runnel.e2e.broker", "runnel").trim();
        return switch (kind) {
            case "runnel", "" -> BrokerKind.RUNNEL;
            case "kafka" -> BrokerKind.KAFKA;
            default -> throw new IllegalStateException("runnel.e2e.broker must be runnel or kafka, not " + kind);
        };
    }

    /** host:port of a broker the suites should use instead of launching one. */
    public static Optional<String> externalBootstrap() {
        String bootstrap = System.getProperty("runnel.e2e.bootstrap", "").trim();
        return bootstrap.isEmpty() ? Optional.empty() : Optional.of(bootstrap);
    }

    public static Path repoRoot() {
        return Path.of(System.getProperty("runnel.e2e.repoRoot", "..")).toAbsolutePath().normalize();
    }

    /** Where suites put broker data dirs, broker logs and client output: e2e/target/e2e. */
    public static Path workDir() {
        Path dir = Path.of(System.getProperty("runnel.e2e.workDir", "target/e2e")).toAbsolutePath().normalize();
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh directory under {@link #workDir()} for one test's files. */
    public static Path newDir(String name) {
        try {
            Files.createDirectories(workDir().resolve("runs"));
            return Files.createTempDirectory(workDir().resolve("runs"), name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The JVM options that start Runnel the way bin/runnel does: with the AOT cache its build
     * trained next to the jar (ADR 0016), when there is one. Mode auto: a cache the JVM cannot
     * use is skipped with a warning; {@code AotCacheIT} proves the cache is usable.
     */
    public static List<String> runnelAotArgs() {
        Path cache = aotCache();
        return Files.isRegularFile(cache) ? List.of("-XX:AOTCache=" + cache) : List.of();
    }

    /** Where the build puts the broker's AOT cache: beside {@code quarkus-run.jar}. */
    public static Path aotCache() {
        return brokerJar().resolveSibling("runnel.aot");
    }

    public static Path brokerJar() {
        Path jar = Path.of(System.getProperty("runnel.e2e.brokerJar",
                repoRoot().resolve("broker-native/target/quarkus-app/quarkus-run.jar").toString()));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("The Runnel broker is not built: " + jar + " is missing. "
                    + "Run the whole build (bin/test, or ./mvnw verify from the repository root), or "
                    + "package it first: ./mvnw -B -pl broker-native -am package -DskipTests");
        }
        return jar;
    }

    /** The java launcher of the JDK running the tests (21+, as ./mvnw chose). */
    public static String javaLauncher() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    public static String toolsClasspath() {
        return readClasspath("runnel.e2e.toolsClasspathFile", "e2e/kafka-tools");
    }

    public static String kafkaClasspath() {
        return readClasspath("runnel.e2e.kafkaClasspathFile", "e2e/apache-kafka");
    }

    private static String readClasspath(String property, String module) {
        String file = System.getProperty(property);
        if (file == null || !Files.isRegularFile(Path.of(file))) {
            throw new IllegalStateException("Classpath file " + file + " (system property " + property
                    + ") is missing: it is written by the Maven module " + module
                    + "; run the e2e suites through Maven from the repository root.");
        }
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static long seed() {
        String seed = System.getProperty("runnel.e2e.seed", "").trim();
        return seed.isEmpty() ? System.nanoTime() ^ 0x5DEECE66DL : Long.parseLong(seed);
    }

    public static int intSetting(String property, int defaultValue) {
        String value = System.getProperty(property, "").trim();
        return value.isEmpty() ? defaultValue : Integer.parseInt(value);
    }
}
