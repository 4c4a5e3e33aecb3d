package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.record;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.FileRecords.TimestampAndOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import io.runnel.broker.ManualTime;

class TimestampLookupTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    PartitionLog open(LogConfig config, boolean clean) {
        return PartitionLog.open(tmp.resolve("topic-0"), config, clean, time);
    }

    static TimestampAndOffset at(long timestamp, long offset, int epoch) {
        return new TimestampAndOffset(timestamp, offset, Optional.of(epoch));
    }

    /**
     * Twenty gzip batches of five records over several segments, timestamps rising by 10 per record
     * but with a dip inside every batch (records 0,1 then 3 then 2 then 4 in time), so the first
     * record ≥ target is not always the first record of its batch.
     */
    private PartitionLog logWithDippingTimestamps(LogConfig config) {
        PartitionLog log = open(config, true);
        for (int b = 0; b < 20; b++) {
            long base = 1_000L + 50L * b;
            log.appendAsLeader(batch(Compression.gzip().build(),
                    record(base, "r0"), record(base + 10, "r1"), record(base + 30, "r2"), record(base + 20, "r3"), record(base + 40, "r4")), 3);
        }
        return log;
    }

    @ParameterizedTest(name = "indexIntervalBytes = {0}")
    @ValueSource(ints = {0, 150, 4096})
    void offsetForTimestampFindsTheFirstRecordAtOrAfterTheTarget(int indexIntervalBytes) {
        LogConfig config = LogConfig.defaults().withSegmentBytes(600).withIndexIntervalBytes(indexIntervalBytes);
        PartitionLog log = logWithDippingTimestamps(config);
        assertThat(log.numberOfSegments()).isGreaterThan(2);

        assertThat(log.offsetForTimestamp(0)).contains(at(1_000, 0, 3));
        assertThat(log.offsetForTimestamp(1_000)).contains(at(1_000, 0, 3));
        assertThat(log.offsetForTimestamp(1_011)).contains(at(1_030, 2, 3)); // r2 (1030) precedes r3 (1020)
        assertThat(log.offsetForTimestamp(1_025)).contains(at(1_030, 2, 3));
        assertThat(log.offsetForTimestamp(1_041)).contains(at(1_050, 5, 3));
        assertThat(log.offsetForTimestamp(1_000 + 50 * 13 + 15)).contains(at(1_000 + 50 * 13 + 30, 13 * 5 + 2, 3));
        assertThat(log.offsetForTimestamp(1_000 + 50 * 19 + 40)).contains(at(1_000 + 50 * 19 + 40, 99, 3));
        assertThat(log.offsetForTimestamp(1_000 + 50 * 19 + 41)).isEmpty();

        // The same answers from indexes loaded lazily (and checked) after a restart.
        log.close();
        PartitionLog reopened = open(config, true);
        assertThat(reopened.offsetForTimestamp(1_025)).contains(at(1_030, 2, 3));
        assertThat(reopened.offsetForTimestamp(1_000 + 50 * 13 + 15)).contains(at(1_000 + 50 * 13 + 30, 67, 3));
        reopened.close();
    }

    @Test
    void offsetOfMaxTimestampIsTheFirstRecordWithTheLargestTimestampInsideACompressedBatch() {
        PartitionLog log = open(LogConfig.defaults().withSegmentBytes(150), true);
        log.appendAsLeader(batch(Compression.zstd().build(), record(100, "a"), record(900, "b"), record(200, "c")), 1);
        log.appendAsLeader(batch(Compression.lz4().build(), record(300, "d"), record(950, "e"), record(950, "f"), record(10, "g")), 2);
        log.appendAsLeader(batch(Compression.NONE, record(940, "h")), 2);
        log.appendAsLeader(batch(Compression.snappy().build(), record(950, "i")), 2); // a tie, later: not chosen
        assertThat(log.numberOfSegments()).isGreaterThan(1);

        assertThat(log.offsetOfMaxTimestamp()).contains(at(950, 4, 2));

        log.close();
        PartitionLog reopened = open(LogConfig.defaults().withSegmentBytes(150), true);
        assertThat(reopened.offsetOfMaxTimestamp()).contains(at(950, 4, 2));
        reopened.close();
    }

    @Test
    void offsetOfMaxTimestampIsEmptyForAnEmptyLog() {
        PartitionLog log = open(LogConfig.defaults(), true);
        assertThat(log.offsetOfMaxTimestamp()).isEmpty();
        assertThat(log.offsetForTimestamp(0)).isEmpty();
        log.close();
    }

    @Test
    void timestampLookupsSurviveARebuiltTimeIndex() throws Exception {
        LogConfig config = LogConfig.defaults().withSegmentBytes(600).withIndexIntervalBytes(0);
        PartitionLog log = logWithDippingTimestamps(config);
        log.close();
        for (long base : log.segmentBaseOffsets()) java.nio.file.Files.delete(LogFiles.timeIndexFile(log.dir(), base));

        PartitionLog reopened = open(config, false);
        assertThat(reopened.offsetForTimestamp(1_025)).contains(at(1_030, 2, 3));
        assertThat(reopened.offsetOfMaxTimestamp()).contains(at(1_000 + 50 * 19 + 40, 99, 3));
        reopened.close();
    }
}
