package io.runnel.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** What the benchmark reads from Linux's /proc: CPU time and memory of a process. */
final class ProcFs {
    private ProcFs() {}

    /** utime + stime (fields 14 and 15 of /proc/PID/stat), in clock ticks, summed over all threads. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // f[0] is field 3 (state), so field n is f[n - 3].
            return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/" + pid + "/stat", e);
        }
    }

    /** A kB line of /proc/PID/status (VmRSS:, VmHWM:), in KiB. */
    static long statusKib(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
            throw new IllegalStateException("no " + key + " in /proc/" + pid + "/status");
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/" + pid + "/status", e);
        }
    }

    /** Samples VmRSS of a process every 100 ms on a daemon thread and keeps the maximum. */
    static final class RssSampler implements AutoCloseable {
        private final AtomicLong max = new AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        RssSampler(long pid) {
            thread = Thread.ofPlatform().daemon().name("rss-sampler-" + pid).start(() -> {
                while (running) {
                    try {
                        max.accumulateAndGet(statusKib(pid, "VmRSS:"), Math::max);
                        Thread.sleep(100);
                    } catch (InterruptedException | RuntimeException e) {
                        return;
                    }
                }
            });
        }

        long maxKib() {
            return max.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join();
        }
    }
}
