package io.runnel.broker.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InconsistentTopicIdException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

/**
 * Owns the broker's log directories and the partition logs in them.
 *
 * <p>Layout: each log dir holds one {@code <topic>-<partition>} directory per partition (the topic
 * may itself contain '-' and '.', so the name splits at the last '-'), directories being deleted
 * ({@code <topic>-<partition>.<uuid>-delete}), the metadata log ({@value #METADATA_DIR_NAME}, which
 * is not a partition log and is skipped), and the marker {@value #CLEAN_SHUTDOWN_MARKER}.
 *
 * <p>Clean-shutdown protocol: {@link #shutdown()} closes every log (flush + producer snapshot) and
 * only then writes the marker, fsynced. {@link #loadLogs} opens the logs of a dir with recovery
 * skipped iff the marker is there, and deletes it right after loading, so a crash from then on is
 * detected at the next start.
 *
 * <p>Threading: {@link #loadLogs} and {@link #shutdown} run on one broker thread at start/stop;
 * {@link #createLog} and {@link #deleteLog} on the metadata thread. The partition map is
 * concurrent. Each {@link PartitionLog} itself belongs to its partition's owner thread: callers
 * must stop a partition's I/O work before {@link #deleteLog} or {@link #shutdown} closes it.
 */
public final class LogManager {
    private static final Logger LOG = Logger.getLogger(LogManager.class);
    public static final String CLEAN_SHUTDOWN_MARKER = ".runnel-clean-shutdown";
    public static final String METADATA_DIR_NAME = "__cluster_metadata-0";
    static final String DELETE_SUFFIX = "-delete";

    private final List<Path> logDirs;
    private final Time time;
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();

    private volatile java.util.function.LongConsumer flushListener = nanos -> { };

    /** Receives the duration of every fsync of every log this manager opens, on the logs' threads (metrics). */
    public void onFlush(java.util.function.LongConsumer listener) {
        flushListener = listener;
    }

    /** Read at each fsync, so that a listener set after the logs were loaded still hears of them. */
    private void flushed(long nanos) {
        flushListener.accept(nanos);
    }

    public LogManager(List<Path> logDirs, Time time) {
        if (logDirs.isEmpty()) throw new IllegalArgumentException("no log dirs");
        this.logDirs = List.copyOf(logDirs);
        this.time = time;
    }

    /**
     * Opens every partition log found in the log dirs (creating missing dirs). Leftover
     * {@code -delete} directories are removed. A partition found in two dirs is an error.
     */
    public Map<TopicPartition, PartitionLog> loadLogs(Function<TopicPartition, LogConfig> configs) {
        for (Path logDir : logDirs) loadLogDir(logDir, configs);
        return Map.copyOf(logs);
    }

    private void loadLogDir(Path logDir, Function<TopicPartition, LogConfig> configs) {
        createDirectories(logDir);
        Path marker = logDir.resolve(CLEAN_SHUTDOWN_MARKER);
        boolean hadCleanShutdown = Files.exists(marker);
        LOG.infof("Loading logs in %s (%s)", logDir, hadCleanShutdown ? "clean shutdown" : "no clean shutdown marker: recovering");
        for (Path child : listDirectories(logDir)) {
            String name = child.getFileName().toString();
            if (name.endsWith(DELETE_SUFFIX)) {
                deleteRecursively(child);
                continue;
            }
            Optional<TopicPartition> tp = parseDirName(name);
            if (tp.isEmpty() || name.equals(METADATA_DIR_NAME)) continue;
            PartitionLog log = PartitionLog.open(child, configs.apply(tp.get()), hadCleanShutdown, time);
            log.onFlush(this::flushed);
            PartitionLog other = logs.putIfAbsent(tp.get(), log);
            if (other != null) {
                log.close();
                throw new IllegalStateException(tp.get() + " exists in both " + other.dir() + " and " + child);
            }
        }
        // From here on a crash must be detected as one.
        LogFiles.deleteIfExists(marker);
        flushDir(logDir);
    }

    /** {@code <topic>-<partition>} → TopicPartition, splitting at the last '-'. */
    static Optional<TopicPartition> parseDirName(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) return Optional.empty();
        String partition = name.substring(dash + 1);
        if (!partition.chars().allMatch(Character::isDigit)) return Optional.empty();
        try {
            return Optional.of(new TopicPartition(name.substring(0, dash), Integer.parseInt(partition)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Creates a partition's log (no topic id recorded). */
    public PartitionLog createLog(TopicPartition tp, LogConfig config) {
        return createLog(tp, null, config);
    }

    /**
     * Creates a partition's log in the log dir holding the fewest partitions and records
     * {@code topicId} (if not null). Returns the existing log if there is one for the same topic
     * id; throws {@link InconsistentTopicIdException} if the existing one belongs to another topic
     * id (a deleted and recreated topic whose old data is still here).
     */
    public synchronized PartitionLog createLog(TopicPartition tp, Uuid topicId, LogConfig config) {
        PartitionLog existing = logs.get(tp);
        if (existing != null) {
            Optional<Uuid> existingId = existing.topicId();
            if (topicId != null && existingId.isPresent() && !existingId.get().equals(topicId))
                throw new InconsistentTopicIdException(tp + " has topic id " + existingId.get() + " on disk, not " + topicId);
            if (topicId != null && existingId.isEmpty()) existing.assignTopicId(topicId);
            return existing;
        }
        Path logDir = leastLoadedLogDir();
        PartitionLog log = PartitionLog.open(logDir.resolve(dirName(tp)), config, true, time);
        log.onFlush(this::flushed);
        if (topicId != null) log.assignTopicId(topicId);
        flushDir(logDir);
        logs.put(tp, log);
        LOG.infof("Created log for %s in %s", tp, logDir);
        return log;
    }

    private Path leastLoadedLogDir() {
        Map<Path, Integer> counts = new HashMap<>();
        for (Path logDir : logDirs) counts.put(logDir, 0);
        for (PartitionLog log : logs.values()) counts.computeIfPresent(log.dir().getParent(), (d, n) -> n + 1);
        return logDirs.stream().min(Comparator.comparingInt(counts::get)).orElseThrow();
    }

    public Optional<PartitionLog> log(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    /** A snapshot of the loaded logs. */
    public Map<TopicPartition, PartitionLog> logs() {
        return Map.copyOf(logs);
    }

    /** The topic id recorded for the partition's log, if the log exists and has one. */
    public Optional<Uuid> topicId(TopicPartition tp) {
        return log(tp).flatMap(PartitionLog::topicId);
    }

    /**
     * Closes the log, renames its directory to {@code <name>.<uuid>-delete} (atomic, so a crash
     * midway leaves a directory that the next load removes rather than a half-deleted partition),
     * then deletes it. No-op for an unknown partition.
     */
    public synchronized void deleteLog(TopicPartition tp) {
        PartitionLog log = logs.remove(tp);
        if (log == null) return;
        log.close();
        Path dir = log.dir();
        if (!Files.exists(dir)) return; // the owner thread already deleted it (PartitionLog.deleteFiles)
        Path doomed = dir.resolveSibling(dir.getFileName() + "." + UUID.randomUUID().toString().replace("-", "") + DELETE_SUFFIX);
        try {
            Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw LogFiles.storageError("renaming " + dir + " for deletion", e);
        }
        flushDir(dir.getParent());
        deleteRecursively(doomed);
        LOG.infof("Deleted log for %s", tp);
    }

    /**
     * Drops the partition from the manager without touching its log: for callers that closed or
     * deleted the log themselves on its owner thread ({@link PartitionLog#deleteFiles()}).
     */
    public void forget(TopicPartition tp) {
        logs.remove(tp);
    }

    /**
     * Closes every log, then writes each log dir's clean-shutdown marker (fsynced). A dir where a
     * log failed to close gets no marker, so its logs are recovered at the next start.
     */
    public synchronized void shutdown() {
        Map<Path, Boolean> cleanDirs = new HashMap<>();
        for (Path logDir : logDirs) cleanDirs.put(logDir, true);
        for (Map.Entry<TopicPartition, PartitionLog> e : logs.entrySet()) {
            try {
                e.getValue().close();
            } catch (RuntimeException ex) {
                LOG.errorf(ex, "Closing the log of %s failed; its log dir will be recovered at the next start", e.getKey());
                cleanDirs.put(e.getValue().dir().getParent(), false);
            }
        }
        logs.clear();
        for (Path logDir : logDirs) {
            if (cleanDirs.get(logDir)) writeMarker(logDir);
        }
    }

    private static void writeMarker(Path logDir) {
        createDirectories(logDir);
        Path marker = logDir.resolve(CLEAN_SHUTDOWN_MARKER);
        try (FileChannel channel = FileChannel.open(marker, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.force(true);
        } catch (IOException e) {
            throw LogFiles.storageError("writing " + marker, e);
        }
        flushDir(logDir);
    }

    static String dirName(TopicPartition tp) {
        return tp.topic() + "-" + tp.partition();
    }

    private static List<Path> listDirectories(Path logDir) {
        try (Stream<Path> children = Files.list(logDir)) {
            return children.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw LogFiles.storageError("listing " + logDir, e);
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw LogFiles.storageError("creating " + dir, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try {
            Utils.delete(dir.toFile());
        } catch (IOException e) {
            throw LogFiles.storageError("deleting " + dir, e);
        }
    }

    private static void flushDir(Path dir) {
        try {
            Utils.flushDir(dir);
        } catch (IOException e) {
            throw LogFiles.storageError("fsyncing " + dir, e);
        }
    }
}
