package io.runnel.broker.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.TransactionCoordinatorFencedException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.Record;
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
 * Coordinators' batches ({@link AppendOrigin#COORDINATOR}) are fenced by epoch only.
 *
 * <p>Transactions (KIP-98): a producer's first transactional batch opens its transaction here; a
 * COMMIT or ABORT marker (a control batch) closes it and yields a {@link CompletedTxn}. A
 * non-transactional batch from a producer with an open transaction is refused
 * ({@link InvalidTxnStateException}), and so is a marker from an older coordinator epoch
 * ({@link TransactionCoordinatorFencedException}). The first unstable offset (what bounds the last
 * stable offset) is the first offset of the oldest transaction that is open, or closed by a marker
 * the high watermark has not yet passed.
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
    /** Open transactions: first offset → producer id. */
    private final TreeMap<Long, Long> ongoingTxns = new TreeMap<>();
    /** Transactions closed by a marker at or above the high watermark: first offset → transaction. */
    private final TreeMap<Long, CompletedTxn> unreplicatedTxns = new TreeMap<>();

    /** A transaction whose marker this partition holds: {@code lastOffset} is the marker's offset. */
    record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {}

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

    /** Applies a written append; returns the transactions its markers closed, in offset order. */
    List<CompletedTxn> commit(Append append) {
        append.staged.forEach(this::put);
        for (CompletedTxn txn : append.completed) unreplicatedTxns.put(txn.firstOffset(), txn);
        return append.completed;
    }

    /** Replaces a producer's entry, keeping the open-transaction index in step. */
    private void put(long producerId, ProducerStateEntry entry) {
        ProducerStateEntry old = producers.put(producerId, entry);
        if (old != null && old.currentTxnFirstOffset() >= 0) ongoingTxns.remove(old.currentTxnFirstOffset());
        if (entry.currentTxnFirstOffset() >= 0) ongoingTxns.put(entry.currentTxnFirstOffset(), producerId);
    }

    /** The first offset of the oldest transaction not yet stable, if any (bounds the last stable offset). */
    OptionalLong firstUnstableOffset() {
        long first = Long.MAX_VALUE;
        if (!ongoingTxns.isEmpty()) first = ongoingTxns.firstKey();
        if (!unreplicatedTxns.isEmpty()) first = Math.min(first, unreplicatedTxns.firstKey());
        return first == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(first);
    }

    /** The high watermark moved: transactions whose markers are now below it are stable. */
    void onHighWatermark(long highWatermark) {
        for (Iterator<CompletedTxn> it = unreplicatedTxns.values().iterator(); it.hasNext(); ) {
            if (it.next().lastOffset() < highWatermark) it.remove();
        }
    }

    /** The first offset of the oldest open transaction, if any (what an aborted-index entry records as its last stable offset). */
    OptionalLong firstOpenTxnOffset() {
        return ongoingTxns.isEmpty() ? OptionalLong.empty() : OptionalLong.of(ongoingTxns.firstKey());
    }

    /** The producers with a transaction open here. */
    java.util.Set<Long> openTxnProducerIds() {
        return ongoingTxns.isEmpty() ? java.util.Set.of() : java.util.Set.copyOf(ongoingTxns.values());
    }

    /** Every known producer, for DescribeProducers. */
    List<ActiveProducer> activeProducers() {
        List<ActiveProducer> all = new ArrayList<>();
        for (ProducerStateEntry e : producers.values()) {
            all.add(new ActiveProducer(e.producerId(), e.producerEpoch(), e.lastSeq(), e.lastTimestamp(), e.coordinatorEpoch(),
                    e.currentTxnFirstOffset()));
        }
        return all;
    }

    /** The changes one leader append would make, checked batch by batch. */
    final class Append {
        private final Map<Long, ProducerStateEntry> staged = new HashMap<>();
        private final List<CompletedTxn> completed = new ArrayList<>();

        private Append() {}

        /**
         * Checks {@code batch} (to be written at {@code firstOffset..lastOffset}) and stages it.
         * Returns the cached metadata instead if the batch is a duplicate of a committed one.
         */
        Optional<BatchMetadata> add(RecordBatch batch, long firstOffset, long lastOffset, long maxTimestamp, AppendOrigin origin) {
            long producerId = batch.producerId();
            short epoch = batch.producerEpoch();
            ProducerStateEntry committed = producers.get(producerId);
            if (committed != null && origin.checksSequences()) {
                Optional<BatchMetadata> duplicate = committed.findDuplicate(epoch, batch.baseSequence(), batch.lastSequence());
                if (duplicate.isPresent()) return duplicate;
            }
            ProducerStateEntry current = staged(producerId);
            if (origin.checksSequences()) {
                checkEpochAndSequence(current, producerId, epoch, batch.baseSequence());
            } else if (current != null && epoch < current.producerEpoch()) {
                throw new InvalidProducerEpochException("Producer " + producerId + " epoch " + epoch + " is older than the current epoch " + current.producerEpoch());
            }
            if (current == null) current = new ProducerStateEntry(producerId, epoch);
            if (batch.isTransactional()) {
                if (current.currentTxnFirstOffset() < 0) current.currentTxnFirstOffset(firstOffset);
            } else if (current.currentTxnFirstOffset() >= 0) {
                throw new InvalidTxnStateException("Producer " + producerId + " has a transaction open at offset "
                        + current.currentTxnFirstOffset() + " and sent a non-transactional batch");
            }
            if (origin.checksSequences() && batch.baseSequence() != RecordBatch.NO_SEQUENCE) {
                current.addBatch(epoch, new BatchMetadata(batch.baseSequence(), batch.lastSequence(), firstOffset, lastOffset, maxTimestamp));
            } else {
                current.bumpEpoch(epoch);
            }
            current.lastTimestamp(maxTimestamp);
            staged.put(producerId, current);
            return Optional.empty();
        }

        /** Checks and stages a COMMIT or ABORT marker to be written at {@code offset}. */
        void addMarker(RecordBatch batch, long offset) {
            long producerId = batch.producerId();
            EndTransactionMarker marker = markerOf(batch);
            ProducerStateEntry current = staged(producerId);
            if (current != null && batch.producerEpoch() < current.producerEpoch())
                throw new InvalidProducerEpochException("Transaction marker of producer " + producerId + " has epoch " + batch.producerEpoch()
                        + ", older than the current epoch " + current.producerEpoch());
            if (current != null && marker.coordinatorEpoch() < current.coordinatorEpoch())
                throw new TransactionCoordinatorFencedException("Transaction marker of producer " + producerId + " comes from coordinator epoch "
                        + marker.coordinatorEpoch() + ", older than " + current.coordinatorEpoch());
            if (current == null) current = new ProducerStateEntry(producerId, batch.producerEpoch());
            completeTxn(current, batch, marker, offset).ifPresent(completed::add);
            staged.put(producerId, current);
        }

        private ProducerStateEntry staged(long producerId) {
            if (staged.containsKey(producerId)) return staged.get(producerId);
            ProducerStateEntry committed = producers.get(producerId);
            return committed == null ? null : committed.copy();
        }
    }

    /** Closes the entry's open transaction (if any) with {@code marker} at {@code offset}. */
    private static Optional<CompletedTxn> completeTxn(ProducerStateEntry entry, RecordBatch batch, EndTransactionMarker marker, long offset) {
        entry.bumpEpoch((short) Math.max(entry.producerEpoch(), batch.producerEpoch()));
        entry.coordinatorEpoch(marker.coordinatorEpoch());
        entry.lastTimestamp(batch.maxTimestamp());
        long first = entry.currentTxnFirstOffset();
        entry.currentTxnFirstOffset(-1);
        if (first < 0) return Optional.empty(); // a marker for a transaction that wrote nothing here
        return Optional.of(new CompletedTxn(entry.producerId(), first, offset, marker.controlType() == ControlRecordType.ABORT));
    }

    /** The marker a control batch carries (one record; its key names COMMIT or ABORT). */
    static EndTransactionMarker markerOf(RecordBatch batch) {
        Iterator<Record> records = batch.iterator();
        if (!records.hasNext()) throw new org.apache.kafka.common.InvalidRecordException("control batch at " + batch.baseOffset() + " has no record");
        Record record = records.next();
        ControlRecordType type = ControlRecordType.parse(record.key());
        if (type != ControlRecordType.COMMIT && type != ControlRecordType.ABORT)
            throw new org.apache.kafka.common.InvalidRecordException("control batch at " + batch.baseOffset() + " is " + type + ", not a transaction marker");
        return EndTransactionMarker.deserialize(record);
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

    /**
     * Applies a batch read back from the log, without checks: the log is the truth. Returns the
     * transaction a marker closed, if any. Raft control batches (which have no producer) are ignored.
     */
    Optional<CompletedTxn> replay(RecordBatch batch) {
        if (!batch.hasProducerId()) return Optional.empty();
        ProducerStateEntry old = producers.get(batch.producerId());
        ProducerStateEntry entry = old == null ? new ProducerStateEntry(batch.producerId(), batch.producerEpoch()) : old.copy();
        Optional<CompletedTxn> completed = Optional.empty();
        if (batch.isControlBatch()) {
            completed = completeTxn(entry, batch, markerOf(batch), batch.baseOffset());
        } else {
            if (batch.isTransactional() && entry.currentTxnFirstOffset() < 0) entry.currentTxnFirstOffset(batch.baseOffset());
            if (batch.baseSequence() == RecordBatch.NO_SEQUENCE) {
                if (batch.producerEpoch() > entry.producerEpoch()) entry.bumpEpoch(batch.producerEpoch());
            } else {
                entry.addBatch(batch.producerEpoch(), new BatchMetadata(batch.baseSequence(), batch.lastSequence(),
                        batch.baseOffset(), batch.lastOffset(), batch.maxTimestamp()));
            }
            entry.lastTimestamp(batch.maxTimestamp());
        }
        put(batch.producerId(), entry);
        return completed;
    }

    void clear() {
        producers = new HashMap<>();
        ongoingTxns.clear();
        unreplicatedTxns.clear();
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
                producers.forEach((id, entry) -> {
                    if (entry.currentTxnFirstOffset() >= 0) ongoingTxns.put(entry.currentTxnFirstOffset(), id);
                });
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
