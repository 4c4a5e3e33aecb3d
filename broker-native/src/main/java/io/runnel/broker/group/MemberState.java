package io.runnel.broker.group;

/**
 * Where a KIP-848 member is on its way to its target assignment, with the byte values Kafka
 * persists in {@code ConsumerGroupCurrentMemberAssignmentValue.state}.
 */
enum MemberState {
    /** Owns exactly its target at the group's assignment epoch. */
    STABLE((byte) 0),
    /** Must give up partitions first; keeps its epoch until it reports them gone. */
    UNREVOKED_PARTITIONS((byte) 1),
    /** At the target epoch, but some target partitions are still owned by members revoking them. */
    UNRELEASED_PARTITIONS((byte) 2);

    final byte value;

    MemberState(byte value) {
        this.value = value;
    }

    static MemberState of(byte value) {
        for (MemberState s : values()) {
            if (s.value == value) return s;
        }
        throw new IllegalArgumentException("unknown member state " + value);
    }
}
