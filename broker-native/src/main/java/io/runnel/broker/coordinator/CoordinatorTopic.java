package io.runnel.broker.coordinator;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicSpec;

/**
 * A coordinator's internal topic ({@code __consumer_offsets}, {@code __transaction_state}):
 * created the first time a client needs it, after which the coordinator opens its shards on it.
 * One attempt runs at a time; a failed one (no active controller during an election) is retried by
 * the next caller. Thread-safe.
 */
public final class CoordinatorTopic {
    private static final Logger LOG = Logger.getLogger(CoordinatorTopic.class);

    private final MetadataController controller;
    private final String name;
    private final Supplier<TopicSpec> spec;
    private final Consumer<TopicImage> openShards;
    private final AtomicReference<CompletableFuture<Errors>> ready = new AtomicReference<>();

    /** @param openShards opens the coordinator's shards on the topic once it exists; may throw (the attempt then fails) */
    public CoordinatorTopic(MetadataController controller, String name, Supplier<TopicSpec> spec, Consumer<TopicImage> openShards) {
        this.controller = controller;
        this.name = name;
        this.spec = spec;
        this.openShards = openShards;
    }

    /** Whether the topic exists in the latest metadata. */
    public boolean exists() {
        return controller.image().topic(name) != null;
    }

    /**
     * NONE once the topic exists and the shards are opened (loading or loaded); creates it the
     * first time. COORDINATOR_NOT_AVAILABLE if that fails (clients retry FindCoordinator, and so do we).
     */
    public CompletableFuture<Errors> ensure() {
        CompletableFuture<Errors> current = ready.get();
        if (current != null && (!current.isDone() || current.join() == Errors.NONE)) return current;
        CompletableFuture<Errors> attempt = new CompletableFuture<>();
        if (!ready.compareAndSet(current, attempt)) return ready.get();
        CompletableFuture<?> created = exists() ? CompletableFuture.completedFuture(null) : controller.createTopics(List.of(spec.get()), false);
        created.whenComplete((result, failure) -> {
            TopicImage topic = controller.image().topic(name);
            if (failure != null || topic == null) {
                // Typically no active controller right now (an election).
                LOG.warnf("Cannot create %s yet: %s", name, failure != null ? failure.toString() : result);
                attempt.complete(Errors.COORDINATOR_NOT_AVAILABLE);
                return;
            }
            try {
                openShards.accept(topic);
                attempt.complete(Errors.NONE);
            } catch (RuntimeException e) {
                LOG.errorf(e, "Cannot open the coordinator shards of %s", name);
                attempt.complete(Errors.COORDINATOR_NOT_AVAILABLE);
            }
        });
        return attempt;
    }
}
