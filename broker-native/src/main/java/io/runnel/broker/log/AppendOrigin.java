package io.runnel.broker.log;

/**
 * Who is appending to a log as its leader, which decides what the batches may contain: clients
 * never write control batches; the Raft leader writes its own (LeaderChange, voter set changes),
 * and later the transaction coordinator writes commit and abort markers. Immutable.
 */
public enum AppendOrigin {
    /** A Produce request: data batches only. */
    CLIENT,
    /** The metadata quorum's leader: data and Raft control batches. */
    RAFT_LEADER;

    boolean allowsControlBatches() {
        return this != CLIENT;
    }
}
