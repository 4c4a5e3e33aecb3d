package io.runnel.broker.txn;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.coordinator.CoordinatorLogReplay;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.partition.AppendResult;
import io.runnel.broker.partition.Partition;

/**
 * The transaction coordinator of the transactional ids that live on one partition of
 * {@code __transaction_state}: their producer ids and epochs, their open transactions, and the
 * ending of those transactions in the data partitions.
 *
 * <p>Threading: every method runs on the partition's own I/O thread ({@link #thread}), as
 * {@code GroupShard}; {@link TransactionCoordinator} hops there before calling. All state is
 * confined to that thread; timers and the continuations of log writes and marker writes run on it.
 *
 * <p>Write, then apply: every change of a transactional id is a new {@link TransactionMetadata}
 * value appended to the partition (acks=all: the write completes once the high watermark passes
 * it) and only then put in {@link #txns}; its answer goes out after that. While a write is in
 * flight the id is in {@link #pending} and every other request that would change it is answered
 * CONCURRENT_TRANSACTIONS, so a transition is always computed from the value it replaces.
 *
 * <p>Ending a transaction (Kafka's two phases, transaction version 0/1):
 * <ol>
 *   <li>EndTxn on an Ongoing transaction writes PREPARE_COMMIT or PREPARE_ABORT with the
 *       transaction's partitions, and answers the client.</li>
 *   <li>A COMMIT or ABORT marker is written to every one of those partitions through
 *       {@link TxnMarkerSender}, at the transaction's producer epoch and this shard's coordinator
 *       epoch (the partition's leader epoch when it was loaded). Failed partitions are retried
 *       with back-off; a partition of a deleted topic is dropped, as Kafka drops it; a fenced
 *       producer or coordinator epoch stops the sending (a newer coordinator owns the id).</li>
 *   <li>Once every partition has its marker, COMPLETE_COMMIT or COMPLETE_ABORT is written.</li>
 * </ol>
 * Until step 3 the id is in a PREPARE state and refuses new work with CONCURRENT_TRANSACTIONS.
 * A new leader of this partition replays the PREPARE state and resumes at step 2, so a
 * transaction acknowledged as committed is committed in every partition eventually, as long as
 * some broker leads this partition.
 *
 * <p>Fencing: an abort the coordinator decides (a transaction past its timeout, or InitProducerId
 * from a new instance while one is open) writes PREPARE_ABORT at the next producer epoch, so its
 * markers carry an epoch the old producer does not have, and its later writes and EndTxn are
 * refused (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH).
 *
 * <p>Loading: the shard replays its partition from the log start (latest value per id wins, a
 * tombstone forgets the id); until then every request is answered COORDINATOR_LOAD_IN_PROGRESS.
 */
final class TransactionShard implements io.runnel.broker.coordinator.CoordinatorShard {
    private static final Logger LOG = Logger.getLogger(TransactionShard.class);
    /** Kafka's request.timeout.ms default: how long a write waits for the whole ISR before it fails (retriably). */
    static final long WRITE_TIMEOUT_MS = 30_000;
    static final long RETRY_BACKOFF_MS = 100;
    static final long RETRY_BACKOFF_MAX_MS = 5_000;

    private enum Status { LOADING, ACTIVE, CLOSED }

    final int partitionIndex;
    private final Partition log;
    private final ScheduledExecutorService thread;
    private final TransactionConfig config;
    private final ProducerIdSource producerIds;
    private final TxnMarkerSender markers;
    private final Supplier<MetadataImage> image;
    private final Time time;
    private final Map<String, TransactionMetadata> txns = new HashMap<>();
    /** Ids with a write in flight, with the state being written. */
    private final Map<String, TransactionState> pending = new HashMap<>();
    private final Set<ScheduledFuture<?>> timers = new HashSet<>();
    private Status status = Status.LOADING;
    /** The partition's leader epoch when this shard loaded it: stamped on every marker, so partitions can refuse an older coordinator's. */
    private int coordinatorEpoch = -1;

    TransactionShard(int partitionIndex, Partition log, ScheduledExecutorService thread, TransactionConfig config,
                     ProducerIdSource producerIds, TxnMarkerSender markers, Supplier<MetadataImage> image, Time time) {
        this.partitionIndex = partitionIndex;
        this.log = log;
        this.thread = thread;
        this.config = config;
        this.producerIds = producerIds;
        this.markers = markers;
        this.image = image;
        this.time = time;
    }

    @Override
    public String name() {
        return TransactionConfig.TRANSACTION_STATE_TOPIC + "-" + partitionIndex;
    }

    @Override
    public ScheduledExecutorService thread() {
        return thread;
    }

    /** Null when the shard can serve, else the error every request gets. Shard thread only. */
    @Override
    public Errors unavailable() {
        return switch (status) {
            case LOADING -> Errors.COORDINATOR_LOAD_IN_PROGRESS;
            case ACTIVE -> null;
            case CLOSED -> Errors.NOT_COORDINATOR;
        };
    }

    int coordinatorEpoch() {
        return coordinatorEpoch;
    }

    // ------------------------------------------------------------------ loading

    /** Replays the partition, then serves, resumes the markers of prepared transactions and starts the timers. */
    CompletableFuture<Void> load() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        thread.execute(() -> {
            coordinatorEpoch = log.leaderEpoch();
            CoordinatorLogReplay.replay(log, thread, () -> status == Status.CLOSED, this::replayBatch).whenComplete((records, failure) -> {
                if (failure != null) {
                    LOG.errorf(failure, "Loading transactions from %s failed; its transactional ids stay unavailable", log.topicPartition());
                    done.completeExceptionally(failure);
                    return;
                }
                if (records != null) finishLoad(records);
                done.complete(null);
            });
        });
        return done;
    }

    /** Markers never land in the transaction log; every other record is a transactional id's latest state (or its tombstone). */
    private long replayBatch(RecordBatch batch, long fromOffset) {
        if (batch.isControlBatch()) return 0;
        long applied = 0;
        for (Record record : batch) {
            if (record.offset() < fromOffset) continue;
            replayOrSkip(record);
            applied++;
        }
        return applied;
    }

    /** A record that does not decode is skipped with an error: one bad record must not keep every id of the partition unavailable. */
    private void replayOrSkip(Record record) {
        TransactionRecords.Decoded decoded;
        try {
            decoded = TransactionRecords.decode(record);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Skipping undecodable record at offset %d of %s", record.offset(), log.topicPartition());
            return;
        }
        if (decoded.metadata() == null) txns.remove(decoded.transactionalId());
        else txns.put(decoded.transactionalId(), decoded.metadata());
    }

    private void finishLoad(long records) {
        status = Status.ACTIVE;
        int resumed = 0;
        for (TransactionMetadata txn : List.copyOf(txns.values())) {
            if (txn.state().isPrepare()) {
                // A coordinator failed over (or restarted) between the two phases: finish what it acknowledged.
                sendMarkers(txn, txn.partitions(), RETRY_BACKOFF_MS);
                resumed++;
            }
        }
        schedulePeriodically(this::abortTimedOutTransactions, config.abortTimedOutIntervalMs());
        schedulePeriodically(this::expireTransactionalIds, config.removeExpiredIntervalMs());
        if (records > 0)
            LOG.infof("Loaded %d transactional id(s) from %d record(s) of %s at coordinator epoch %d; resuming the markers of %d",
                    txns.size(), records, log.topicPartition(), coordinatorEpoch, resumed);
    }

    /** Stops timers and marker sending, so that the I/O thread can stop; the next leader takes over. Shard thread only. */
    @Override
    public void close() {
        status = Status.CLOSED;
        for (ScheduledFuture<?> t : timers) t.cancel(false);
        timers.clear();
    }

    // ------------------------------------------------------------------ InitProducerId

    /**
     * InitProducerId for a transactional id (already validated: non-empty, timeout within the
     * maximum). {@code expectedProducerId}/{@code expectedEpoch} are -1 unless the producer names
     * its current id and epoch (KIP-360).
     */
    CompletableFuture<TransactionCoordinator.InitResult> initProducerId(String transactionalId, int timeoutMs, long expectedProducerId,
                                                                        short expectedEpoch) {
        if (txns.containsKey(transactionalId)) return initExisting(transactionalId, timeoutMs, expectedProducerId, expectedEpoch);
        CompletableFuture<TransactionCoordinator.InitResult> result = new CompletableFuture<>();
        producerIds.nextProducerId().whenCompleteAsync((producerId, failure) -> {
            if (status != Status.ACTIVE) {
                result.complete(TransactionCoordinator.InitResult.error(Errors.NOT_COORDINATOR));
            } else if (failure != null) {
                // No block of ids could be reserved (no active controller right now): the producer retries this code.
                LOG.infof("InitProducerId for %s: no producer id available (%s)", transactionalId, failure.toString());
                result.complete(TransactionCoordinator.InitResult.error(Errors.COORDINATOR_LOAD_IN_PROGRESS));
            } else {
                // As Kafka: the id is known from here on, at no epoch; the first init (this one) makes it epoch 0.
                // Another init may have created it meanwhile: then this producer id is simply not used.
                txns.putIfAbsent(transactionalId, TransactionMetadata.fresh(transactionalId, producerId, timeoutMs, time.milliseconds()));
                initExisting(transactionalId, timeoutMs, expectedProducerId, expectedEpoch).whenComplete((r, e) -> {
                    if (e != null) result.completeExceptionally(e);
                    else result.complete(r);
                });
            }
        }, thread);
        return result;
    }

    private CompletableFuture<TransactionCoordinator.InitResult> initExisting(String transactionalId, int timeoutMs, long expectedProducerId,
                                                                              short expectedEpoch) {
        TransactionMetadata txn = txns.get(transactionalId);
        boolean expected = expectedProducerId != RecordBatch.NO_PRODUCER_ID;
        if (pending.containsKey(transactionalId)) return initError(Errors.CONCURRENT_TRANSACTIONS);
        if (expected && !isValidProducerId(txn, expectedProducerId, expectedEpoch)) return initError(Errors.PRODUCER_FENCED);
        long now = time.milliseconds();
        switch (txn.state()) {
            case PREPARE_COMMIT, PREPARE_ABORT -> {
                return initError(Errors.CONCURRENT_TRANSACTIONS); // markers are being written; the producer retries
            }
            case ONGOING -> {
                // A new instance while the old one has a transaction open: abort it at a bumped epoch (fencing the
                // old instance) and send this one back to retry; its retry bumps the epoch again, and rotates the
                // producer id if this fence used up the epochs.
                CompletableFuture<TransactionCoordinator.InitResult> result = new CompletableFuture<>();
                LOG.infof("InitProducerId for %s while its transaction is open: aborting it and fencing epoch %d", transactionalId, txn.producerEpoch());
                fenceAndAbort(txn, error -> result.complete(TransactionCoordinator.InitResult.error(
                        error == Errors.NONE ? Errors.CONCURRENT_TRANSACTIONS : error)));
                return result;
            }
            case EMPTY, COMPLETE_COMMIT, COMPLETE_ABORT -> {
                if (txn.isEpochExhausted() && (!expected || expectedEpoch == txn.producerEpoch())) return rotateProducerId(txn, timeoutMs, expected);
                TransactionMetadata next = bumpEpoch(txn, timeoutMs, expected, expectedEpoch, now);
                if (next == null) return initError(Errors.PRODUCER_FENCED);
                return writeInit(txn, next);
            }
            default -> throw new IllegalStateException(transactionalId + " is " + txn.state().kafkaName() + ", which is never kept");
        }
    }

    /**
     * Kafka's KIP-360 check of a producer that names its id: it is fenced unless the id has no
     * epoch yet, or it names the current producer id (its epoch is checked by the bump), or it
     * names the previous one at an exhausted epoch (a retry of the rotation it never heard back from).
     */
    private static boolean isValidProducerId(TransactionMetadata txn, long producerId, short epoch) {
        return txn.producerEpoch() == RecordBatch.NO_PRODUCER_EPOCH || producerId == txn.producerId()
                || (producerId == txn.previousProducerId() && TransactionMetadata.isEpochExhausted(epoch));
    }

    /**
     * Kafka's epoch bump: without an expected epoch, always the next epoch; with one, the next
     * epoch if it is the current one, the same answer again if it is the epoch before the last
     * bump (a retry), else null (fenced).
     */
    private static TransactionMetadata bumpEpoch(TransactionMetadata txn, int timeoutMs, boolean expected, short expectedEpoch, long nowMs) {
        short current = txn.producerEpoch();
        if (expected && current != RecordBatch.NO_PRODUCER_EPOCH && expectedEpoch != current) {
            if (expectedEpoch == txn.lastProducerEpoch()) return txn.initWithEpoch(current, txn.lastProducerEpoch(), timeoutMs, nowMs);
            return null;
        }
        if (txn.isEpochExhausted()) return null; // only a producer naming another epoch gets here; it is not the current one
        short lastEpoch = expected ? current : RecordBatch.NO_PRODUCER_EPOCH;
        return txn.initWithEpoch((short) (current + 1), lastEpoch, timeoutMs, nowMs);
    }

    private CompletableFuture<TransactionCoordinator.InitResult> rotateProducerId(TransactionMetadata txn, int timeoutMs, boolean keepPrevious) {
        CompletableFuture<TransactionCoordinator.InitResult> result = new CompletableFuture<>();
        producerIds.nextProducerId().whenCompleteAsync((producerId, failure) -> {
            if (status != Status.ACTIVE) {
                result.complete(TransactionCoordinator.InitResult.error(Errors.NOT_COORDINATOR));
            } else if (failure != null) {
                result.complete(TransactionCoordinator.InitResult.error(Errors.COORDINATOR_LOAD_IN_PROGRESS));
            } else if (txns.get(txn.transactionalId()) != txn || pending.containsKey(txn.transactionalId())) {
                result.complete(TransactionCoordinator.InitResult.error(Errors.CONCURRENT_TRANSACTIONS)); // changed meanwhile: retry
            } else {
                LOG.infof("Producer epoch of %s exhausted: producer id %d replaces %d", txn.transactionalId(), producerId, txn.producerId());
                writeInit(txn, txn.rotateProducerId(producerId, timeoutMs, time.milliseconds(), keepPrevious)).whenComplete((r, e) -> result.complete(r));
            }
        }, thread);
        return result;
    }

    private CompletableFuture<TransactionCoordinator.InitResult> writeInit(TransactionMetadata from, TransactionMetadata next) {
        CompletableFuture<TransactionCoordinator.InitResult> result = new CompletableFuture<>();
        write(from, next, error -> {
            if (error != Errors.NONE) {
                result.complete(TransactionCoordinator.InitResult.error(error));
                return;
            }
            LOG.debugf("Initialized %s with producer id %d epoch %d", next.transactionalId(), next.producerId(), next.producerEpoch());
            result.complete(new TransactionCoordinator.InitResult(Errors.NONE, next.producerId(), next.producerEpoch()));
        });
        return result;
    }

    private static CompletableFuture<TransactionCoordinator.InitResult> initError(Errors error) {
        return CompletableFuture.completedFuture(TransactionCoordinator.InitResult.error(error));
    }

    // ------------------------------------------------------------------ AddPartitionsToTxn, AddOffsetsToTxn

    /** Adds partitions (existing ones, checked by the caller) to the producer's transaction, beginning it if none is open. */
    CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch, Collection<TopicPartition> partitions) {
        TransactionMetadata txn = txns.get(transactionalId);
        Errors refused = checkProducer(txn, producerId, producerEpoch);
        if (refused != null) return CompletableFuture.completedFuture(refused);
        if (pending.containsKey(transactionalId) || txn.state().isPrepare()) return CompletableFuture.completedFuture(Errors.CONCURRENT_TRANSACTIONS);
        if (txn.state() == TransactionState.ONGOING && txn.partitions().containsAll(partitions)) return CompletableFuture.completedFuture(Errors.NONE);
        if (!TransactionState.ONGOING.canFollow(txn.state())) return CompletableFuture.completedFuture(Errors.INVALID_TXN_STATE);
        CompletableFuture<Errors> result = new CompletableFuture<>();
        write(txn, txn.addPartitions(partitions, time.milliseconds()), result::complete);
        return result;
    }

    /**
     * KIP-890 part 1: a partition leader asks whether the producer's transaction already has these
     * partitions, before it accepts transactional data for them. Nothing is written: a partition not
     * in the transaction is TRANSACTION_ABORTABLE (the producer forgot to add it, or its transaction
     * was aborted meanwhile), as Kafka answers.
     */
    Map<TopicPartition, Errors> verifyPartitions(String transactionalId, long producerId, short producerEpoch, Collection<TopicPartition> partitions) {
        TransactionMetadata txn = txns.get(transactionalId);
        Errors refused = checkProducer(txn, producerId, producerEpoch);
        if (refused == null && txn.state().isPrepare()) refused = Errors.CONCURRENT_TRANSACTIONS;
        Map<TopicPartition, Errors> result = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            result.put(tp, refused != null ? refused : txn.partitions().contains(tp) ? Errors.NONE : Errors.TRANSACTION_ABORTABLE);
        }
        return result;
    }

    /** Null if the request's producer is the id's current one; else why not. */
    private static Errors checkProducer(TransactionMetadata txn, long producerId, short producerEpoch) {
        if (txn == null || txn.producerId() != producerId) return Errors.INVALID_PRODUCER_ID_MAPPING;
        if (txn.producerEpoch() != producerEpoch) return Errors.PRODUCER_FENCED;
        return null;
    }

    // ------------------------------------------------------------------ EndTxn

    /**
     * EndTxn: on an Ongoing transaction writes PREPARE_COMMIT/PREPARE_ABORT, answers NONE and sends
     * the markers. A retry of an EndTxn already under way is CONCURRENT_TRANSACTIONS, of one
     * already done NONE; the opposite outcome, or no open transaction, is INVALID_TXN_STATE.
     */
    CompletableFuture<Errors> endTransaction(String transactionalId, long producerId, short producerEpoch, boolean commit) {
        TransactionMetadata txn = txns.get(transactionalId);
        Errors refused = checkProducer(txn, producerId, producerEpoch);
        if (refused != null) return CompletableFuture.completedFuture(refused);
        if (pending.containsKey(transactionalId)) return CompletableFuture.completedFuture(Errors.CONCURRENT_TRANSACTIONS);
        Errors answer = switch (txn.state()) {
            case ONGOING -> null;
            case COMPLETE_COMMIT -> commit ? Errors.NONE : Errors.INVALID_TXN_STATE;
            case COMPLETE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.NONE;
            case PREPARE_COMMIT -> commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE;
            case PREPARE_ABORT -> commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS;
            case EMPTY -> Errors.INVALID_TXN_STATE;
            case DEAD, PREPARE_EPOCH_FENCE -> throw new IllegalStateException(transactionalId + " is " + txn.state().kafkaName() + ", which is never kept");
        };
        if (answer != null) {
            if (answer == Errors.INVALID_TXN_STATE)
                LOG.infof("EndTxn(%s) for %s refused: the transaction is %s", commit ? "commit" : "abort", transactionalId, txn.state().kafkaName());
            return CompletableFuture.completedFuture(answer);
        }
        CompletableFuture<Errors> result = new CompletableFuture<>();
        TransactionMetadata prepared = txn.prepareEnd(commit, time.milliseconds());
        write(txn, prepared, error -> {
            result.complete(error); // phase one is durable: the client may go on while the markers are written
            if (error == Errors.NONE) sendMarkers(prepared, prepared.partitions(), RETRY_BACKOFF_MS);
        });
        return result;
    }

    /** Aborts an Ongoing transaction at the next epoch (see the class comment on fencing), then sends its markers. */
    private void fenceAndAbort(TransactionMetadata txn, Consumer<Errors> then) {
        long now = time.milliseconds();
        // An epoch at the very top cannot be bumped; the coordinator never hands it out, so this is only a guard.
        TransactionMetadata prepared = txn.producerEpoch() == Short.MAX_VALUE ? txn.prepareEnd(false, now) : txn.prepareFencedAbort(now);
        write(txn, prepared, error -> {
            if (error == Errors.NONE) sendMarkers(prepared, prepared.partitions(), RETRY_BACKOFF_MS);
            then.accept(error);
        });
    }

    // ------------------------------------------------------------------ markers

    /** Step 2 of ending a transaction: markers to {@code remaining}, retried until all are written; then step 3. */
    private void sendMarkers(TransactionMetadata prepared, Set<TopicPartition> remaining, long backoffMs) {
        if (status != Status.ACTIVE || txns.get(prepared.transactionalId()) != prepared) return;
        if (remaining.isEmpty()) {
            writeComplete(prepared, RETRY_BACKOFF_MS);
            return;
        }
        CompletableFuture<Map<TopicPartition, Errors>> written;
        try {
            written = markers.writeMarkers(prepared.producerId(), prepared.producerEpoch(), coordinatorEpoch, prepared.isCommit(), List.copyOf(remaining));
        } catch (RuntimeException e) {
            written = CompletableFuture.failedFuture(e);
        }
        written.whenCompleteAsync((result, failure) -> onMarkersWritten(prepared, remaining, result, failure, backoffMs), thread);
    }

    private void onMarkersWritten(TransactionMetadata prepared, Set<TopicPartition> sent, Map<TopicPartition, Errors> result, Throwable failure,
                                  long backoffMs) {
        if (status != Status.ACTIVE || txns.get(prepared.transactionalId()) != prepared) return;
        if (failure != null) LOG.warnf(failure, "Writing the markers of %s failed; retrying", prepared.transactionalId());
        MetadataImage current = image.get();
        Set<TopicPartition> retry = new LinkedHashSet<>();
        for (TopicPartition tp : sent) {
            Errors error = failure != null ? Errors.UNKNOWN_SERVER_ERROR : result.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
            switch (error) {
                case NONE -> { }
                case UNSUPPORTED_FOR_MESSAGE_FORMAT -> LOG.warnf("%s cannot hold the marker of %s; skipped, as Kafka does", tp, prepared.transactionalId());
                case UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER -> {
                    if (exists(current, tp)) retry.add(tp);
                    else LOG.infof("%s was deleted; the marker of %s is not needed there", tp, prepared.transactionalId());
                }
                case INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED -> {
                    // The partition has seen a newer producer epoch or coordinator epoch: another coordinator owns
                    // this id now and finishes the transaction. Kafka stops sending here too.
                    LOG.warnf("Marker of %s refused by %s with %s; leaving the transaction to the newer coordinator",
                            prepared.transactionalId(), tp, error.name());
                    return;
                }
                default -> retry.add(tp);
            }
        }
        if (retry.isEmpty()) {
            writeComplete(prepared, RETRY_BACKOFF_MS);
            return;
        }
        LOG.debugf("Markers of %s not yet written to %s; retrying in %d ms", prepared.transactionalId(), retry, backoffMs);
        schedule(() -> sendMarkers(prepared, retry, nextBackoff(backoffMs)), backoffMs);
    }

    private static boolean exists(MetadataImage image, TopicPartition tp) {
        TopicImage topic = image.topic(tp.topic());
        return topic != null && topic.partition(tp.partition()) != null;
    }

    /** Step 3: COMPLETE_COMMIT/COMPLETE_ABORT, retried while this shard leads (a new leader resumes at step 2 otherwise). */
    private void writeComplete(TransactionMetadata prepared, long backoffMs) {
        if (status != Status.ACTIVE || txns.get(prepared.transactionalId()) != prepared || pending.containsKey(prepared.transactionalId())) return;
        TransactionMetadata completed = prepared.complete(time.milliseconds());
        write(prepared, completed, error -> {
            if (error == Errors.NONE) {
                LOG.debugf("Transaction of %s (producer id %d epoch %d) %s", prepared.transactionalId(), prepared.producerId(),
                        prepared.producerEpoch(), completed.state().kafkaName());
            } else if (error != Errors.NOT_COORDINATOR) {
                LOG.infof("Writing %s for %s failed with %s; retrying", completed.state().kafkaName(), prepared.transactionalId(), error.name());
                schedule(() -> writeComplete(prepared, nextBackoff(backoffMs)), backoffMs);
            }
        });
    }

    private static long nextBackoff(long backoffMs) {
        return Math.min(backoffMs * 2, RETRY_BACKOFF_MAX_MS);
    }

    // ------------------------------------------------------------------ timeouts and expiry

    /**
     * Aborts, fencing their producers, the Ongoing transactions open longer than their
     * transaction.timeout.ms (Kafka: start + timeout strictly before now). Returns how many it began to abort.
     */
    int abortTimedOutTransactions() {
        if (status != Status.ACTIVE) return 0;
        long now = time.milliseconds();
        int aborted = 0;
        for (TransactionMetadata txn : List.copyOf(txns.values())) {
            if (txn.state() != TransactionState.ONGOING || pending.containsKey(txn.transactionalId())) continue;
            if (txn.startTimestampMs() + txn.timeoutMs() >= now) continue;
            LOG.infof("Aborting the transaction of %s (producer id %d epoch %d): open for %d ms, past its timeout of %d ms",
                    txn.transactionalId(), txn.producerId(), txn.producerEpoch(), now - txn.startTimestampMs(), txn.timeoutMs());
            fenceAndAbort(txn, error -> {
                if (error != Errors.NONE) LOG.infof("Aborting the timed-out transaction of %s failed with %s; trying again later",
                        txn.transactionalId(), error.name());
            });
            aborted++;
        }
        return aborted;
    }

    /** Forgets (with a tombstone) the ids idle past transactional.id.expiration.ms with no transaction under way. Returns how many. */
    int expireTransactionalIds() {
        if (status != Status.ACTIVE) return 0;
        long now = time.milliseconds();
        int expired = 0;
        for (TransactionMetadata txn : List.copyOf(txns.values())) {
            if (!txn.state().isExpirationAllowed() || pending.containsKey(txn.transactionalId())) continue;
            if (txn.lastUpdateTimestampMs() > now - config.transactionalIdExpirationMs()) continue;
            write(txn, txn.dead(now), error -> {
                if (error == Errors.NONE) LOG.infof("Transactional id %s expired", txn.transactionalId());
            });
            expired++;
        }
        return expired;
    }

    // ------------------------------------------------------------------ DescribeTransactions, ListTransactions

    DescribeTransactionsResponseData.TransactionState describe(String transactionalId) {
        DescribeTransactionsResponseData.TransactionState described = new DescribeTransactionsResponseData.TransactionState()
                .setTransactionalId(transactionalId);
        TransactionMetadata txn = txns.get(transactionalId);
        if (txn == null) return described.setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());
        for (TopicPartition tp : txn.partitions()) {
            DescribeTransactionsResponseData.TopicData topic = described.topics().find(tp.topic());
            if (topic == null) {
                topic = new DescribeTransactionsResponseData.TopicData().setTopic(tp.topic());
                described.topics().add(topic);
            }
            topic.partitions().add(tp.partition());
        }
        return described.setErrorCode(Errors.NONE.code()).setProducerId(txn.producerId()).setProducerEpoch(txn.producerEpoch())
                .setTransactionState(txn.state().kafkaName()).setTransactionTimeoutMs(txn.timeoutMs())
                .setTransactionStartTimeMs(txn.startTimestampMs());
    }

    List<ListTransactionsResponseData.TransactionState> list(TransactionCoordinator.ListFilter filter) {
        long now = time.milliseconds();
        List<ListTransactionsResponseData.TransactionState> listed = new ArrayList<>();
        for (TransactionMetadata txn : txns.values()) {
            if (filter.matches(txn, now)) {
                listed.add(new ListTransactionsResponseData.TransactionState().setTransactionalId(txn.transactionalId())
                        .setProducerId(txn.producerId()).setTransactionState(txn.state().kafkaName()));
            }
        }
        return listed;
    }

    // ------------------------------------------------------------------ the log and timers

    /**
     * Appends {@code next} (a tombstone if DEAD) and, once the whole ISR has it, applies it in
     * place of {@code from}; then calls {@code then} on the shard thread with the error a
     * coordinator answers (Kafka's mapping). Nothing is applied if the write failed or the shard
     * lost its partition meanwhile.
     */
    private void write(TransactionMetadata from, TransactionMetadata next, Consumer<Errors> then) {
        String id = next.transactionalId();
        if (txns.get(id) != from) throw new IllegalStateException(id + ": transition computed from a value that is not the current one");
        if (pending.containsKey(id)) throw new IllegalStateException(id + ": a write is already in flight");
        pending.put(id, next.state());
        byte[] value = next.state() == TransactionState.DEAD ? null : TransactionRecords.value(next);
        MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(time.milliseconds(), TransactionRecords.key(id), value));
        // acks=all, as Kafka's coordinator writes: an answer never rests on a write a failover could lose.
        log.appendRecordsToLeader(batch).thenCompose(appended -> appended.error() != Errors.NONE ? CompletableFuture.completedFuture(appended)
                : log.awaitHighWatermark(appended.baseOffset() + 1, WRITE_TIMEOUT_MS)
                        .thenApply(error -> error == Errors.NONE ? appended : AppendResult.error(error, null)))
                .whenCompleteAsync((AppendResult result, Throwable failure) -> {
                    pending.remove(id);
                    if (failure != null) LOG.errorf(failure, "Append to %s failed", log.topicPartition());
                    Errors error = failure != null ? Errors.UNKNOWN_SERVER_ERROR : coordinatorError(result.error());
                    if (status == Status.CLOSED) error = Errors.NOT_COORDINATOR;
                    if (error == Errors.NONE && txns.get(id) != from) {
                        // Cannot happen while every change goes through here (pending blocks the others): refuse loudly, apply nothing.
                        LOG.errorf("%s changed while its write was in flight; not applying %s", id, next);
                        error = Errors.UNKNOWN_SERVER_ERROR;
                    } else if (error == Errors.NONE) {
                        if (next.state() == TransactionState.DEAD) txns.remove(id);
                        else txns.put(id, next);
                    }
                    then.accept(error);
                }, thread);
    }

    /** Kafka's mapping of a transaction-log append error to what the coordinator answers. */
    static Errors coordinatorError(Errors appendError) {
        return switch (appendError) {
            case NONE -> Errors.NONE;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT -> Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE -> Errors.UNKNOWN_SERVER_ERROR;
            default -> appendError;
        };
    }

    /** A timer on the shard thread, tracked so that {@link #close()} can cancel it (a scheduled executor runs delayed tasks before it stops). */
    private void schedule(Runnable task, long delayMs) {
        if (status == Status.CLOSED) return;
        try {
            ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
            self[0] = thread.schedule(() -> {
                timers.remove(self[0]); // runs on this thread, after self[0] is set
                if (status != Status.CLOSED) task.run();
            }, Math.max(0, delayMs), TimeUnit.MILLISECONDS);
            timers.add(self[0]);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private void schedulePeriodically(Runnable task, long intervalMs) {
        schedule(() -> {
            try {
                task.run();
            } finally {
                schedulePeriodically(task, intervalMs);
            }
        }, intervalMs);
    }

    // ------------------------------------------------------------------ for tests

    /** The id's current value, or null. Shard thread only. */
    TransactionMetadata metadata(String transactionalId) {
        return txns.get(transactionalId);
    }
}
