package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;

/**
 * The broker's disk threads. Each partition is pinned to one single-threaded executor for its
 * whole life, which makes that thread the only owner of the partition's log (no locks) and keeps
 * appends to one partition in arrival order. Event loops hand disk work here and never block.
 * Each thread measures its busy time and its queue waits ({@link IoThread}) for the metrics.
 */
public final class IoThreadPool implements AutoCloseable {
    private final List<IoThread> threads = new ArrayList<>();

    public IoThreadPool(int threadCount) {
        for (int i = 0; i < threadCount; i++) threads.add(new IoThread(threadName(i)));
    }

    public static String threadName(int index) {
        return "runnel-io-" + index;
    }

    public int size() {
        return threads.size();
    }

    /** Nanoseconds thread {@code index} has spent running work since it started. Any thread. */
    public long busyNanos(int index) {
        return threads.get(index).busyNanos();
    }

    /** Receives, on the I/O threads, how long each piece of work waited in its thread's queue. */
    public void onQueueWait(java.util.function.LongConsumer listener) {
        threads.forEach(t -> t.onQueueWait(listener));
    }

    public ScheduledExecutorService executorFor(TopicPartition tp) {
        return threads.get(Math.floorMod(tp.hashCode(), threads.size()));
    }

    public List<ScheduledExecutorService> all() {
        return List.copyOf(threads);
    }

    @Override
    public void close() {
        threads.forEach(ScheduledExecutorService::shutdown);
        for (ScheduledExecutorService t : threads) {
            try {
                t.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
