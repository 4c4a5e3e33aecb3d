package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.config.CleanerConfig;
import io.runnel.broker.log.LogCompactor;

/**
 * The background log cleaner for {@code cleanup.policy=compact} topics (including
 * {@code __consumer_offsets}): every {@code log.cleaner.backoff.ms} it asks each partition for a
 * cleaning plan (on the partition's own thread), cleans the dirtiest one first on its own thread
 * under the {@code log.cleaner.io.max.bytes.per.second} throttle, and hands the result back to the
 * partition's thread to install ({@link LogCompactor}). One cleaner thread per broker, as Kafka's
 * default {@code log.cleaner.threads=1}.
 *
 * <p>Threading: its own single thread, which may block (it is not an event loop); it touches a
 * partition's log only through the partition's thread. {@link #cleanNow()} may be called from any
 * thread (tests, admin).
 */
public final class LogCleaner implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LogCleaner.class);

    private final ReplicaManager replicas;
    private final CleanerConfig config;
    private final io.runnel.broker.metrics.BrokerMetrics metrics;
    private final Time time;
    private final ScheduledExecutorService thread;
    private final AtomicLong passes = new AtomicLong();
    private volatile boolean closed;

    public LogCleaner(ReplicaManager replicas, CleanerConfig config, io.runnel.broker.metrics.BrokerMetrics metrics, Time time) {
        this.replicas = replicas;
        this.config = config;
        this.metrics = metrics;
        this.time = time;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "runnel-log-cleaner");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the periodic cleaning (no-op with {@code log.cleaner.enable=false}). */
    public void start() {
        if (!config.enable()) {
            LOG.info("The log cleaner is disabled (log.cleaner.enable=false): compacted topics are not cleaned");
            return;
        }
        thread.scheduleWithFixedDelay(() -> {
            try {
                cleanOnce();
            } catch (RuntimeException e) {
                LOG.errorf(e, "Log cleaning failed; retrying after %d ms", config.backoffMs());
            }
        }, config.backoffMs(), config.backoffMs(), TimeUnit.MILLISECONDS);
    }

    /** Cleans every log that needs it now, dirtiest first, on the cleaner thread; returns how many passes were installed. */
    public int cleanNow() {
        return CompletableFuture.supplyAsync(this::cleanOnce, thread).join();
    }

    /** Completed and installed passes since start. */
    public long passes() {
        return passes.get();
    }

    private int cleanOnce() {
        record Candidate(Partition partition, LogCompactor.Plan plan) {}
        List<Candidate> candidates = new ArrayList<>();
        long now = time.milliseconds();
        long backlog = 0;
        for (Partition p : replicas.partitions()) {
            if (closed) return 0;
            try {
                Optional<LogCompactor.Plan> plan = p.compactionPlan(now).join();
                plan.ifPresent(pl -> candidates.add(new Candidate(p, pl)));
            } catch (RuntimeException e) {
                LOG.debugf("No cleaning plan for %s: %s", p.topicPartition(), e.toString());
            }
            backlog += p.cleanableDirtyBytes(); // worked out by the plan just made
        }
        metrics.cleanerBacklog(backlog);
        candidates.sort(Comparator.comparingDouble((Candidate c) -> c.plan().dirtyRatio()).reversed());
        int installed = 0;
        Throttle throttle = new Throttle(config.ioMaxBytesPerSecond(), () -> closed);
        for (Candidate c : candidates) {
            if (closed) break;
            try {
                long startNanos = System.nanoTime();
                LogCompactor.Result result = LogCompactor.clean(c.plan(), config.dedupeBufferBytes(), throttle);
                if (c.partition().installCompaction(result).join()) {
                    installed++;
                    passes.incrementAndGet();
                    metrics.cleanerPass(result.bytesRead(), result.bytesWritten(), result.recordsRead() - result.recordsKept(),
                            System.nanoTime() - startNanos);
                }
            } catch (CancellationException e) {
                break; // closing
            } catch (Exception e) {
                LOG.warnf(e, "Cleaning %s failed; it is retried on a later pass", c.partition().topicPartition());
            }
        }
        return installed;
    }

    /**
     * Sleeps enough to keep the cleaner's I/O under the configured rate, and stops a pass when the
     * cleaner closes (by throwing: the cleaner thread is never interrupted, because an interrupt
     * during a read would close the segment's file channel under its partition). Cleaner thread only.
     */
    private static final class Throttle implements LogCompactor.Throttle {
        private final double bytesPerSecond;
        private final java.util.function.BooleanSupplier stop;
        private final long startNanos = System.nanoTime();
        private long bytes;

        Throttle(double bytesPerSecond, java.util.function.BooleanSupplier stop) {
            this.bytesPerSecond = bytesPerSecond;
            this.stop = stop;
        }

        @Override
        public void consumed(long n) {
            if (stop.getAsBoolean()) throw new CancellationException("the log cleaner is closing");
            bytes += n;
            if (bytesPerSecond >= Double.MAX_VALUE / 2) return;
            long dueNanos = (long) (bytes / bytesPerSecond * 1e9);
            long aheadNanos = dueNanos - (System.nanoTime() - startNanos);
            if (aheadNanos > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(aheadNanos);
                } catch (InterruptedException e) {
                    throw new CancellationException("interrupted"); // the flag stays clear, see above
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdown(); // not shutdownNow: see Throttle
        try {
            if (!thread.awaitTermination(30, TimeUnit.SECONDS)) LOG.warn("The log cleaner did not stop within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
