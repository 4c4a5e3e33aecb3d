package io.runnel.e2e.operator;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import io.runnel.e2e.support.Pause;

/**
 * Polls until a condition holds, failing with the last thing seen: the operator's work is
 * asynchronous by nature. The deadline is a hang guard, never a speed check. Stateless.
 */
final class Eventually {
    static final Duration PATIENCE = Duration.ofMinutes(4);

    private Eventually() {
    }

    /** Polls {@code probe} until it returns null (done) and fails with its last answer (what is missing) at the deadline. */
    static void until(String what, Supplier<String> probe) {
        until(what, PATIENCE, probe);
    }

    /** As {@link #until(String, Supplier)}, with its own patience (scaling and rolling take minutes on two cores). */
    static void until(String what, Duration patience, Supplier<String> probe) {
        Instant deadline = Instant.now().plus(patience);
        String missing = null;
        while (Instant.now().isBefore(deadline)) {
            try {
                missing = probe.get();
            } catch (RuntimeException e) {
                missing = e.toString();
            }
            if (missing == null) return;
            Pause.sleep(500);
        }
        throw new AssertionError(what + ": still not so after " + patience + ": " + missing);
    }
}
