package io.runnel.broker.log;

import static io.runnel.broker.log.LogTestSupport.batch;
import static io.runnel.broker.log.LogTestSupport.batchSize;
import static io.runnel.broker.log.LogTestSupport.flipByte;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InconsistentTopicIdException;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.runnel.broker.ManualTime;

class LogManagerTest {
    @TempDir
    Path tmp;
    final ManualTime time = new ManualTime(1_700_000_000_000L);

    Path dir1() {
        return tmp.resolve("d1");
    }

    Path dir2() {
        return tmp.resolve("d2");
    }

    LogManager manager() {
        return new LogManager(List.of(dir1(), dir2()), time);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "my-topic-3, my-topic, 3",
            "my.topic.v2-0, my.topic.v2, 0",
            "a-b.c-d-12, a-b.c-d, 12",
            "__consumer_offsets-49, __consumer_offsets, 49"})
    void dirNamesSplitAtTheLastDash(String name, String topic, int partition) {
        assertThat(LogManager.parseDirName(name)).contains(new TopicPartition(topic, partition));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"nodash", "topic-", "-3", "topic-x", "topic-1.abc-delete", "topic-99999999999"})
    void namesThatAreNotPartitionsAreNotParsed(String name) {
        assertThat(LogManager.parseDirName(name)).isEmpty();
    }

    @Test
    void logsAreRediscoveredAfterShutdownWithTheirDataAndTopicIds() {
        Uuid idA = Uuid.randomUuid();
        Uuid idB = Uuid.randomUuid();
        TopicPartition a = new TopicPartition("orders-eu.v2", 0);
        TopicPartition b = new TopicPartition("orders-eu.v2", 1);
        TopicPartition c = new TopicPartition("a-b-c", 7);
        LogManager manager = manager();
        manager.loadLogs(tp -> LogConfig.defaults());
        manager.createLog(a, idA, LogConfig.defaults()).appendAsLeader(batch(1L, "x", "y"), 0);
        manager.createLog(b, idA, LogConfig.defaults());
        manager.createLog(c, idB, LogConfig.defaults()).appendAsLeader(batch(1L, "z"), 0);
        manager.shutdown();

        LogManager restarted = manager();
        Map<TopicPartition, PartitionLog> logs = restarted.loadLogs(tp -> LogConfig.defaults());

        assertThat(logs.keySet()).containsExactlyInAnyOrder(a, b, c);
        assertThat(logs.get(a).logEndOffset()).isEqualTo(2);
        assertThat(logs.get(c).logEndOffset()).isEqualTo(1);
        assertThat(restarted.topicId(a)).contains(idA);
        assertThat(restarted.topicId(c)).contains(idB);
        restarted.shutdown();
    }

    @Test
    void partitionMetadataFileUsesKafkasFormat() throws Exception {
        Uuid id = Uuid.randomUuid();
        LogManager manager = manager();
        PartitionLog log = manager.createLog(new TopicPartition("t", 0), id, LogConfig.defaults());
        assertThat(Files.readString(log.dir().resolve("partition.metadata"))).isEqualTo("version: 0\ntopic_id: " + id + "\n");
        manager.shutdown();
    }

    @Test
    void recreatingAPartitionUnderAnotherTopicIdIsDetected() {
        TopicPartition tp = new TopicPartition("t", 0);
        LogManager manager = manager();
        PartitionLog log = manager.createLog(tp, Uuid.randomUuid(), LogConfig.defaults());
        assertThat(manager.createLog(tp, log.topicId().orElseThrow(), LogConfig.defaults())).isSameAs(log);
        assertThatThrownBy(() -> manager.createLog(tp, Uuid.randomUuid(), LogConfig.defaults())).isInstanceOf(InconsistentTopicIdException.class);
        manager.shutdown();
    }

    @Test
    void newPartitionsGoToTheLogDirWithFewestPartitions() {
        LogManager manager = manager();
        manager.loadLogs(tp -> LogConfig.defaults());
        for (int p = 0; p < 4; p++) manager.createLog(new TopicPartition("t", p), LogConfig.defaults());

        long inDir1 = manager.logs().values().stream().filter(l -> l.dir().getParent().equals(dir1())).count();
        assertThat(inDir1).isEqualTo(2);
        assertThat(Files.isDirectory(dir2().resolve("t-1")) || Files.isDirectory(dir2().resolve("t-0"))).isTrue();
        manager.shutdown();
    }

    @Test
    void cleanShutdownMarkerIsWrittenAtShutdownAndDeletedRightAfterLoading() {
        LogManager manager = manager();
        manager.loadLogs(tp -> LogConfig.defaults());
        manager.createLog(new TopicPartition("t", 0), LogConfig.defaults());
        assertThat(dir1().resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).doesNotExist();
        manager.shutdown();
        assertThat(dir1().resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).exists();
        assertThat(dir2().resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).exists();

        LogManager restarted = manager();
        restarted.loadLogs(tp -> LogConfig.defaults());
        assertThat(dir1().resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).doesNotExist();
        assertThat(dir2().resolve(LogManager.CLEAN_SHUTDOWN_MARKER)).doesNotExist();
        restarted.shutdown();
    }

    @Test
    void withoutTheMarkerLogsAreRecoveredAndWithItTheyAreNot() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        LogManager manager = new LogManager(List.of(dir1()), time);
        manager.loadLogs(x -> LogConfig.defaults());
        PartitionLog log = manager.createLog(tp, LogConfig.defaults());
        log.appendAsLeader(batch(1L, "good"), 0);
        log.appendAsLeader(batch(1L, "bad"), 0);
        manager.shutdown();
        Path segment = LogFiles.logFile(dir1().resolve("t-0"), 0);
        flipByte(segment, batchSize("good") + DefaultRecordBatch.RECORD_BATCH_OVERHEAD);

        LogManager trusting = new LogManager(List.of(dir1()), time);
        assertThat(trusting.loadLogs(x -> LogConfig.defaults()).get(tp).logEndOffset()).isEqualTo(2);
        // A crash now: no shutdown, so no marker.
        LogManager afterCrash = new LogManager(List.of(dir1()), time);
        assertThat(afterCrash.loadLogs(x -> LogConfig.defaults()).get(tp).logEndOffset()).isEqualTo(1);
        afterCrash.shutdown();
    }

    @Test
    void deleteLogRemovesTheDirectoryAndLeftoverDeleteDirsAreCleanedAtLoad() throws Exception {
        TopicPartition tp = new TopicPartition("gone", 0);
        LogManager manager = new LogManager(List.of(dir1()), time);
        manager.loadLogs(x -> LogConfig.defaults());
        manager.createLog(tp, LogConfig.defaults()).appendAsLeader(batch(1L, "x"), 0);

        manager.deleteLog(tp);

        assertThat(manager.log(tp)).isEmpty();
        try (var children = Files.list(dir1())) {
            assertThat(children.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("gone"))).isEmpty();
        }
        Path leftover = Files.createDirectories(dir1().resolve("stale-0.0123456789abcdef-delete"));
        Files.writeString(leftover.resolve("00000000000000000000.log"), "");
        manager.shutdown();

        LogManager restarted = new LogManager(List.of(dir1()), time);
        assertThat(restarted.loadLogs(x -> LogConfig.defaults())).isEmpty();
        assertThat(leftover).doesNotExist();
        restarted.shutdown();
    }

    @Test
    void metadataLogDirAndStrayDirsAreNotLoadedAsPartitions() throws Exception {
        Files.createDirectories(dir1().resolve(LogManager.METADATA_DIR_NAME));
        Files.createDirectories(dir1().resolve("lost+found"));
        LogManager manager = new LogManager(List.of(dir1()), time);
        assertThat(manager.loadLogs(x -> LogConfig.defaults())).isEmpty();
        assertThat(manager.topicId(new TopicPartition("x", 0))).isEqualTo(Optional.empty());
        manager.shutdown();
    }

    @Test
    void aPartitionInTwoLogDirsIsRefused() throws Exception {
        LogManager manager = manager();
        manager.loadLogs(x -> LogConfig.defaults());
        PartitionLog log = manager.createLog(new TopicPartition("t", 0), LogConfig.defaults());
        manager.shutdown();
        Path other = log.dir().getParent().equals(dir1()) ? dir2() : dir1();
        PartitionLog.open(other.resolve("t-0"), LogConfig.defaults(), true, time).close();

        assertThatThrownBy(() -> manager().loadLogs(x -> LogConfig.defaults())).isInstanceOf(IllegalStateException.class);
    }
}
