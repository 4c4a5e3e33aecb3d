package io.runnel.broker.group;

/**
 * One committed offset of a group for one partition, as OffsetCommit stored it.
 * {@code expireTimestampMs} is -1 unless an old (v2-v4) commit asked for its own retention.
 */
public record CommittedOffset(long offset, int leaderEpoch, String metadata, long commitTimestampMs, long expireTimestampMs) {}
