package io.runnel.e2e.support;

/** Waiting between polls in the suites: a sleep that turns an interrupt into a failure. Stateless. */
public final class Pause {
    private Pause() {
    }

    /** Sleeps {@code millis}; an interrupt keeps the thread's flag and fails the caller. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
