package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;

/**
 * The broker's disk threads. Each partition is pinned to one single-threaded executor for its
 * whole life, which makes that thread the only owner of the partition's log (no locks) and keeps
 * appends to one partition in arrival order. Event loops hand disk work here and never block.
 */
public final class IoThreadPool implements AutoCloseable {
    private final List<ScheduledExecutorService> threads = new ArrayList<>();

    public IoThreadPool(int threadCount) {
        for (int i = 0; i < threadCount; i++) {
            String name = "runnel-io-" + i;
            ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(false);
                return t;
            });
            // Timers (acks=all and group timeouts) are cancelled when their wait ends, and must neither
            // pile up in the queue nor hold a stopping broker until they would have fired.
            thread.setRemoveOnCancelPolicy(true);
            thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            threads.add(thread);
        }
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
