package io.runnel.broker.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

import org.jboss.logging.Logger;

/**
 * Which leader epoch started at which offset in one partition: the data behind
 * OffsetsForLeaderEpoch, which followers use to find where their log diverges from the leader's
 * and consumers use to detect truncation.
 *
 * <p>Persisted as {@code leader-epoch-checkpoint} in Kafka's checkpoint format (a version line
 * {@code 0}, an entry-count line, then one {@code "<epoch> <startOffset>"} line per entry),
 * rewritten atomically on every change. Rebuilt from batch headers by {@link PartitionLog} when
 * the file is missing or unreadable.
 *
 * <p>Invariant: epochs and start offsets both strictly increase. Not thread-safe: owned by the
 * partition's owner thread.
 */
public final class LeaderEpochCache {
    private static final Logger LOG = Logger.getLogger(LeaderEpochCache.class);
    public static final int UNDEFINED_EPOCH = -1;
    public static final long UNDEFINED_EPOCH_OFFSET = -1L;
    private static final int CHECKPOINT_VERSION = 0;

    /** One cache entry: {@code epoch} began at {@code startOffset}. */
    public record EpochEntry(int epoch, long startOffset) {}

    /** An OffsetsForLeaderEpoch answer. */
    public record EpochEndOffset(int epoch, long endOffset) {
        public static final EpochEndOffset UNDEFINED = new EpochEndOffset(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
    }

    private final Path file;
    private final TreeMap<Integer, EpochEntry> epochs;

    private LeaderEpochCache(Path file, TreeMap<Integer, EpochEntry> epochs) {
        this.file = file;
        this.epochs = epochs;
    }

    /** An empty cache for the partition in {@code dir}; does not touch the file. */
    static LeaderEpochCache empty(Path dir) {
        return new LeaderEpochCache(dir.resolve(LogFiles.LEADER_EPOCH_CHECKPOINT), new TreeMap<>());
    }

    /** The cache from {@code dir}'s checkpoint; empty if the file is missing or unreadable. */
    static Optional<LeaderEpochCache> load(Path dir) {
        Path file = dir.resolve(LogFiles.LEADER_EPOCH_CHECKPOINT);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return Optional.of(new LeaderEpochCache(file, parse(lines)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Ignoring unreadable %s: %s", file, e.toString());
            return Optional.empty();
        }
    }

    private static TreeMap<Integer, EpochEntry> parse(List<String> lines) {
        if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != CHECKPOINT_VERSION)
            throw new IllegalArgumentException("bad checkpoint header");
        int count = Integer.parseInt(lines.get(1).trim());
        if (lines.size() != count + 2) throw new IllegalArgumentException("expected " + count + " entries, found " + (lines.size() - 2));
        TreeMap<Integer, EpochEntry> epochs = new TreeMap<>();
        EpochEntry previous = null;
        for (String line : lines.subList(2, lines.size())) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 2) throw new IllegalArgumentException("bad entry line: " + line);
            EpochEntry entry = new EpochEntry(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
            if (entry.epoch() < 0 || entry.startOffset() < 0
                    || previous != null && (entry.epoch() <= previous.epoch() || entry.startOffset() <= previous.startOffset()))
                throw new IllegalArgumentException("entries not increasing at: " + line);
            epochs.put(entry.epoch(), entry);
            previous = entry;
        }
        return epochs;
    }

    /**
     * Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest
     * epoch. Entries at or after {@code startOffset} are dropped first (Kafka's rule: a new epoch
     * supersedes anything that claimed the same offsets).
     */
    void assign(int epoch, long startOffset) {
        if (epoch < 0) return;
        OptionalInt latest = latestEpoch();
        if (latest.isPresent() && epoch <= latest.getAsInt()) return;
        epochs.values().removeIf(e -> e.startOffset() >= startOffset);
        epochs.put(epoch, new EpochEntry(epoch, startOffset));
        write();
    }

    /** Drops entries that start at or after {@code endOffset} (the log was truncated there). */
    void truncateFromEnd(long endOffset) {
        if (epochs.values().removeIf(e -> e.startOffset() >= endOffset)) write();
    }

    /**
     * Forgets epochs wholly before {@code startOffset} (the log start moved there); the epoch that
     * covers {@code startOffset} is kept with its start moved up to it.
     */
    void truncateFromStart(long startOffset) {
        Map.Entry<Integer, EpochEntry> covering = null;
        for (Map.Entry<Integer, EpochEntry> e : epochs.entrySet()) {
            if (e.getValue().startOffset() > startOffset) break;
            covering = e;
        }
        if (covering == null) return;
        int epoch = covering.getKey();
        if (epochs.firstKey() == epoch && covering.getValue().startOffset() == startOffset) return;
        epochs.headMap(epoch, true).clear();
        epochs.put(epoch, new EpochEntry(epoch, startOffset));
        write();
    }

    void clear() {
        epochs.clear();
        write();
    }

    public OptionalInt latestEpoch() {
        return epochs.isEmpty() ? OptionalInt.empty() : OptionalInt.of(epochs.lastKey());
    }

    public List<EpochEntry> entries() {
        return List.copyOf(epochs.values());
    }

    /**
     * Kafka's OffsetsForLeaderEpoch answer ({@code LeaderEpochFileCache.endOffsetFor}): the largest
     * known epoch ≤ {@code requestedEpoch} and the offset where the next epoch starts, or the log
     * end offset for the latest epoch. An epoch below every known one gets the requested epoch with
     * the first known start offset (what Kafka's code does; its javadoc's "UNDEFINED" is stale);
     * an unknown or undefined epoch with nothing above it gets {@link EpochEndOffset#UNDEFINED}.
     */
    public EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
        if (requestedEpoch == UNDEFINED_EPOCH) return EpochEndOffset.UNDEFINED;
        OptionalInt latest = latestEpoch();
        if (latest.isPresent() && latest.getAsInt() == requestedEpoch) return new EpochEndOffset(requestedEpoch, logEndOffset);
        Map.Entry<Integer, EpochEntry> higher = epochs.higherEntry(requestedEpoch);
        if (higher == null) return EpochEndOffset.UNDEFINED;
        Map.Entry<Integer, EpochEntry> floor = epochs.floorEntry(requestedEpoch);
        if (floor == null) return new EpochEndOffset(requestedEpoch, higher.getValue().startOffset());
        return new EpochEndOffset(floor.getKey(), higher.getValue().startOffset());
    }

    /** Writes the checkpoint file (done on every change; this is for a freshly rebuilt cache). */
    void write() {
        StringBuilder text = new StringBuilder().append(CHECKPOINT_VERSION).append('\n').append(epochs.size()).append('\n');
        for (EpochEntry e : epochs.values()) text.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
        LogFiles.writeAtomically(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "LeaderEpochCache" + new ArrayList<>(epochs.values());
    }
}
