package io.runnel.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a client or tool as a separate process (kcat, python3, node, a Kafka CLI main class) with
 * its stdout and stderr captured to files under the test's directory, so nothing can block on a
 * full pipe and every run leaves its output behind for diagnosis.
 *
 * <p>The timeout is a hang guard: the process is killed and the result says so; it is never a
 * speed check.
 */
public final class ExternalCommand {
    private final List<String> command;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private String name = "command";
    private Path dir;
    private Path stdin;
    private Duration timeout = Duration.ofMinutes(3);

    private ExternalCommand(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static ExternalCommand of(List<String> command) {
        return new ExternalCommand(command);
    }

    public static ExternalCommand of(String... command) {
        return new ExternalCommand(List.of(command));
    }

    /** Runs a Kafka CLI tool's main class on the kafka-tools classpath, as bin/kafka-*.sh would. */
    public static ExternalCommand kafkaTool(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(E2eSettings.javaLauncher(), "-Xmx256m",
                "-Dlog4j2.level=WARN", "-cp", E2eSettings.toolsClasspath(), mainClass));
        command.addAll(List.of(args));
        return new ExternalCommand(command).name(mainClass.substring(mainClass.lastIndexOf('.') + 1));
    }

    /** A name for the output files (made unique per run). */
    public ExternalCommand name(String name) {
        this.name = name;
        return this;
    }

    /** Working directory and where the output files go (default: a fresh dir under the work dir). */
    public ExternalCommand dir(Path dir) {
        this.dir = dir;
        return this;
    }

    public ExternalCommand stdin(Path file) {
        this.stdin = file;
        return this;
    }

    public ExternalCommand env(String key, String value) {
        environment.put(key, value);
        return this;
    }

    public ExternalCommand timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    public Result run() {
        Path workDir = dir != null ? dir : E2eSettings.newDir(name);
        try {
            Files.createDirectories(workDir);
            Path stdout = Files.createTempFile(workDir, name + "-", ".out");
            Path stderr = stdout.resolveSibling(stdout.getFileName().toString().replace(".out", ".err"));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile());
            builder.redirectInput(stdin != null ? ProcessBuilder.Redirect.from(stdin.toFile()) : ProcessBuilder.Redirect.from(nullDevice()));
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
            }
            return new Result(command, exited ? process.exitValue() : -1, !exited,
                    Files.readString(stdout, StandardCharsets.UTF_8), Files.readString(stderr, StandardCharsets.UTF_8),
                    stdout, timeout);
        } catch (IOException e) {
            throw new UncheckedIOException("running " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File("/dev/null");
    }

    /** The command's stdout, after failing the test (with the whole story) unless it exited 0. */
    public static String ok(Result result) {
        if (!result.succeeded()) throw new AssertionError(result.describe() + "\nExpected the command to succeed");
        return result.stdout();
    }

    /** What a finished (or killed) command left: exit code, output, where the output files are. */
    public record Result(List<String> command, int exitCode, boolean timedOut, String stdout, String stderr,
                         Path stdoutFile, Duration timeout) {
        public boolean succeeded() {
            return !timedOut && exitCode == 0;
        }

        /** The whole story, for assertion messages. */
        public String describe() {
            return "command: " + String.join(" ", shortened(command)) + "\n"
                    + (timedOut ? "KILLED after the hang guard of " + timeout + "\n" : "exit code: " + exitCode + "\n")
                    + "output files: " + stdoutFile + " (and .err)\n"
                    + "--- stdout ---\n" + tail(stdout) + "\n--- stderr ---\n" + tail(stderr);
        }

        private static List<String> shortened(List<String> command) {
            return command.stream().map(a -> a.length() > 200 ? a.substring(0, 60) + "...(" + a.length() + " chars)" : a).toList();
        }

        private static String tail(String text) {
            return text.length() <= 6000 ? text : "...\n" + text.substring(text.length() - 6000);
        }
    }
}
