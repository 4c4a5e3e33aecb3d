package io.runnel.broker.log;

/**
 * Who is appending to a log as its leader, which decides what the batches may contain: clients
 * never write control batches; the Raft leader writes its own (LeaderChange, voter set changes);
 * coordinators write transaction markers (WriteTxnMarkers) and the group coordinator writes
 * transactional offset commits, whose batches carry a producer id and epoch but no sequence.
 * Immutable.
 */
public enum AppendOrigin {
    /** A Produce request: data batches only. */
    CLIENT,
    /** The metadata quorum's leader: data and Raft control batches. */
    RAFT_LEADER,
    /** A coordinator: transaction markers, and transactional batches without sequence numbers (TxnOffsetCommit). */
    COORDINATOR;

    boolean allowsControlBatches() {
        return this != CLIENT;
    }

    /** Coordinators' producer batches are fenced by epoch only; sequence numbers are the client's. */
    boolean checksSequences() {
        return this != COORDINATOR;
    }
}
