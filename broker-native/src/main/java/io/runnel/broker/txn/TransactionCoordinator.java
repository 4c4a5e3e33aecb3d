package io.runnel.broker.txn;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

import io.runnel.broker.coordinator.CoordinatorShards;
import io.runnel.broker.coordinator.CoordinatorTopic;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicSpec;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;

/**
 * The transaction coordinator: routes each transactional id to the {@link TransactionShard} of its
 * {@code __transaction_state} partition ({@code abs(transactionalId.hashCode()) % partitions}, as
 * Kafka) and creates that topic (compacted) the first time a producer looks for a coordinator. The
 * same design as {@code GroupCoordinator}: a shard per partition this broker leads, confined to that
 * partition's I/O thread, loaded by replay, following leadership through {@link #onImage}.
 *
 * <p>Threading: any thread may call; each call hops to the shard's thread and returns a future
 * completed there. The shard table is published once, through a volatile field, after the topic exists.
 *
 * <p>Life cycle: {@link #start()} after the metadata log has been replayed (loads the shards if the
 * topic exists); {@link #close()} before the group coordinator, the partitions and the I/O threads
 * are closed (it stops the shards' timers and marker sending).
 */
public final class TransactionCoordinator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TransactionCoordinator.class);
    public static final String TOPIC = TransactionConfig.TRANSACTION_STATE_TOPIC;

    private final MetadataController controller;
    private final ReplicaManager replicas;
    private final IoThreadPool ioThreads;
    private final ProducerIdSource producerIds;
    private final TxnMarkerSender markers;
    private final TransactionConfig config;
    private final Time time;
    private final CoordinatorTopic internalTopic;
    private volatile TransactionShard[] shards;
    private volatile boolean closed;

    /** InitProducerId's answer. */
    public record InitResult(Errors error, long producerId, short producerEpoch) {
        public static InitResult error(Errors error) {
            return new InitResult(error, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH);
        }
    }

    /**
     * ListTransactions' filters: empty sets match everything; {@code minDurationMs} -1 for none
     * (else only transactions open longer than it); {@code idPattern} null for none.
     */
    public record ListFilter(Set<TransactionState> states, Set<Long> producerIds, long minDurationMs, Pattern idPattern) {
        public ListFilter {
            states = Set.copyOf(states);
            producerIds = Set.copyOf(producerIds);
        }

        boolean matches(TransactionMetadata txn, long nowMs) {
            if (!states.isEmpty() && !states.contains(txn.state())) return false;
            if (!producerIds.isEmpty() && !producerIds.contains(txn.producerId())) return false;
            if (minDurationMs >= 0 && nowMs - txn.startTimestampMs() <= minDurationMs) return false;
            return idPattern == null || idPattern.matcher(txn.transactionalId()).matches();
        }
    }

    /** ListTransactions across shards: the first error of a shard that could not answer, and what the others listed. */
    public record ListResult(Errors error, List<ListTransactionsResponseData.TransactionState> transactions) {}

    public TransactionCoordinator(MetadataController controller, ReplicaManager replicas, IoThreadPool ioThreads, ProducerIdSource producerIds,
                                  TxnMarkerSender markers, TransactionConfig config, Time time) {
        this.controller = controller;
        this.replicas = replicas;
        this.ioThreads = ioThreads;
        this.producerIds = producerIds;
        this.markers = markers;
        this.config = config;
        this.time = time;
        this.internalTopic = new CoordinatorTopic(controller, TOPIC, this::topicSpec, this::openShards);
    }

    public TransactionConfig config() {
        return config;
    }

    /** Loads the transactions of an existing transaction topic; the topic is otherwise created on first use. */
    public void start() {
        if (internalTopic.exists()) ensureTopic();
    }

    /**
     * NONE once the transaction topic exists and its shards are loading or loaded; creates it the
     * first time. COORDINATOR_NOT_AVAILABLE if that fails (the client retries FindCoordinator).
     */
    public CompletableFuture<Errors> ensureTopic() {
        return internalTopic.ensure();
    }

    /** Kafka's settings for the transaction topic: compacted, uncompressed, min ISR capped at the replication factor. */
    private TopicSpec topicSpec() {
        short replicationFactor = controller.isSingleNode() ? 1 : config.stateLogReplicationFactor();
        return new TopicSpec(TOPIC, config.stateLogNumPartitions(), replicationFactor, Map.of(), Map.of(
                "cleanup.policy", "compact",
                "compression.type", "uncompressed",
                "min.insync.replicas", Integer.toString(config.minIsrFor(replicationFactor)),
                "segment.bytes", Integer.toString(config.stateLogSegmentBytes()),
                "unclean.leader.election.enable", "false"));
    }

    private synchronized void openShards(TopicImage topic) {
        if (shards != null || closed) return;
        int count = topic.partitionCount();
        if (count != config.stateLogNumPartitions())
            LOG.warnf("%s has %d partitions, not transaction.state.log.num.partitions=%d; ids are placed by the topic as it is",
                    TOPIC, count, config.stateLogNumPartitions());
        TransactionShard[] opened = new TransactionShard[count];
        for (int p = 0; p < count; p++) {
            if (topic.partition(p).leader() != controller.nodeId()) continue;
            opened[p] = newShard(p);
            if (opened[p] == null) throw new IllegalStateException(TOPIC + "-" + p + " is led by this broker but not open on it");
        }
        shards = opened;
        for (TransactionShard shard : opened) if (shard != null) shard.load();
    }

    private TransactionShard newShard(int p) {
        TopicPartition tp = new TopicPartition(TOPIC, p);
        Partition partition = replicas.partition(tp);
        if (partition == null) return null;
        return new TransactionShard(p, partition, ioThreads.executorFor(tp), config, producerIds, markers, controller::image, time);
    }

    /**
     * Follows the transaction topic's leadership: a partition this broker came to lead gets a shard
     * (which replays it, then resumes the markers of prepared transactions); one it stopped leading
     * has its shard closed, its ids then answered NOT_COORDINATOR. Metadata thread, after the
     * replica manager has applied the same image.
     */
    public synchronized void onImage(MetadataImage image) {
        TransactionShard[] current = shards;
        TopicImage topic = image.topic(TOPIC);
        if (current == null || closed || topic == null || topic.partitionCount() != current.length) return;
        TransactionShard[] next = current.clone();
        for (int p = 0; p < next.length; p++) {
            boolean led = topic.partition(p).leader() == controller.nodeId();
            if (led && next[p] == null) {
                next[p] = newShard(p);
                if (next[p] == null) continue;
                next[p].load();
                LOG.infof("Now coordinating the transactions of %s-%d", TOPIC, p);
            } else if (!led && next[p] != null) {
                TransactionShard leaving = next[p];
                next[p] = null;
                CoordinatorShards.closeLater(leaving);
                LOG.infof("No longer coordinating the transactions of %s-%d", TOPIC, p);
            }
        }
        shards = next;
    }

    /** The transaction-topic partition of an id: Kafka's placement, over the topic as it exists. */
    public int partitionFor(String transactionalId) {
        TransactionShard[] s = shards;
        TopicImage topic = controller.image().topic(TOPIC);
        int count = s != null ? s.length : topic != null ? topic.partitionCount() : config.stateLogNumPartitions();
        return Utils.abs(transactionalId.hashCode()) % count;
    }

    /** Kafka refuses an empty (or null) transactional id where one is required with INVALID_REQUEST. */
    public static boolean isValidTransactionalId(String transactionalId) {
        return transactionalId != null && !transactionalId.isEmpty();
    }

    // ------------------------------------------------------------------ the transaction APIs

    /**
     * InitProducerId with a transactional id (non-empty). {@code expectedProducerId} and
     * {@code expectedEpoch} are both -1 unless the producer names its current ones (KIP-360).
     */
    public CompletableFuture<InitResult> initProducerId(String transactionalId, int timeoutMs, long expectedProducerId, short expectedEpoch) {
        if (!isValidTransactionalId(transactionalId)) return CompletableFuture.completedFuture(InitResult.error(Errors.INVALID_REQUEST));
        if (timeoutMs <= 0 || timeoutMs > config.maxTimeoutMs())
            return CompletableFuture.completedFuture(InitResult.error(Errors.INVALID_TRANSACTION_TIMEOUT));
        return call(transactionalId, shard -> shard.initProducerId(transactionalId, timeoutMs, expectedProducerId, expectedEpoch), InitResult::error);
    }

    /** AddPartitionsToTxn (and AddOffsetsToTxn, with the group's offsets partition): one error for all the partitions. */
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short producerEpoch, Collection<TopicPartition> partitions) {
        if (!isValidTransactionalId(transactionalId)) return CompletableFuture.completedFuture(Errors.INVALID_REQUEST);
        return call(transactionalId, shard -> shard.addPartitions(transactionalId, producerId, producerEpoch, partitions), error -> error);
    }

    /** AddPartitionsToTxn v4+ with verifyOnly: which of the partitions the producer's transaction has. */
    public CompletableFuture<Map<TopicPartition, Errors>> verifyPartitions(String transactionalId, long producerId, short producerEpoch,
                                                                           Collection<TopicPartition> partitions) {
        if (!isValidTransactionalId(transactionalId)) return CompletableFuture.completedFuture(all(partitions, Errors.INVALID_REQUEST));
        return call(transactionalId, shard -> CompletableFuture.completedFuture(shard.verifyPartitions(transactionalId, producerId, producerEpoch, partitions)),
                error -> all(partitions, error));
    }

    private static Map<TopicPartition, Errors> all(Collection<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> result = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) result.put(tp, error);
        return result;
    }

    public CompletableFuture<Errors> endTransaction(String transactionalId, long producerId, short producerEpoch, boolean commit) {
        if (!isValidTransactionalId(transactionalId)) return CompletableFuture.completedFuture(Errors.INVALID_REQUEST);
        return call(transactionalId, shard -> shard.endTransaction(transactionalId, producerId, producerEpoch, commit), error -> error);
    }

    public CompletableFuture<DescribeTransactionsResponseData.TransactionState> describe(String transactionalId) {
        if (!isValidTransactionalId(transactionalId)) {
            return CompletableFuture.completedFuture(new DescribeTransactionsResponseData.TransactionState()
                    .setTransactionalId(transactionalId == null ? "" : transactionalId).setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        TransactionShard[] s = shards;
        if (s == null) {
            // No transaction topic: no id can exist (Kafka answers a broker that coordinates nothing the same way).
            return CompletableFuture.completedFuture(new DescribeTransactionsResponseData.TransactionState().setTransactionalId(transactionalId)
                    .setErrorCode(Errors.NOT_COORDINATOR.code()));
        }
        return call(transactionalId, shard -> CompletableFuture.completedFuture(shard.describe(transactionalId)),
                error -> new DescribeTransactionsResponseData.TransactionState().setTransactionalId(transactionalId).setErrorCode(error.code()));
    }

    /** The transactions of every shard this broker coordinates. */
    public CompletableFuture<ListResult> list(ListFilter filter) {
        TransactionShard[] s = shards;
        if (s == null) return CompletableFuture.completedFuture(new ListResult(closed ? Errors.COORDINATOR_NOT_AVAILABLE : Errors.NONE, List.of()));
        List<CompletableFuture<ListResult>> parts = new ArrayList<>();
        for (TransactionShard shard : local(s)) {
            parts.add(onShard(shard, sh -> CompletableFuture.completedFuture(new ListResult(Errors.NONE, sh.list(filter))),
                    error -> new ListResult(error, List.of())));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Errors error = Errors.NONE;
            List<ListTransactionsResponseData.TransactionState> all = new ArrayList<>();
            for (CompletableFuture<ListResult> part : parts) {
                ListResult r = part.join();
                if (error == Errors.NONE && r.error() != Errors.NONE) error = r.error();
                all.addAll(r.transactions());
            }
            return new ListResult(error, all);
        });
    }

    /**
     * Runs {@code op} on the id's shard, on its thread. When the shard cannot serve, answers
     * {@code onError} with COORDINATOR_NOT_AVAILABLE (no transaction topic yet; creating it),
     * COORDINATOR_LOAD_IN_PROGRESS (still replaying) or NOT_COORDINATOR (another broker's, or shutting down).
     */
    private <T> CompletableFuture<T> call(String transactionalId, Function<TransactionShard, CompletableFuture<T>> op, Function<Errors, T> onError) {
        TransactionShard[] s = shards;
        if (s == null || closed) {
            if (!closed) ensureTopic();
            return CompletableFuture.completedFuture(onError.apply(closed ? Errors.NOT_COORDINATOR : Errors.COORDINATOR_NOT_AVAILABLE));
        }
        return onShard(s[Utils.abs(transactionalId.hashCode()) % s.length], op, onError);
    }

    private <T> CompletableFuture<T> onShard(TransactionShard shard, Function<TransactionShard, CompletableFuture<T>> op, Function<Errors, T> onError) {
        return CoordinatorShards.call(shard, op, onError);
    }

    private static List<TransactionShard> local(TransactionShard[] shards) {
        return CoordinatorShards.local(shards);
    }

    /** For tests and health: completes when every local shard has finished loading. */
    public CompletableFuture<Void> loaded() {
        return ensureTopic().thenCompose(e -> CoordinatorShards.loaded(shards));
    }

    /** Stops every shard on its own thread (timers cancelled, marker sending stopped) and waits. */
    @Override
    public synchronized void close() {
        closed = true;
        CoordinatorShards.closeAll(shards, "transaction shards");
    }
}
