package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A client running alongside the test (a group member: kcat -G, a Python or node consumer) as a
 * separate process, with stdout and stderr going to files under the test's directory that the
 * test reads while it runs. {@link #stop()} sends SIGTERM, which every member script and kcat
 * answer by committing, leaving the group and exiting 0.
 *
 * <p>Unlike {@link ExternalCommand}, which runs a command to completion, this one is started,
 * watched and stopped by the test. The stop timeout is a hang guard, not a speed check.
 */
public final class BackgroundProcess implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);

    private final String name;
    private final List<String> command;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private boolean signaled;

    private BackgroundProcess(String name, List<String> command, Process process, Path stdout, Path stderr) {
        this.name = name;
        this.command = command;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public static BackgroundProcess start(String name, Path dir, List<String> command, Map<String, String> env) {
        try {
            Files.createDirectories(dir);
            Path out = Files.createTempFile(dir, name + "-", ".out");
            Path err = out.resolveSibling(out.getFileName().toString().replace(".out", ".err"));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(env);
            return new BackgroundProcess(name, List.copyOf(command), builder.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException("starting " + command, e);
        }
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** What the process printed on stdout so far. */
    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    /** The file stdout goes to, for a test that reads a long-running client's output incrementally. */
    public Path stdoutFile() {
        return stdout;
    }

    /**
     * SIGTERM (once: a second one could land while the client is already shutting down, e.g.
     * after Python restored the default handler, and kill it mid-exit), then waits for the exit;
     * returns the exit code.
     */
    public int stop() {
        signalStop();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
                fail(name + " did not exit within " + STOP_TIMEOUT + " of SIGTERM\n" + describe());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Sends SIGTERM without waiting (to stop several members at the same moment). */
    public void signalStop() {
        if (!signaled && process.isAlive()) {
            signaled = true;
            process.destroy();
        }
    }

    /** Crash: SIGKILL, then waits until the process is gone (nothing flushed, nothing closed). */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(name + " did not exit within " + STOP_TIMEOUT + " of SIGKILL\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** Command, state and output tails, for assertion messages. */
    public String describe() {
        return "--- " + name + ": " + String.join(" ", command) + "\n"
                + (process.isAlive() ? "running" : "exit code " + process.exitValue()) + "; output files: " + stdout
                + " (and .err)\n--- stdout ---\n" + tail(stdout()) + "\n--- stderr ---\n" + tail(stderr());
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : "...\n" + text.substring(text.length() - 4000);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
