package io.runnel.broker.metadata;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.server.common.ApiMessageAndVersion;

import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.PartitionLog;

/**
 * The single-node metadata log: KRaft's {@code __cluster_metadata-0} layout (record batches whose
 * record values are serialized metadata records) stored with Runnel's own {@link PartitionLog},
 * fsynced on every append. A quorum of one: an append is committed once it is on disk.
 *
 * <p>Threading: confined to the metadata thread.
 */
public final class LocalMetadataLog implements MetadataLog {
    public static final String DIR_NAME = "__cluster_metadata-0";
    private static final MetadataRecordSerde SERDE = MetadataRecordSerde.INSTANCE;

    private final PartitionLog log;
    private final Time time;

    private LocalMetadataLog(PartitionLog log, Time time) {
        this.log = log;
        this.time = time;
    }

    /** Opens (and, always, validates the tail of) the metadata log in {@code logDir}. */
    public static LocalMetadataLog open(Path logDir, Time time) {
        // Every append is fsynced: the metadata log is tiny and losing a topic creation the client
        // saw succeed is not acceptable. Recovery always runs: it costs nothing at this size.
        LogConfig config = LogConfig.defaults().withFlushIntervalMessages(1);
        return new LocalMetadataLog(PartitionLog.open(logDir.resolve(DIR_NAME), config, false, time), time);
    }

    @Override
    public void replay(Consumer<List<ApiMessageAndVersion>> batchConsumer) {
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            MemoryRecords records = log.read(offset, 1 << 20, log.logEndOffset(), true).records();
            for (RecordBatch batch : records.batches()) {
                if (batch.lastOffset() < offset) continue;
                List<ApiMessageAndVersion> messages = new ArrayList<>();
                for (Record record : batch) {
                    ByteBuffer value = record.value();
                    messages.add(SERDE.read(new ByteBufferAccessor(value), value.remaining()));
                }
                batchConsumer.accept(messages);
                offset = batch.nextOffset();
            }
        }
    }

    @Override
    public long append(List<ApiMessageAndVersion> records) {
        if (records.isEmpty()) throw new IllegalArgumentException("empty metadata batch");
        SimpleRecord[] simple = new SimpleRecord[records.size()];
        for (int i = 0; i < simple.length; i++) {
            ObjectSerializationCache cache = new ObjectSerializationCache();
            ApiMessageAndVersion message = records.get(i);
            ByteBuffer buffer = ByteBuffer.allocate(SERDE.recordSize(message, cache));
            SERDE.write(message, cache, new ByteBufferAccessor(buffer));
            buffer.flip();
            simple[i] = new SimpleRecord(buffer);
        }
        long lastOffset = log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, simple), 0).lastOffset();
        log.maybeFlush(time.milliseconds()); // flushIntervalMessages=1: fsynced before the change is applied
        return lastOffset;
    }

    @Override
    public long endOffset() {
        return log.logEndOffset();
    }

    @Override
    public void close() {
        log.close();
    }
}
