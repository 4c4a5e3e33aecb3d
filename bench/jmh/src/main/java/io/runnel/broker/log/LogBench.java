package io.runnel.broker.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The log's hot paths on a real segment file: appending a producer's batch as leader (validation,
 * offset patching, one file write; no fsync, as with the default flush policy), reading a fetch's
 * worth of batches from the middle of a filled log (~80 MiB), and an offset-index lookup. Each
 * trial uses a fresh temporary directory; the append log is held to ~128 MiB by size retention.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LogBench {
    @Param({"1024"})
    int recordBytes;
    @Param({"16"})
    int records;

    private Path dir;
    private PartitionLog log;
    /** Appends go to their own log, kept to ~128 MiB by size retention so a run does not fill the disk. */
    private PartitionLog appendLog;
    private long appends;
    private MemoryRecords batch;
    private long filledTo;
    private long readFrom;
    private OffsetIndex index;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("runnel-jmh-log");
        log = PartitionLog.open(dir.resolve("bench-0"), LogConfig.defaults().withSegmentBytes(256 * 1024 * 1024), true, Time.SYSTEM);
        SimpleRecord[] rs = new SimpleRecord[records];
        byte[] value = new byte[recordBytes];
        for (int i = 0; i < records; i++) rs[i] = new SimpleRecord(System.currentTimeMillis(), ("key-" + i).getBytes(), value);
        batch = MemoryRecords.withRecords(Compression.NONE, rs);
        for (int i = 0; i < 5_000; i++) log.appendAsLeader(copy(batch), 0);
        filledTo = log.logEndOffset();
        appendLog = PartitionLog.open(dir.resolve("append-0"), LogConfig.defaults().withSegmentBytes(32 * 1024 * 1024)
                .withRetentionBytes(64L * 1024 * 1024), true, Time.SYSTEM);
        readFrom = filledTo / 2;
        index = OffsetIndex.create(dir.resolve("bench.index"), 0, 10 * 1024 * 1024);
        for (long o = 0; o < 100_000; o += 16) index.append(o, (int) (o * 64));
    }

    private static MemoryRecords copy(MemoryRecords records) {
        return MemoryRecords.readableRecords(records.buffer().duplicate());
    }

    @Benchmark
    public long appendAsLeader() {
        // appendAsLeader patches offsets in the batch it is given, so each call gets a fresh copy of the bytes.
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(batch.sizeInBytes());
        bytes.put(batch.buffer().duplicate()).flip();
        long last = appendLog.appendAsLeader(MemoryRecords.readableRecords(bytes), 0).lastOffset();
        if (++appends % 2048 == 0) appendLog.deleteSegmentsPerRetention(System.currentTimeMillis());
        return last;
    }

    @Benchmark
    public int readOneMegabyte() {
        return log.read(readFrom, 1024 * 1024, Long.MAX_VALUE, true).records().sizeInBytes();
    }

    @Benchmark
    public int offsetIndexLookup() {
        return index.lookup(54_321).position();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        log.close();
        appendLog.close();
        index.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
