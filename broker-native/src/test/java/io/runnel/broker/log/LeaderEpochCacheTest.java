package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.runnel.broker.log.LeaderEpochCache.EpochEndOffset;
import io.runnel.broker.log.LeaderEpochCache.EpochEntry;
import io.runnel.broker.ManualTime;

class LeaderEpochCacheTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    PartitionLog open(boolean clean) {
        return PartitionLog.open(tmp.resolve("topic-0"), LogConfig.defaults().withSegmentBytes(300), clean, time);
    }

    /** Epoch 2 writes offsets 0-9, epoch 5 writes 10-19, epoch 7 writes 20-29. */
    PartitionLog logWithEpochs257() {
        PartitionLog log = open(true);
        for (int epoch : new int[] {2, 5, 7}) {
            for (int i = 0; i < 5; i++) log.appendAsLeader(batch(1L, "a", "b"), epoch);
        }
        return log;
    }

    @Test
    void appendsWithAHigherLeaderEpochStartANewEntry() {
        PartitionLog log = logWithEpochs257();
        assertThat(log.leaderEpochEntries()).containsExactly(new EpochEntry(2, 0), new EpochEntry(5, 10), new EpochEntry(7, 20));
        assertThat(log.latestLeaderEpoch()).hasValue(7);
        log.close();
    }

    @ParameterizedTest(name = "epoch {0} -> ({1}, {2})")
    @CsvSource({
            "7, 7, 30",   // the latest epoch ends at the log end
            "5, 5, 20",   // a known epoch ends where the next starts
            "2, 2, 10",
            "6, 5, 20",   // between known epochs: the largest known below, and the next one's start
            "3, 2, 10",
            "1, 1, 0",    // below the first known epoch: Kafka's code answers (requested, first start)
            "8, -1, -1",  // above the latest: undefined
            "-1, -1, -1"})
    void endOffsetForEpochFollowsKafkaOffsetsForLeaderEpoch(int requested, int epoch, long endOffset) {
        PartitionLog log = logWithEpochs257();
        assertThat(log.endOffsetForEpoch(requested)).isEqualTo(new EpochEndOffset(epoch, endOffset));
        log.close();
    }

    @Test
    void emptyCacheAnswersUndefined() {
        PartitionLog log = open(true);
        assertThat(log.endOffsetForEpoch(0)).isEqualTo(EpochEndOffset.UNDEFINED);
        log.close();
    }

    @Test
    void staleOrUndefinedLeaderEpochsDoNotAddEntries() {
        PartitionLog log = open(true);
        log.appendAsLeader(batch(1L, "a"), 3);
        log.appendAsLeader(batch(1L, "b"), 1);
        log.appendAsLeader(batch(1L, "c"), -1);
        assertThat(log.leaderEpochEntries()).containsExactly(new EpochEntry(3, 0));
        log.close();
    }

    @Test
    void checkpointIsWrittenInKafkasFormat() throws Exception {
        PartitionLog log = logWithEpochs257();
        log.close();
        assertThat(Files.readString(log.dir().resolve("leader-epoch-checkpoint"))).isEqualTo("0\n3\n2 0\n5 10\n7 20\n");
    }

    @Test
    void missingOrGarbledCheckpointIsRebuiltFromBatchHeaders() throws Exception {
        PartitionLog log = logWithEpochs257();
        log.close();
        Path checkpoint = log.dir().resolve("leader-epoch-checkpoint");

        Files.delete(checkpoint);
        PartitionLog rebuilt = open(false);
        assertThat(rebuilt.leaderEpochEntries()).containsExactly(new EpochEntry(2, 0), new EpochEntry(5, 10), new EpochEntry(7, 20));
        rebuilt.close();

        Files.writeString(checkpoint, "0\n3\n2 0\nnonsense\n");
        PartitionLog again = open(true);
        assertThat(again.leaderEpochEntries()).containsExactly(new EpochEntry(2, 0), new EpochEntry(5, 10), new EpochEntry(7, 20));
        again.close();
    }

    @Test
    void checkpointAheadOfARecoveredLogIsTruncatedOnOpen() throws Exception {
        PartitionLog log = logWithEpochs257();
        log.close();
        // The data of epoch 7 is lost (as if never fsynced); the checkpoint still names it.
        log = open(true);
        log.truncateTo(20);
        log.close();
        Files.writeString(log.dir().resolve("leader-epoch-checkpoint"), "0\n3\n2 0\n5 10\n7 20\n");

        PartitionLog reopened = open(false);
        assertThat(reopened.leaderEpochEntries()).containsExactly(new EpochEntry(2, 0), new EpochEntry(5, 10));
        reopened.close();
    }
}
