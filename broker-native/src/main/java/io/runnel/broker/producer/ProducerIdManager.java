package io.runnel.broker.producer;

import java.util.concurrent.CompletableFuture;

import io.runnel.broker.metadata.MetadataController;

/**
 * Hands out producer ids for InitProducerId from a block reserved in the metadata log, so ids are
 * unique across restarts and the log is touched once per block, not once per producer.
 *
 * <p>Threading: any thread; the short critical sections are guarded by {@code this}.
 */
public final class ProducerIdManager {
    private final MetadataController controller;
    private long nextId;
    private long blockEnd;
    private CompletableFuture<Void> pendingBlock;

    public ProducerIdManager(MetadataController controller) {
        this.controller = controller;
    }

    public synchronized CompletableFuture<Long> nextProducerId() {
        if (nextId < blockEnd) return CompletableFuture.completedFuture(nextId++);
        if (pendingBlock == null || pendingBlock.isDone()) {
            // The block is recorded inside the stage, so every caller chained on it sees it; a
            // finished stage (used up, or failed) never stands in the way of the next allocation.
            pendingBlock = controller.allocateProducerIdBlock().thenAccept(first -> {
                synchronized (this) {
                    nextId = first;
                    blockEnd = first + MetadataController.PRODUCER_ID_BLOCK_SIZE;
                }
            });
        }
        return pendingBlock.thenCompose(ignored -> nextProducerId());
    }
}
