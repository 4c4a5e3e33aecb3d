package io.runnel.e2e.kube;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The testbed's own diary, {@code agent.log} in the run folder: every decision the agent takes
 * (pod started, probe failed, proxy backends changed) and every failure it survived, so a failing
 * test can be explained afterwards. Thread-safe: every thread of the agent writes here.
 */
final class AgentLog {
    private final Path file;

    AgentLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path file() {
        return file;
    }

    void info(String message) {
        write(Instant.now() + " [" + Thread.currentThread().getName() + "] " + message + "\n");
    }

    /** A failure the agent carries on after. */
    void error(String message, Throwable cause) {
        StringWriter trace = new StringWriter();
        cause.printStackTrace(new PrintWriter(trace));
        write(Instant.now() + " [" + Thread.currentThread().getName() + "] ERROR " + message + ": " + trace + "\n");
    }

    private synchronized void write(String line) {
        try {
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // Why not rethrow: the diary must never take the agent down; stderr still shows it.
            System.err.print(line);
        }
    }
}
