package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * AddPartitionsToTxn. v0–v3 (producers): one transaction, its partitions added before the
 * producer writes to them. v4+ (brokers, batched; KIP-890 part 1): several transactions, each
 * either added or, with verifyOnly, checked (is each partition already in the transaction?).
 * As Kafka: if any partition of a transaction is not in the metadata, those get
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, and nothing is added; a
 * transaction-level answer is repeated for each partition. Before v2 PRODUCER_FENCED is answered
 * as INVALID_PRODUCER_EPOCH.
 */
public final class AddPartitionsToTxnHandler implements ApiHandler {
    private final TransactionCoordinator coordinator;
    private final MetadataController controller;

    public AddPartitionsToTxnHandler(TransactionCoordinator coordinator, MetadataController controller) {
        this.coordinator = coordinator;
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AddPartitionsToTxnRequestData data = (AddPartitionsToTxnRequestData) request;
        short version = context.apiVersion();
        if (version < 4) {
            return handleOne(data.v3AndBelowTransactionalId(), data.v3AndBelowProducerId(), data.v3AndBelowProducerEpoch(), false,
                    partitionsOf(data.v3AndBelowTopics()), version).thenApply(result ->
                    new AddPartitionsToTxnResponseData().setResultsByTopicV3AndBelow(topicResults(result)));
        }
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Map<TopicPartition, Errors>>> results = new ArrayList<>();
        for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction t : data.transactions()) {
            ids.add(t.transactionalId());
            results.add(handleOne(t.transactionalId(), t.producerId(), t.producerEpoch(), t.verifyOnly(), partitionsOf(t.topics()), version));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
            for (int i = 0; i < ids.size(); i++) {
                response.resultsByTransaction().add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnResult()
                        .setTransactionalId(ids.get(i)).setTopicResults(topicResults(results.get(i).join())));
            }
            return response;
        });
    }

    private CompletableFuture<Map<TopicPartition, Errors>> handleOne(String transactionalId, long producerId, short producerEpoch, boolean verifyOnly,
                                                                    List<TopicPartition> partitions, short version) {
        Map<TopicPartition, Errors> refused = refuseUnknown(controller.image(), partitions);
        if (refused != null) return CompletableFuture.completedFuture(refused);
        if (verifyOnly) return coordinator.verifyPartitions(transactionalId, producerId, producerEpoch, partitions);
        return coordinator.addPartitions(transactionalId, producerId, producerEpoch, partitions).thenApply(error -> {
            Errors answered = error == Errors.PRODUCER_FENCED && version < 2 ? Errors.INVALID_PRODUCER_EPOCH : error;
            Map<TopicPartition, Errors> result = new LinkedHashMap<>();
            for (TopicPartition tp : partitions) result.put(tp, answered);
            return result;
        });
    }

    /**
     * Kafka's answer when some partitions are not in the metadata: UNKNOWN_TOPIC_OR_PARTITION for
     * those, OPERATION_NOT_ATTEMPTED for the others; null when all exist.
     */
    public static Map<TopicPartition, Errors> refuseUnknown(MetadataImage image, List<TopicPartition> partitions) {
        List<TopicPartition> unknown = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            TopicImage topic = image.topic(tp.topic());
            if (topic == null || topic.partition(tp.partition()) == null) unknown.add(tp);
        }
        if (unknown.isEmpty()) return null;
        Map<TopicPartition, Errors> result = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) result.put(tp, unknown.contains(tp) ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.OPERATION_NOT_ATTEMPTED);
        return result;
    }

    private static List<TopicPartition> partitionsOf(AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic t : topics) {
            for (int p : t.partitions()) {
                TopicPartition tp = new TopicPartition(t.name(), p);
                if (!partitions.contains(tp)) partitions.add(tp);
            }
        }
        return partitions;
    }

    private static AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection topicResults(Map<TopicPartition, Errors> errors) {
        AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection topics = new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection();
        errors.forEach((tp, error) -> {
            AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult topic = topics.find(tp.topic());
            if (topic == null) {
                topic = new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult().setName(tp.topic());
                topics.add(topic);
            }
            topic.resultsByPartition().add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult()
                    .setPartitionIndex(tp.partition()).setPartitionErrorCode(error.code()));
        });
        return topics;
    }
}
