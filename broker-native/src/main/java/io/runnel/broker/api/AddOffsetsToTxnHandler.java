package io.runnel.broker.api;

import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * AddOffsetsToTxn: adds the group's {@code __consumer_offsets} partition (Kafka's placement, over
 * that topic as it exists) to the producer's transaction, so that its markers also end the
 * offsets the producer then commits with TxnOffsetCommit. Before v2 PRODUCER_FENCED is answered
 * as INVALID_PRODUCER_EPOCH, as Kafka.
 */
public final class AddOffsetsToTxnHandler implements ApiHandler {
    private final TransactionCoordinator transactions;
    private final GroupCoordinator groups;

    public AddOffsetsToTxnHandler(TransactionCoordinator transactions, GroupCoordinator groups) {
        this.transactions = transactions;
        this.groups = groups;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AddOffsetsToTxnRequestData data = (AddOffsetsToTxnRequestData) request;
        short version = context.apiVersion();
        TopicPartition offsetsPartition = new TopicPartition(GroupConfig.OFFSETS_TOPIC, groups.partitionFor(data.groupId()));
        return transactions.addPartitions(data.transactionalId(), data.producerId(), data.producerEpoch(), List.of(offsetsPartition))
                .thenApply(error -> {
                    Errors answered = error == Errors.PRODUCER_FENCED && version < 2 ? Errors.INVALID_PRODUCER_EPOCH : error;
                    return new AddOffsetsToTxnResponseData().setErrorCode(answered.code());
                });
    }
}
