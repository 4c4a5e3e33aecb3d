package io.runnel.broker.log;

/**
 * How a log is cleaned up, with Kafka's topic-config meanings: {@code cleanup.policy} (compact,
 * delete, or both), {@code delete.retention.ms} (how long a tombstone stays readable after the
 * cleaner first keeps it), {@code min.compaction.lag.ms} / {@code max.compaction.lag.ms} (how
 * young a record may be and still be compacted, and how long it may wait), and
 * {@code min.cleanable.dirty.ratio}. Immutable.
 *
 * @param compact whether the cleaner keeps only the latest record per key
 * @param delete  whether time and size retention delete old segments
 */
public record CompactionConfig(boolean compact, boolean delete, long deleteRetentionMs, long minCompactionLagMs,
                               long maxCompactionLagMs, double minCleanableDirtyRatio) {
    /** Kafka's defaults: delete only. */
    public static final CompactionConfig DEFAULT = new CompactionConfig(false, true, 86_400_000L, 0L, Long.MAX_VALUE, 0.5);

    public CompactionConfig {
        if (!compact && !delete) throw new IllegalArgumentException("cleanup.policy must name compact, delete or both");
        if (deleteRetentionMs < 0) throw new IllegalArgumentException("delete.retention.ms must be >= 0: " + deleteRetentionMs);
        if (minCompactionLagMs < 0) throw new IllegalArgumentException("min.compaction.lag.ms must be >= 0: " + minCompactionLagMs);
        if (maxCompactionLagMs < 1) throw new IllegalArgumentException("max.compaction.lag.ms must be >= 1: " + maxCompactionLagMs);
        if (minCleanableDirtyRatio < 0 || minCleanableDirtyRatio > 1)
            throw new IllegalArgumentException("min.cleanable.dirty.ratio must be in [0, 1]: " + minCleanableDirtyRatio);
    }
}
