package io.runnel.broker.log;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;

/**
 * The settings one partition's log runs with, with Kafka's topic-config meanings and defaults
 * ({@code segment.bytes}, {@code segment.ms}, {@code segment.index.bytes},
 * {@code index.interval.bytes}, {@code retention.ms}, {@code retention.bytes},
 * {@code max.message.bytes}, {@code flush.messages}, {@code flush.ms},
 * {@code message.timestamp.type}), how the log is cleaned up ({@link CompactionConfig}), and the
 * codec batches are stored with ({@code compression.type}: null for "producer", keep what came).
 *
 * <p>Immutable; safe to share between threads. {@code -1} means "no limit" for
 * {@code retentionMs} and {@code retentionBytes}, as in Kafka.
 */
public record LogConfig(
        int segmentBytes,
        long segmentMs,
        int segmentIndexBytes,
        int indexIntervalBytes,
        long retentionMs,
        long retentionBytes,
        int maxMessageBytes,
        long flushIntervalMessages,
        long flushIntervalMs,
        TimestampType messageTimestampType,
        CompactionConfig compaction,
        Compression compression) {

    public static final int DEFAULT_SEGMENT_BYTES = 1024 * 1024 * 1024;
    public static final long DEFAULT_SEGMENT_MS = 7L * 24 * 60 * 60 * 1000;
    public static final int DEFAULT_SEGMENT_INDEX_BYTES = 10 * 1024 * 1024;
    public static final int DEFAULT_INDEX_INTERVAL_BYTES = 4096;
    public static final long DEFAULT_RETENTION_MS = 7L * 24 * 60 * 60 * 1000;
    public static final long DEFAULT_RETENTION_BYTES = -1;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;

    public LogConfig {
        if (segmentBytes <= 0) throw new IllegalArgumentException("segmentBytes must be > 0: " + segmentBytes);
        if (segmentMs <= 0) throw new IllegalArgumentException("segmentMs must be > 0: " + segmentMs);
        if (segmentIndexBytes <= 0) throw new IllegalArgumentException("segmentIndexBytes must be > 0: " + segmentIndexBytes);
        if (indexIntervalBytes < 0) throw new IllegalArgumentException("indexIntervalBytes must be >= 0: " + indexIntervalBytes);
        if (retentionMs < -1) throw new IllegalArgumentException("retentionMs must be >= -1: " + retentionMs);
        if (retentionBytes < -1) throw new IllegalArgumentException("retentionBytes must be >= -1: " + retentionBytes);
        if (maxMessageBytes < 0) throw new IllegalArgumentException("maxMessageBytes must be >= 0: " + maxMessageBytes);
        if (flushIntervalMessages <= 0) throw new IllegalArgumentException("flushIntervalMessages must be > 0: " + flushIntervalMessages);
        if (flushIntervalMs <= 0) throw new IllegalArgumentException("flushIntervalMs must be > 0: " + flushIntervalMs);
        if (messageTimestampType != TimestampType.CREATE_TIME && messageTimestampType != TimestampType.LOG_APPEND_TIME)
            throw new IllegalArgumentException("messageTimestampType must be CREATE_TIME or LOG_APPEND_TIME: " + messageTimestampType);
        if (compaction == null) throw new IllegalArgumentException("compaction must be set");
    }

    /** Kafka's defaults. */
    public static LogConfig defaults() {
        return new LogConfig(DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_MS, DEFAULT_SEGMENT_INDEX_BYTES,
                DEFAULT_INDEX_INTERVAL_BYTES, DEFAULT_RETENTION_MS, DEFAULT_RETENTION_BYTES,
                DEFAULT_MAX_MESSAGE_BYTES, Long.MAX_VALUE, Long.MAX_VALUE, TimestampType.CREATE_TIME, CompactionConfig.DEFAULT, null);
    }

    public LogConfig withSegmentBytes(int value) {
        return new LogConfig(value, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withSegmentMs(long value) {
        return new LogConfig(segmentBytes, value, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withSegmentIndexBytes(int value) {
        return new LogConfig(segmentBytes, segmentMs, value, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withIndexIntervalBytes(int value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, value, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withRetentionMs(long value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, value, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withRetentionBytes(long value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, value,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withMaxMessageBytes(int value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                value, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withFlushIntervalMessages(long value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, value, flushIntervalMs, messageTimestampType, compaction, compression);
    }

    public LogConfig withFlushIntervalMs(long value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, value, messageTimestampType, compaction, compression);
    }

    public LogConfig withMessageTimestampType(TimestampType value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, value, compaction, compression);
    }

    public LogConfig withCompaction(CompactionConfig value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, value, compression);
    }

    /** {@code value} null keeps the producer's codec. */
    public LogConfig withCompression(Compression value) {
        return new LogConfig(segmentBytes, segmentMs, segmentIndexBytes, indexIntervalBytes, retentionMs, retentionBytes,
                maxMessageBytes, flushIntervalMessages, flushIntervalMs, messageTimestampType, compaction, value);
    }
}
