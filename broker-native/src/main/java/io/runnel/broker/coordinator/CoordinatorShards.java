package io.runnel.broker.coordinator;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

/**
 * What the group and transaction coordinators do alike with their shards: run an operation on a
 * shard's own thread (answering the shard's unavailability, a missing shard or a stopped thread
 * with an error, never an exception), wait until the local shards have loaded, and close them all
 * on their threads. Stateless.
 */
public final class CoordinatorShards {
    private static final Logger LOG = Logger.getLogger(CoordinatorShards.class);

    private CoordinatorShards() {}

    /**
     * Runs {@code op} on {@code shard}'s thread. A null shard (another broker's partition) or a
     * stopped thread answers NOT_COORDINATOR; an unavailable shard its error; a failing op
     * UNKNOWN_SERVER_ERROR, logged.
     */
    public static <S extends CoordinatorShard, T> CompletableFuture<T> call(S shard, Function<S, CompletableFuture<T>> op,
                                                                          Function<Errors, T> onError) {
        if (shard == null) return CompletableFuture.completedFuture(onError.apply(Errors.NOT_COORDINATOR));
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            shard.thread().execute(() -> {
                Errors unavailable = shard.unavailable();
                if (unavailable != null) {
                    result.complete(onError.apply(unavailable));
                    return;
                }
                try {
                    op.apply(shard).whenComplete((value, failure) -> {
                        if (failure == null) {
                            result.complete(value);
                        } else {
                            LOG.errorf(failure, "Coordinator operation on %s failed", shard.name());
                            result.complete(onError.apply(Errors.UNKNOWN_SERVER_ERROR));
                        }
                    });
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Coordinator operation on %s failed", shard.name());
                    result.complete(onError.apply(Errors.UNKNOWN_SERVER_ERROR));
                }
            });
        } catch (RejectedExecutionException e) {
            result.complete(onError.apply(Errors.NOT_COORDINATOR));
        }
        return result;
    }

    /** The shards this broker holds (it leads their partitions); the others' slots are null. */
    public static <S extends CoordinatorShard> List<S> local(S[] shards) {
        List<S> local = new ArrayList<>();
        if (shards == null) return local;
        for (S shard : shards) if (shard != null) local.add(shard);
        return local;
    }

    /** Completes when every local shard has finished loading (or failed to). */
    public static <S extends CoordinatorShard> CompletableFuture<Void> loaded(S[] shards) {
        List<CompletableFuture<Errors>> checks = new ArrayList<>();
        for (S shard : local(shards)) checks.add(call(shard, sh -> CompletableFuture.completedFuture(Errors.NONE), err -> err));
        return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new));
    }

    /** Closes every local shard on its own thread and waits up to 30 s. */
    public static <S extends CoordinatorShard> void closeAll(S[] shards, String what) {
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (S shard : local(shards)) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                shard.thread().execute(() -> {
                    shard.close();
                    done.complete(null);
                });
            } catch (RejectedExecutionException e) {
                done.complete(null);
            }
            closing.add(done);
        }
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.warnf("%s did not stop within 30 s", what);
        } catch (Exception e) {
            LOG.warnf(e, "Stopping %s failed", what);
        }
    }

    /** Closes a shard whose partition this broker no longer leads, on its thread (if that still runs). */
    public static void closeLater(CoordinatorShard shard) {
        try {
            shard.thread().execute(shard::close);
        } catch (RejectedExecutionException stopping) {
            // the I/O threads are gone: so is the shard
        }
    }
}
