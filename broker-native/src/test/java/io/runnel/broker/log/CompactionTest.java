package io.runnel.broker.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.ManualTime;

/**
 * Compaction of one partition log ({@link LogCompactor} with {@link PartitionLog}): the latest
 * record per key survives with its offset, tombstones last until {@code delete.retention.ms} after
 * the first pass, the active segment and young records are left alone, and a crash at any step of
 * the swap leaves either the old segments or the cleaned ones.
 */
class CompactionTest {
    static final long HOUR_MS = 60 * 60 * 1000L;
    static final CompactionConfig COMPACT = new CompactionConfig(true, false, HOUR_MS, 0, Long.MAX_VALUE, 0.01);

    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_000 * HOUR_MS);

    Path dir() {
        return tmp.resolve("signups-0");
    }

    LogConfig config(CompactionConfig compaction) {
        // Small segments: a few batches each, so a test log has several.
        return LogConfig.defaults().withSegmentBytes(600).withCompaction(compaction);
    }

    PartitionLog open(CompactionConfig compaction, boolean clean) {
        return PartitionLog.open(dir(), config(compaction), clean, time);
    }

    static MemoryRecords keyed(long timestamp, String key, String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(timestamp, key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes {@code rounds} updates of keys user-0..user-(keys-1); value "user-k@round". Returns the offset of each key's last write. */
    Map<String, Long> writeUpdates(PartitionLog log, int keys, int rounds) {
        Map<String, Long> last = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < keys; k++) {
                long offset = log.logEndOffset();
                log.appendAsLeader(keyed(time.milliseconds(), "user-" + k, "user-" + k + "@" + r), 0);
                last.put("user-" + k, offset);
            }
        }
        return last;
    }

    /** key -> (offset, value) of every record from the log start, in offset order. */
    static List<String> readKeyed(PartitionLog log) {
        List<String> out = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            MemoryRecords records = log.read(offset, 1 << 20, Long.MAX_VALUE, true).records();
            if (records.sizeInBytes() == 0) break;
            for (RecordBatch batch : records.batches()) {
                batch.ensureValid();
                for (Record r : batch) {
                    if (r.offset() < offset) continue;
                    String key = StandardCharsets.UTF_8.decode(r.key()).toString();
                    String value = r.hasValue() ? StandardCharsets.UTF_8.decode(r.value()).toString() : null;
                    out.add(r.offset() + ":" + key + "=" + value);
                }
                offset = batch.nextOffset();
            }
        }
        return out;
    }

    static boolean cleanOnce(PartitionLog log, long nowMs) throws IOException {
        var plan = log.compactionPlan(nowMs);
        if (plan.isEmpty()) return false;
        return log.installCompaction(LogCompactor.clean(plan.get(), 64L * 1024 * 1024, LogCompactor.Throttle.NONE));
    }

    @Test
    void onlyTheLatestValueOfEachKeySurvivesAtItsOriginalOffsetAndTheActiveSegmentIsUntouched() throws Exception {
        PartitionLog log = open(COMPACT, true);
        Map<String, Long> last = writeUpdates(log, 5, 20); // 100 records over many segments
        long bytesBefore = log.sizeInBytes();
        long activeBase = log.segmentBaseOffsets().get(log.segmentBaseOffsets().size() - 1);
        List<String> before = readKeyed(log);
        List<String> activeBefore = before.stream().filter(r -> Long.parseLong(r.split(":")[0]) >= activeBase).toList();
        // The cleaner maps keys only below the active segment: there, each key keeps its last write.
        Map<String, String> lastBelowActive = lastRecordPerKey(before.stream().filter(r -> Long.parseLong(r.split(":")[0]) < activeBase).toList());

        assertThat(cleanOnce(log, time.milliseconds())).isTrue();

        List<String> after = readKeyed(log);
        List<String> cleanedPart = after.stream().filter(r -> Long.parseLong(r.split(":")[0]) < activeBase).toList();
        // Below the active segment: exactly each key's last write there, at its original offset.
        assertThat(cleanedPart).containsExactlyInAnyOrderElementsOf(lastBelowActive.values());
        assertThat(after.stream().filter(r -> Long.parseLong(r.split(":")[0]) >= activeBase).toList()).isEqualTo(activeBefore);
        // Every key's latest value is still readable, at its original offset.
        for (var e : last.entrySet()) assertThat(after).contains(e.getValue() + ":" + e.getKey() + "=" + e.getKey() + "@19");
        assertThat(log.sizeInBytes()).isLessThan(bytesBefore / 2);
        assertThat(log.logEndOffset()).isEqualTo(100);
        assertThat(log.logStartOffset()).isZero();

        // A restart reads the same log.
        log.close();
        PartitionLog reopened = open(COMPACT, true);
        assertThat(readKeyed(reopened)).isEqualTo(after);
        reopened.close();
    }

    @Test
    void aTombstoneSurvivesUntilDeleteRetentionAfterTheFirstPassThenTheKeyVanishes() throws Exception {
        PartitionLog log = open(COMPACT, true);
        writeUpdates(log, 3, 5);
        log.appendAsLeader(keyed(time.milliseconds(), "user-1", null), 0); // delete user-1
        writeUpdates(log, 1, 10); // more of user-0, so the tombstone ends up below the active segment

        assertThat(cleanOnce(log, time.milliseconds())).isTrue();
        assertThat(readKeyed(log)).as("kept until delete.retention.ms has passed since this pass").anyMatch(r -> r.endsWith(":user-1=null"));

        time.sleep(HOUR_MS + 1);
        writeUpdates(log, 1, 10); // new dirty data, so another pass runs
        assertThat(cleanOnce(log, time.milliseconds())).isTrue();
        assertThat(readKeyed(log)).noneMatch(r -> r.contains(":user-1="));
        assertThat(readKeyed(log)).anyMatch(r -> r.contains(":user-2=user-2@4"));
        log.close();
    }

    @Test
    void segmentsWithRecordsYoungerThanMinCompactionLagAreNotCleaned() throws Exception {
        PartitionLog log = open(new CompactionConfig(true, false, HOUR_MS, HOUR_MS, Long.MAX_VALUE, 0.01), true);
        writeUpdates(log, 2, 20);
        assertThat(log.compactionPlan(time.milliseconds())).as("every record is younger than an hour").isEmpty();
        time.sleep(HOUR_MS + 1);
        assertThat(cleanOnce(log, time.milliseconds())).isTrue();
        log.close();
    }

    @Test
    void aLogWithoutCompactIsNeverCleanedAndCompactAloneIsNeverTouchedByRetention() {
        PartitionLog plain = PartitionLog.open(tmp.resolve("plain-0"), config(CompactionConfig.DEFAULT), true, time);
        writeUpdates(plain, 2, 20);
        assertThat(plain.compactionPlan(time.milliseconds())).isEmpty();
        plain.close();

        PartitionLog compacted = PartitionLog.open(tmp.resolve("compacted-0"), config(COMPACT).withRetentionMs(1), true, time);
        writeUpdates(compacted, 2, 20);
        time.sleep(10 * HOUR_MS);
        assertThat(compacted.deleteSegmentsPerRetention(time.milliseconds())).as("cleanup.policy=compact: no time retention").isZero();
        compacted.close();
    }

    @Test
    void aCrashBeforeTheSwapIsInstalledLeavesTheOldSegmentsOrCompletesTheSwapNeverAMix() throws Exception {
        PartitionLog log = open(COMPACT, true);
        writeUpdates(log, 4, 15);
        List<String> original = readKeyed(log);
        var plan = log.compactionPlan(time.milliseconds()).orElseThrow();
        LogCompactor.Result result = LogCompactor.clean(plan, 64L * 1024 * 1024, LogCompactor.Throttle.NONE);
        // Crash 1: a pass still writing (.cleaned): the old segments stay.
        Path swap = result.groups().get(0).swapFile();
        Path cleaned = LogFiles.cleanedFile(dir(), result.groups().get(0).baseOffset());
        Files.copy(swap, cleaned);
        Files.move(swap, tmp.resolve("saved.swap"));
        for (var g : result.groups().subList(1, result.groups().size())) Files.delete(g.swapFile());
        // no close(): the broker died

        PartitionLog afterCleanedCrash = open(COMPACT, false);
        assertThat(readKeyed(afterCleanedCrash)).isEqualTo(original);
        assertThat(filesEndingWith(".cleaned")).isEmpty();
        afterCleanedCrash.close();

        // Crash 2: the swap was renamed and one old segment already deleted when the broker died.
        Files.move(tmp.resolve("saved.swap"), swap);
        var group = result.groups().get(0);
        if (group.replaced().size() > 1) {
            long second = group.replaced().get(1).baseOffset();
            Files.delete(LogFiles.logFile(dir(), second));
        }
        PartitionLog afterSwapCrash = open(COMPACT, false);
        List<String> recovered = readKeyed(afterSwapCrash);
        assertThat(filesEndingWith(".swap")).isEmpty();
        // The swapped group is compacted, the rest is as it was; every key's latest value is there.
        assertThat(recovered).isSubsetOf(original);
        assertThat(recovered.size()).isLessThan(original.size());
        assertThat(lastValuePerKey(recovered)).isEqualTo(lastValuePerKey(original));
        afterSwapCrash.close();
    }

    static Map<String, String> lastRecordPerKey(List<String> records) {
        Map<String, String> last = new LinkedHashMap<>();
        for (String r : records) last.put(r.substring(r.indexOf(':') + 1, r.indexOf('=')), r);
        return last;
    }

    static Map<String, String> lastValuePerKey(List<String> records) {
        Map<String, String> last = new LinkedHashMap<>();
        for (String r : records) last.put(r.substring(r.indexOf(':') + 1, r.indexOf('=')), r.substring(r.indexOf('=') + 1));
        return last;
    }

    List<Path> filesEndingWith(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir())) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }
}
