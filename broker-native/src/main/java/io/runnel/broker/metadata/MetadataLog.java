package io.runnel.broker.metadata;

import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The cluster metadata log: an ordered, durable sequence of metadata record batches, shaped like
 * KRaft's replicated {@code __cluster_metadata} log so that a Raft-backed implementation can
 * replace the single-node one without touching its users.
 *
 * <p>Threading: called only from the metadata thread ({@link MetadataController}).
 */
public interface MetadataLog extends AutoCloseable {

    /**
     * Replays every committed batch, oldest first, then returns. Called once at start, before
     * any {@link #append}.
     */
    void replay(Consumer<List<ApiMessageAndVersion>> batchConsumer);

    /**
     * Appends the records as one atomic batch and returns once the batch is committed (on one
     * node: written and fsynced). Returns the offset of the batch's last record.
     */
    long append(List<ApiMessageAndVersion> records);

    /** The offset the next record will get. */
    long endOffset();

    @Override
    void close();
}
