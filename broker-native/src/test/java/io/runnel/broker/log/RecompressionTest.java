package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.ManualTime;

/** {@code compression.type}: a topic set to a codec stores every batch in it, whatever the producer sent; "producer" keeps each as sent. */
class RecompressionTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_000_000L);

    static List<CompressionType> storedCodecs(PartitionLog log) {
        List<CompressionType> codecs = new ArrayList<>();
        MemoryRecords all = log.read(log.logStartOffset(), 1 << 20, Long.MAX_VALUE, true).records();
        for (RecordBatch b : all.batches()) codecs.add(b.compressionType());
        return codecs;
    }

    @Test
    void aZstdTopicStoresZstdWhateverTheProducerSentAndTheRecordsReadBackUnchanged() {
        PartitionLog log = PartitionLog.open(tmp.resolve("zstd-0"), LogConfig.defaults().withCompression(Compression.zstd().build()), true, time);
        log.appendAsLeader(batch(Compression.NONE, 1_000L, "a", "b"), 0);
        log.appendAsLeader(batch(Compression.gzip().build(), 1_001L, "c", "d", "e"), 0);
        log.appendAsLeader(batch(Compression.lz4().build(), 1_002L, "f"), 0);
        log.appendAsLeader(batch(Compression.snappy().build(), 1_003L, "g"), 0);
        log.appendAsLeader(batch(Compression.zstd().build(), 1_004L, "h"), 0);

        assertThat(storedCodecs(log)).containsOnly(CompressionType.ZSTD).hasSize(5);
        assertThat(values(readAll(log))).containsExactly("a", "b", "c", "d", "e", "f", "g", "h");
        assertThat(readAll(log)).extracting(Stored::offset).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(readAll(log)).extracting(Stored::timestamp).containsExactly(1_000L, 1_000L, 1_001L, 1_001L, 1_001L, 1_002L, 1_003L, 1_004L);
        log.close();
    }

    @Test
    void uncompressedTopicsDecompressAndProducerTopicsKeepEachBatchAsSent() {
        PartitionLog plain = PartitionLog.open(tmp.resolve("plain-0"), LogConfig.defaults().withCompression(Compression.NONE), true, time);
        plain.appendAsLeader(batch(Compression.gzip().build(), 1_000L, "a", "b"), 0);
        assertThat(storedCodecs(plain)).containsExactly(CompressionType.NONE);
        assertThat(values(readAll(plain))).containsExactly("a", "b");
        plain.close();

        PartitionLog asSent = PartitionLog.open(tmp.resolve("producer-0"), LogConfig.defaults(), true, time);
        asSent.appendAsLeader(batch(Compression.gzip().build(), 1_000L, "a"), 0);
        asSent.appendAsLeader(batch(Compression.lz4().build(), 1_000L, "b"), 0);
        assertThat(storedCodecs(asSent)).containsExactly(CompressionType.GZIP, CompressionType.LZ4);
        asSent.close();
    }

    @Test
    void aRecompressedIdempotentBatchKeepsItsProducerStateSoARetryIsStillADuplicate() {
        PartitionLog log = PartitionLog.open(tmp.resolve("idem-0"), LogConfig.defaults().withCompression(Compression.zstd().build()), true, time);
        LogAppendInfo first = log.appendAsLeader(idempotent(42L, (short) 0, 0, "x", "y"), 0);
        LogAppendInfo retry = log.appendAsLeader(idempotent(42L, (short) 0, 0, "x", "y"), 0);
        assertThat(retry.firstOffset()).isEqualTo(first.firstOffset());
        assertThat(log.logEndOffset()).isEqualTo(2);
        RecordBatch stored = log.read(0, 1 << 20, Long.MAX_VALUE, true).records().batches().iterator().next();
        assertThat(stored.producerId()).isEqualTo(42L);
        assertThat(stored.baseSequence()).isZero();
        assertThat(stored.compressionType()).isEqualTo(CompressionType.ZSTD);
        log.close();
    }
}
