package io.runnel.broker.txn;

import java.util.EnumSet;
import java.util.Set;

/**
 * A transactional id's state, as Kafka's transaction coordinator names and numbers them (the id is
 * the {@code TransactionStatus} byte of {@code __transaction_state} values; the name is what
 * DescribeTransactions and ListTransactions report). {@link #canFollow} is Kafka's table of legal
 * transitions. PREPARE_EPOCH_FENCE is never written: Runnel, like Kafka, turns a fence straight
 * into a PREPARE_ABORT at the bumped epoch.
 */
public enum TransactionState {
    EMPTY((byte) 0, "Empty", true),
    ONGOING((byte) 1, "Ongoing", false),
    PREPARE_COMMIT((byte) 2, "PrepareCommit", false),
    PREPARE_ABORT((byte) 3, "PrepareAbort", false),
    COMPLETE_COMMIT((byte) 4, "CompleteCommit", true),
    COMPLETE_ABORT((byte) 5, "CompleteAbort", true),
    DEAD((byte) 6, "Dead", false),
    PREPARE_EPOCH_FENCE((byte) 7, "PrepareEpochFence", false);

    private final byte id;
    private final String kafkaName;
    private final boolean expirationAllowed;

    TransactionState(byte id, String kafkaName, boolean expirationAllowed) {
        this.id = id;
        this.kafkaName = kafkaName;
        this.expirationAllowed = expirationAllowed;
    }

    public byte id() {
        return id;
    }

    public String kafkaName() {
        return kafkaName;
    }

    /** Whether an idle id in this state may be expired (no transaction is open or being ended). */
    public boolean isExpirationAllowed() {
        return expirationAllowed;
    }

    /** The states this one may follow (Kafka's valid previous states). */
    public Set<TransactionState> validPrevious() {
        return switch (this) {
            case EMPTY -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case ONGOING -> EnumSet.of(ONGOING, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_COMMIT -> EnumSet.of(ONGOING);
            case PREPARE_ABORT -> EnumSet.of(ONGOING, PREPARE_EPOCH_FENCE, EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case COMPLETE_COMMIT -> EnumSet.of(PREPARE_COMMIT);
            case COMPLETE_ABORT -> EnumSet.of(PREPARE_ABORT);
            case DEAD -> EnumSet.of(EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT);
            case PREPARE_EPOCH_FENCE -> EnumSet.of(ONGOING);
        };
    }

    public boolean canFollow(TransactionState previous) {
        return validPrevious().contains(previous);
    }

    public boolean isPrepare() {
        return this == PREPARE_COMMIT || this == PREPARE_ABORT;
    }

    public boolean isComplete() {
        return this == COMPLETE_COMMIT || this == COMPLETE_ABORT;
    }

    public static TransactionState fromId(byte id) {
        for (TransactionState s : values()) if (s.id == id) return s;
        throw new IllegalArgumentException("unknown transaction state id " + id);
    }

    /** The state of a Kafka name (exact, as Kafka matches ListTransactions' state filters), or null. */
    public static TransactionState fromKafkaName(String name) {
        for (TransactionState s : values()) if (s.kafkaName.equals(name)) return s;
        return null;
    }
}
