package io.runnel.broker.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.jboss.logging.Logger;

/**
 * Idempotent-producer state of one partition: per producer id, the current epoch and the last
 * {@value ProducerStateEntry#MAX_CACHED_BATCHES} batches. Enforces Kafka's rules
 * ({@code ProducerAppendInfo.checkSequence}, {@code UnifiedLog.analyzeAndValidateProducerState})
 * on leader appends:
 * <ol>
 *   <li>a batch with the same epoch and sequence range as a cached one is a duplicate: the append
 *       returns the original offsets and writes nothing;</li>
 *   <li>an epoch below the current one is fenced ({@link InvalidProducerEpochException});</li>
 *   <li>a higher epoch must start at sequence 0;</li>
 *   <li>an unknown producer must start at sequence 0;</li>
 *   <li>in the same epoch, firstSeq must be lastSeq + 1, wrapping from Integer.MAX_VALUE to 0;</li>
 * </ol>
 * rules 3–5 throw {@link OutOfOrderSequenceException}. Batches without a producer id skip all this.
 *
 * <p>Durability: snapshots {@code %020d.snapshot} (offset = the log end offset they cover) are
 * taken on segment roll and on close, keeping the latest two. On open the newest snapshot at or
 * below the log end is loaded and the batch headers after it are replayed ({@link #replay}).
 *
 * <p>Appends are staged ({@link Append}) and committed only after the bytes are written, so a
 * rejected or failed append leaves the state untouched. Not thread-safe: owned by the partition's
 * owner thread.
 */
final class ProducerStateManager {
    private static final Logger LOG = Logger.getLogger(ProducerStateManager.class);
    private static final int SNAPSHOTS_KEPT = 2;

    private final Path dir;
    private Map<Long, ProducerStateEntry> producers = new HashMap<>();

    ProducerStateManager(Path dir) {
        this.dir = dir;
    }

    /** The committed state of a producer (a copy: changing it changes nothing). */
    Optional<ProducerStateEntry> entry(long producerId) {
        return Optional.ofNullable(producers.get(producerId)).map(ProducerStateEntry::copy);
    }

    /** Each producer's last batch's last offset, for the log cleaner (which keeps that batch). */
    Map<Long, Long> lastOffsets() {
        Map<Long, Long> last = new HashMap<>();
        producers.forEach((id, entry) -> {
            List<BatchMetadata> batches = entry.batches();
            if (!batches.isEmpty()) last.put(id, batches.get(batches.size() - 1).lastOffset());
        });
        return last;
    }

    int producerCount() {
        return producers.size();
    }

    Append newAppend() {
        return new Append();
    }

    void commit(Append append) {
        producers.putAll(append.staged);
    }

    /** The changes one leader append would make, checked batch by batch. */
    final class Append {
        private final Map<Long, ProducerStateEntry> staged = new HashMap<>();

        private Append() {}

        /**
         * Checks {@code batch} (to be written at {@code firstOffset..lastOffset}) and stages it.
         * Returns the cached metadata instead if the batch is a duplicate of a committed one.
         */
        Optional<BatchMetadata> add(RecordBatch batch, long firstOffset, long lastOffset, long maxTimestamp) {
            long producerId = batch.producerId();
            short epoch = batch.producerEpoch();
            ProducerStateEntry committed = producers.get(producerId);
            if (committed != null) {
                Optional<BatchMetadata> duplicate = committed.findDuplicate(epoch, batch.baseSequence(), batch.lastSequence());
                if (duplicate.isPresent()) return duplicate;
            }
            ProducerStateEntry current = staged.containsKey(producerId) ? staged.get(producerId)
                    : committed == null ? null : committed.copy();
            checkEpochAndSequence(current, producerId, epoch, batch.baseSequence());
            if (current == null) current = new ProducerStateEntry(producerId, epoch);
            current.addBatch(epoch, new BatchMetadata(batch.baseSequence(), batch.lastSequence(), firstOffset, lastOffset, maxTimestamp));
            staged.put(producerId, current);
            return Optional.empty();
        }
    }

    /** Rules 2–5 of the class javadoc; {@code current} is null for an unknown producer. */
    static void checkEpochAndSequence(ProducerStateEntry current, long producerId, short epoch, int firstSeq) {
        if (current == null) {
            if (firstSeq != 0)
                throw new OutOfOrderSequenceException("Unknown producer " + producerId + " must start at sequence 0, got " + firstSeq);
            return;
        }
        if (epoch < current.producerEpoch())
            throw new InvalidProducerEpochException("Producer " + producerId + " epoch " + epoch + " is older than the current epoch " + current.producerEpoch());
        if (epoch > current.producerEpoch()) {
            if (firstSeq != 0)
                throw new OutOfOrderSequenceException("Producer " + producerId + " new epoch " + epoch + " must start at sequence 0, got " + firstSeq);
            return;
        }
        if (!inSequence(current.lastSeq(), firstSeq))
            throw new OutOfOrderSequenceException("Producer " + producerId + " epoch " + epoch + ": expected sequence "
                    + nextSeq(current.lastSeq()) + ", got " + firstSeq);
    }

    private static boolean inSequence(int lastSeq, int nextSeq) {
        return nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE);
    }

    private static int nextSeq(int lastSeq) {
        return lastSeq == Integer.MAX_VALUE ? 0 : lastSeq + 1;
    }

    /** Applies a batch read back from the log, without checks: the log is the truth. */
    void replay(RecordBatch batch) {
        if (!batch.hasProducerId()) return;
        ProducerStateEntry entry = producers.computeIfAbsent(batch.producerId(), id -> new ProducerStateEntry(id, batch.producerEpoch()));
        if (batch.isControlBatch() || batch.baseSequence() == RecordBatch.NO_SEQUENCE) {
            if (batch.producerEpoch() > entry.producerEpoch()) entry.bumpEpoch(batch.producerEpoch());
            return;
        }
        entry.addBatch(batch.producerEpoch(), new BatchMetadata(batch.baseSequence(), batch.lastSequence(),
                batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp()));
    }

    void clear() {
        producers = new HashMap<>();
    }

    // ---- snapshots ------------------------------------------------------------------------

    /** Writes the state as of {@code offset} (the log end) and keeps only the newest snapshots. */
    void takeSnapshot(long offset) {
        ProducerStateSnapshot.write(LogFiles.snapshotFile(dir, offset), producers.values());
        List<Long> offsets = snapshotOffsets();
        for (int i = 0; i < offsets.size() - SNAPSHOTS_KEPT; i++) LogFiles.deleteIfExists(LogFiles.snapshotFile(dir, offsets.get(i)));
    }

    /**
     * Replaces the state with the newest readable snapshot at or below {@code logEndOffset},
     * deleting snapshots above it (they describe truncated data) and unreadable ones. Returns the
     * snapshot's offset, from which the caller replays the log; empty means replay from the start.
     */
    OptionalLong truncateAndLoad(long logEndOffset) {
        clear();
        List<Long> offsets = snapshotOffsets();
        for (int i = offsets.size() - 1; i >= 0; i--) {
            long offset = offsets.get(i);
            Path file = LogFiles.snapshotFile(dir, offset);
            if (offset > logEndOffset) {
                LogFiles.deleteIfExists(file);
                continue;
            }
            try {
                producers = ProducerStateSnapshot.read(file);
                return OptionalLong.of(offset);
            } catch (IOException e) {
                LOG.warnf("Ignoring producer state snapshot %s: %s", file, e.getMessage());
                LogFiles.deleteIfExists(file);
            }
        }
        return OptionalLong.empty();
    }

    void deleteAllSnapshots() {
        for (long offset : snapshotOffsets()) LogFiles.deleteIfExists(LogFiles.snapshotFile(dir, offset));
    }

    List<Long> snapshotOffsets() {
        return LogFiles.offsetsOf(dir, LogFiles.SNAPSHOT_SUFFIX);
    }
}
