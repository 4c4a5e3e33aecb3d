package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.TopicConfigs;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.partition.AppendResult;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;
import io.runnel.broker.txn.TransactionVerifier;

/**
 * Produce: the front of the write path (network → {@code ProduceHandler} →
 * {@code Partition.appendRecordsToLeader} → {@code PartitionLog.appendAsLeader} → segment file).
 * Checks what needs only metadata here; batch validation, idempotence and offset assignment happen
 * in the log on the partition's own thread. With acks=0 no response is sent, and a failure closes
 * the connection, as Kafka does, so the client notices.
 */
public final class ProduceHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;
    private final BrokerConfig config;
    private final BrokerMetrics metrics;
    /** Keyed by topic id; an entry is stale once its topic's config map is another instance. */
    private final ConcurrentHashMap<Uuid, ProducePolicy> policies = new ConcurrentHashMap<>();
    /** Checks a transaction's first batch in a partition with its coordinator (KIP-890 part 1); null: no check. */
    private final TransactionVerifier verifier;
    private final Authorization authorization;

    public ProduceHandler(MetadataController controller, ReplicaManager replicas, BrokerConfig config, BrokerMetrics metrics) {
        this(controller, replicas, config, metrics, null, Authorization.disabled());
    }

    public ProduceHandler(MetadataController controller, ReplicaManager replicas, BrokerConfig config, BrokerMetrics metrics,
                          TransactionVerifier verifier, Authorization authorization) {
        this.authorization = authorization;
        this.controller = controller;
        this.replicas = replicas;
        this.config = config;
        this.metrics = metrics;
        this.verifier = verifier;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ProduceRequestData data = (ProduceRequestData) request;
        short acks = data.acks();
        MetadataImage image = controller.image();
        // Kafka's order: a transactional write needs WRITE on its transactional id, else the whole request fails.
        if (hasTransactionalBatch(data) && (data.transactionalId() == null
                || !authorization.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, data.transactionalId())))
            return refuse(acks, Authorization.errorResponse(context, request, new TransactionalIdAuthorizationException(
                    "Not authorized to write with transactional id " + data.transactionalId())));
        Set<String> writable = authorization.allowedNames(context, AclOperation.WRITE, ResourceType.TOPIC,
                data.topicData().stream().map(t -> topicName(image, t)).filter(java.util.Objects::nonNull).toList());
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<?>> appends = new ArrayList<>();
        for (ProduceRequestData.TopicProduceData topicData : data.topicData()) {
            TopicProduceResponse topicResponse = new TopicProduceResponse().setName(topicData.name()).setTopicId(topicData.topicId());
            response.responses().add(topicResponse);
            for (ProduceRequestData.PartitionProduceData partitionData : topicData.partitionData()) {
                PartitionProduceResponse partitionResponse = new PartitionProduceResponse().setIndex(partitionData.index());
                topicResponse.partitionResponses().add(partitionResponse);
                if (acks != 0 && acks != 1 && acks != -1) {
                    fail(partitionResponse, Errors.INVALID_REQUIRED_ACKS, null);
                    continue;
                }
                String name = topicName(image, topicData);
                if (name != null && !writable.contains(name)) {
                    fail(partitionResponse, Errors.TOPIC_AUTHORIZATION_FAILED, null);
                    continue;
                }
                var resolved = PartitionLookup.resolve(image, replicas, topicData.name(), topicData.topicId(), partitionData.index());
                if (resolved.error() != Errors.NONE) {
                    fail(partitionResponse, resolved.error(), null);
                    continue;
                }
                if (Topic.isInternal(resolved.topic().name())) {
                    // __consumer_offsets belongs to the group coordinator; Kafka refuses client writes the same way.
                    fail(partitionResponse, Errors.INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic " + resolved.topic().name());
                    continue;
                }
                MemoryRecords records = (MemoryRecords) partitionData.records();
                // The committed ISR from the image, as leadership is (PartitionLookup): the replica applies it a moment later.
                int isrSize = resolved.topic().partition(partitionData.index()).isr().size();
                Rejection rejection = precheck(records, acks, policyOf(resolved.topic()), isrSize);
                if (rejection != null) {
                    fail(partitionResponse, rejection.error(), rejection.message());
                    continue;
                }
                String topic = resolved.topic().name();
                var partition = resolved.partition();
                appends.add(verified(context, data.transactionalId(), records, partition).thenCompose(refused -> refused != null
                        ? CompletableFuture.completedFuture(refused) : partition.appendRecordsToLeader(records)).thenCompose(result -> {
                    if (result.error() != Errors.NONE || acks != -1) return CompletableFuture.completedFuture(result);
                    // acks=all: the answer waits until every ISR member has the records (the high watermark passed them).
                    long end = result.baseOffset() + countRecords(records);
                    return partition.awaitHighWatermark(end, data.timeoutMs()).thenApply(error -> error == Errors.NONE ? result
                            : AppendResult.error(error, error == Errors.REQUEST_TIMED_OUT
                                    ? "The ISR did not replicate the records within the request timeout" : null));
                }).thenAccept(result -> {
                    apply(partitionResponse, result);
                    if (result.error() == Errors.NONE) metrics.bytesIn(topic, records.sizeInBytes(), countRecords(records));
                }));
            }
        }
        return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).thenApply(v -> {
            if (acks != 0) return response;
            for (TopicProduceResponse t : response.responses()) {
                for (PartitionProduceResponse p : t.partitionResponses()) {
                    if (p.errorCode() != Errors.NONE.code())
                        throw new CloseConnectionException("acks=0 produce to " + t.name() + "-" + p.index() + " failed with "
                                + Errors.forCode(p.errorCode()).name());
                }
            }
            return null;
        });
    }

    /** The topic's name: as sent (v0-v12), else of its id in the image; null for an unknown id. */
    private static String topicName(MetadataImage image, ProduceRequestData.TopicProduceData topic) {
        if (topic.name() != null && !topic.name().isEmpty()) return topic.name();
        var known = image.topic(topic.topicId());
        return known == null ? null : known.name();
    }

    private static boolean hasTransactionalBatch(ProduceRequestData data) {
        for (ProduceRequestData.TopicProduceData t : data.topicData())
            for (ProduceRequestData.PartitionProduceData p : t.partitionData()) {
                if (!(p.records() instanceof MemoryRecords records)) continue;
                for (MutableRecordBatch batch : records.batches()) if (batch.isTransactional()) return true;
            }
        return false;
    }

    /** A request refused as a whole: answered, or with acks=0 (no answer is read) the connection closed, as by Kafka. */
    private static CompletionStage<ApiMessage> refuse(short acks, ApiMessage errorResponse) {
        if (acks == 0) return CompletableFuture.failedFuture(new CloseConnectionException("acks=0 produce refused: " + errorResponse));
        return CompletableFuture.completedFuture(errorResponse);
    }

    /**
     * KIP-890 part 1: the first transactional batch of a producer's transaction in a partition is
     * appended only once its coordinator confirms the partition is in that transaction. Completes
     * with null to go on, or the refusal: a coordinator that cannot answer now is retriable
     * (NOT_ENOUGH_REPLICAS, as Kafka maps it), a fenced producer INVALID_PRODUCER_EPOCH, and a
     * transaction without this partition TRANSACTION_ABORTABLE (INVALID_TXN_STATE before Produce v11).
     */
    private CompletableFuture<AppendResult> verified(RequestContext context, String transactionalId, MemoryRecords records,
                                                     io.runnel.broker.partition.Partition partition) {
        if (verifier == null || transactionalId == null) return CompletableFuture.completedFuture(null);
        MutableRecordBatch first = records.batches().iterator().next();
        if (!first.isTransactional() || partition.hasOpenTransaction(first.producerId())) return CompletableFuture.completedFuture(null);
        return verifier.verify(transactionalId, first.producerId(), first.producerEpoch(), partition.topicPartition()).thenApply(error -> switch (error) {
            case NONE -> null;
            case COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, CONCURRENT_TRANSACTIONS, REQUEST_TIMED_OUT ->
                    AppendResult.error(Errors.NOT_ENOUGH_REPLICAS, "The transaction coordinator could not verify the transaction yet (" + error.name() + ")");
            case PRODUCER_FENCED, INVALID_PRODUCER_EPOCH -> AppendResult.error(Errors.INVALID_PRODUCER_EPOCH, "The producer's epoch is fenced");
            default -> AppendResult.error(context.apiVersion() >= 11 ? Errors.TRANSACTION_ABORTABLE : Errors.INVALID_TXN_STATE,
                    "Partition " + partition.topicPartition() + " is not in an ongoing transaction of " + transactionalId + " (" + error.name() + ")");
        });
    }

    /** Why a partition's records are refused before they reach the log. */
    private record Rejection(Errors error, String message) {}

    /**
     * Checks that need no disk: a records field, no control batches, timestamps within
     * the topic's bounds (CreateTime topics), a key on every record of a compacted topic (Kafka
     * decodes the records for that too), and for acks=all an ISR of at least min.insync.replicas.
     * Null when the records may go on.
     */
    private Rejection precheck(MemoryRecords records, short acks, ProducePolicy policy, int isrSize) {
        if (records == null || records.sizeInBytes() == 0) return new Rejection(Errors.INVALID_RECORD, "No records");
        long nowMs = System.currentTimeMillis();
        long latestMs = saturatedAdd(nowMs, policy.timestampAfterMaxMs());
        try {
            for (MutableRecordBatch batch : records.batches()) {
                // Markers are the transaction coordinator's (WriteTxnMarkers), never a client's.
                if (batch.isControlBatch()) return new Rejection(Errors.INVALID_RECORD, "Clients may not write control batches");
                if (policy.createTime() && !timestampsWithinBounds(batch, nowMs, latestMs, policy.timestampBeforeMaxMs()))
                    return new Rejection(Errors.INVALID_TIMESTAMP,
                            "A record's timestamp is outside message.timestamp.before.max.ms/after.max.ms of the broker's time");
                if (policy.compacted()) {
                    for (org.apache.kafka.common.record.internal.Record record : batch) {
                        if (!record.hasKey()) return new Rejection(Errors.INVALID_RECORD, "Compacted topic cannot accept message without key");
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            return new Rejection(Errors.CORRUPT_MESSAGE, null); // a batch that cannot even be walked
        }
        if (acks == -1 && isrSize < policy.minInsyncReplicas())
            return new Rejection(Errors.NOT_ENOUGH_REPLICAS, "The size of the current ISR " + isrSize + " is insufficient to satisfy the min.isr requirement of "
                    + policy.minInsyncReplicas());
        return null;
    }

    /** The produce-time settings of a topic, parsed once per config version, not per request. */
    private record ProducePolicy(Map<String, String> overrides, Map<String, Map<String, String>> brokerDefaults, boolean createTime, long timestampAfterMaxMs,
                                 long timestampBeforeMaxMs, int minInsyncReplicas, boolean compacted) {}

    private ProducePolicy policyOf(TopicImage topic) {
        ProducePolicy cached = policies.get(topic.id());
        var image = controller.image();
        var brokerDefaults = image.brokerConfigs(); // replaced, not mutated, when a dynamic broker config changes
        if (cached != null && cached.overrides() == topic.configs() && cached.brokerDefaults() == brokerDefaults) return cached;
        Map<String, String> c = TopicConfigs.effective(topic.configs(), image.brokerConfig(config));
        ProducePolicy policy = new ProducePolicy(topic.configs(), brokerDefaults, c.get("message.timestamp.type").equals("CreateTime"),
                Long.parseLong(c.get("message.timestamp.after.max.ms")), Long.parseLong(c.get("message.timestamp.before.max.ms")),
                Integer.parseInt(c.get("min.insync.replicas")),
                List.of(c.get("cleanup.policy").replace(" ", "").split(",")).contains("compact"));
        policies.put(topic.id(), policy);
        return policy;
    }

    /**
     * Kafka rejects a batch if any record is too far in the future or past. The header's max
     * timestamp settles the future bound without decoding; only a finite past bound (not the
     * default) needs the records' own timestamps.
     */
    private static boolean timestampsWithinBounds(MutableRecordBatch batch, long nowMs, long latestMs, long beforeMaxMs) {
        if (batch.maxTimestamp() > latestMs) return false;
        if (beforeMaxMs == Long.MAX_VALUE) return true;
        long earliestMs = nowMs - beforeMaxMs;
        for (Record record : batch) {
            if (record.timestamp() >= 0 && record.timestamp() < earliestMs) return false;
        }
        return true;
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    private static long countRecords(MemoryRecords records) {
        long count = 0;
        for (MutableRecordBatch batch : records.batches()) count += batch.lastOffset() - batch.baseOffset() + 1;
        return count;
    }

    private static void apply(PartitionProduceResponse response, AppendResult result) {
        if (result.error() != Errors.NONE) {
            fail(response, result.error(), result.errorMessage());
            return;
        }
        response.setErrorCode(Errors.NONE.code()).setBaseOffset(result.baseOffset())
                .setLogAppendTimeMs(result.logAppendTimeMs()).setLogStartOffset(result.logStartOffset());
    }

    private static void fail(PartitionProduceResponse response, Errors error, String message) {
        response.setErrorCode(error.code()).setErrorMessage(message != null ? message : error.message())
                .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
    }
}
