package io.runnel.broker.metadata;

import java.util.List;

import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The cluster metadata log as the controller sees it: committed batches of metadata records, in
 * order, handed to an {@link Applier}, and a way to append a batch and wait until it is committed.
 * Batches committed by another node's controller arrive the same way as this node's own.
 *
 * <p>Threading: every method is called from the metadata thread ({@link MetadataController}),
 * and the applier runs on it.
 */
public interface MetadataLog extends AutoCloseable {

    /** Receives committed metadata, in log order, on the metadata thread. */
    interface Applier {
        /** One committed batch; {@code lastOffset} is the offset of its last record (or control record). */
        void apply(List<ApiMessageAndVersion> records, long lastOffset);

        /** A snapshot replaces everything applied so far: drop it, then apply the snapshot's records. */
        void reset();
    }

    /**
     * Starts the log and returns once everything committed before this start has been applied
     * (the replay). {@code onNewCommits} is run, from another thread, whenever batches committed
     * elsewhere are waiting: the owner then calls {@link #catchUp()} on the metadata thread.
     */
    void start(Applier applier, Runnable onNewCommits);

    /** Applies whatever has been committed since the last call, without waiting. */
    void catchUp();

    /**
     * Appends the records as one atomic batch and returns once it is committed and applied
     * (with everything committed before it). Returns the offset of the batch's last record.
     *
     * @throws org.apache.kafka.common.errors.NotControllerException if this node is not the
     *         active controller, or stopped being it before the batch was committed
     */
    long append(List<ApiMessageAndVersion> records);

    /**
     * Writes a snapshot of everything applied so far: {@code records} (the image as records) at
     * the applied offset. False when one exists there already. The log before it may then go.
     */
    boolean snapshot(List<ApiMessageAndVersion> records);

    /** The epoch this node leads the metadata quorum in, or -1 when it is not the active controller. */
    int leaderEpoch();

    /** The offset the next record will get. */
    long endOffset();

    @Override
    void close();
}
