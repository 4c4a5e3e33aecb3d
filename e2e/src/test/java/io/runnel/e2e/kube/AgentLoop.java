package io.runnel.e2e.kube;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one thread that owns the agent's mutable state (pods, services, claims, /etc/hosts): every
 * informer event, process exit and probe result is posted here and handled in order, so no state
 * has two writers. A task that throws is logged and the loop carries on: one pod's bad spec must
 * not stop the node.
 */
final class AgentLoop implements AutoCloseable {
    private final ScheduledThreadPoolExecutor executor;
    private final AgentLog log;
    /** The loop's thread; written once by the executor's thread factory. */
    private volatile Thread thread;

    AgentLoop(String name, AgentLog log) {
        this.log = log;
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread created = new Thread(runnable, name);
            created.setDaemon(true);
            thread = created;
            return created;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Runs {@code task} on the loop thread soon; from any thread. */
    void post(String what, Runnable task) {
        if (executor.isShutdown()) return;
        executor.execute(guarded(what, task));
    }

    /** Runs {@code task} on the loop thread after {@code delay}; the future cancels it. */
    ScheduledFuture<?> schedule(String what, Duration delay, Runnable task) {
        return executor.schedule(guarded(what, task), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    ScheduledFuture<?> every(String what, Duration period, Runnable task) {
        return executor.scheduleWithFixedDelay(guarded(what, task), period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs {@code task} on the loop thread and waits for its answer: how other threads read agent state. */
    <T> T call(Callable<T> task) {
        if (inLoop()) {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        Future<T> result = executor.submit(task);
        try {
            return result.get(2, TimeUnit.MINUTES); // a hang guard: the loop answers in milliseconds
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the agent loop failed to answer", e);
        }
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    private Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                log.error("agent task '" + what + "' failed; the agent carries on", e);
            }
        };
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
