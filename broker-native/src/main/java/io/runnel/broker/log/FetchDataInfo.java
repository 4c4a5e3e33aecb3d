package io.runnel.broker.log;

import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * The result of {@link PartitionLog#read}: whole batches copied from the segment files, starting
 * with the batch that contains {@code fetchOffset} (so the first batch may begin before it; the
 * consumer skips those records, as with Kafka). Empty records when there is nothing to return.
 * The bytes are a private copy owned by the caller; the log keeps no reference to them.
 */
public record FetchDataInfo(long fetchOffset, MemoryRecords records) {}
