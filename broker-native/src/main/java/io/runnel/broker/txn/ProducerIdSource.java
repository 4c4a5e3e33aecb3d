package io.runnel.broker.txn;

import java.util.concurrent.CompletableFuture;

/**
 * Where the transaction coordinator gets new producer ids: the broker's
 * {@link io.runnel.broker.producer.ProducerIdManager} (ids unique across the cluster and restarts),
 * a counter in tests. Any thread; the future may complete on any thread.
 */
@FunctionalInterface
public interface ProducerIdSource {
    CompletableFuture<Long> nextProducerId();
}
