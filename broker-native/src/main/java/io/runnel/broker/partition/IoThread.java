package io.runnel.broker.partition;

import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * One of the broker's disk threads: a single-threaded scheduled executor that also measures how
 * long it was busy (for the idle ratio, Kafka's request-handler idle percent) and how long work
 * waited in its queue before it ran (Kafka's request queue time: here, disk work queued behind
 * other partitions' work on the same thread). Timers are not queue waits and are not measured.
 * The counters are written by the thread itself and read by any (metrics scrapes).
 */
final class IoThread extends ScheduledThreadPoolExecutor {
    private final AtomicLong busyNanos = new AtomicLong();
    private volatile LongConsumer queueWaitListener = nanos -> { };
    private long startedNanos;
    /** Written by this executor's own thread before each task, so it equals currentThread() only when read on that thread. */
    private Thread runner;

    IoThread(String name) {
        super(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(false);
            return t;
        });
        // Timers (acks=all and group timeouts) are cancelled when their wait ends, and must neither
        // pile up in the queue nor hold a stopping broker until they would have fired.
        setRemoveOnCancelPolicy(true);
        setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Whether the caller is this executor's thread, that is, inside one of its tasks. */
    boolean isCurrentThread() {
        return Thread.currentThread() == runner;
    }

    long busyNanos() {
        return busyNanos.get();
    }

    void onQueueWait(LongConsumer listener) {
        queueWaitListener = listener;
    }

    @Override
    protected <V> RunnableScheduledFuture<V> decorateTask(Runnable runnable, RunnableScheduledFuture<V> task) {
        return stamped(task);
    }

    @Override
    protected <V> RunnableScheduledFuture<V> decorateTask(java.util.concurrent.Callable<V> callable, RunnableScheduledFuture<V> task) {
        return stamped(task);
    }

    /** Work to run now carries the time it was handed over; a timer is left as it is. */
    private static <V> RunnableScheduledFuture<V> stamped(RunnableScheduledFuture<V> task) {
        return task.getDelay(TimeUnit.NANOSECONDS) > 0 ? task : new Queued<>(task, System.nanoTime());
    }

    @Override
    protected void beforeExecute(Thread t, Runnable r) {
        runner = t;
        startedNanos = System.nanoTime();
        if (r instanceof Queued<?> q) queueWaitListener.accept(startedNanos - q.enqueuedNanos);
    }

    @Override
    protected void afterExecute(Runnable r, Throwable t) {
        busyNanos.addAndGet(System.nanoTime() - startedNanos);
    }

    /** Work to run now, stamped with when it was handed over; everything else is the task's own. */
    private record Queued<V>(RunnableScheduledFuture<V> task, long enqueuedNanos) implements RunnableScheduledFuture<V> {
        @Override
        public boolean isPeriodic() {
            return task.isPeriodic();
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return task.getDelay(unit);
        }

        @Override
        public int compareTo(Delayed other) {
            return task.compareTo(other instanceof Queued<?> q ? q.task : other);
        }

        @Override
        public void run() {
            task.run();
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return task.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean isCancelled() {
            return task.isCancelled();
        }

        @Override
        public boolean isDone() {
            return task.isDone();
        }

        @Override
        public V get() throws InterruptedException, ExecutionException {
            return task.get();
        }

        @Override
        public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return task.get(timeout, unit);
        }
    }
}
