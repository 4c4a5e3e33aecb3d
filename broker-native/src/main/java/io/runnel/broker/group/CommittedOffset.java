package io.runnel.broker.group;

/**
 * One committed offset of a group for one partition, as OffsetCommit (or a committed
 * TxnOffsetCommit) stored it. {@code expireTimestampMs} is -1 unless an old (v2-v4) commit asked
 * for its own retention. {@code recordOffset} is where its record sits in {@code __consumer_offsets}
 * (-1 until written): when a transaction commits, its offset replaces the current one only if
 * its record is the later of the two ({@link PendingTxnOffsets}).
 */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestampMs, long expireTimestampMs,
                              long recordOffset) {
    public CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestampMs, long expireTimestampMs) {
        this(offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs, -1);
    }

    /** This offset as written at {@code recordOffset} of the offsets partition. */
    CommittedOffset at(long logOffset) {
        return new CommittedOffset(offset, leaderEpoch, metadata, commitTimestampMs, expireTimestampMs, logOffset);
    }
}
