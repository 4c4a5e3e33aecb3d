package io.runnel.broker.log;

/**
 * What the log remembers of one batch a producer wrote, to recognise a retry of it: its sequence
 * range, the offsets it was given and its max timestamp. Immutable.
 */
record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long maxTimestamp) {
    BatchMetadata {
        if (lastOffset < firstOffset) throw new IllegalArgumentException("lastOffset " + lastOffset + " < firstOffset " + firstOffset);
    }
}
