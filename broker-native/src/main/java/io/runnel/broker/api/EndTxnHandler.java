package io.runnel.broker.api;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * EndTxn: commits or aborts the producer's transaction. Answered once PREPARE_COMMIT/PREPARE_ABORT
 * is durable in {@code __transaction_state}; the markers follow. Before v2 PRODUCER_FENCED is
 * answered as INVALID_PRODUCER_EPOCH, as Kafka. The v5 producer id and epoch (transaction version
 * 2, not advertised) are left at -1.
 */
public final class EndTxnHandler implements ApiHandler {
    private final TransactionCoordinator coordinator;

    public EndTxnHandler(TransactionCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        EndTxnRequestData data = (EndTxnRequestData) request;
        short version = context.apiVersion();
        return coordinator.endTransaction(data.transactionalId(), data.producerId(), data.producerEpoch(), data.committed()).thenApply(error -> {
            Errors answered = error == Errors.PRODUCER_FENCED && version < 2 ? Errors.INVALID_PRODUCER_EPOCH : error;
            return new EndTxnResponseData().setErrorCode(answered.code()).setProducerId(RecordBatch.NO_PRODUCER_ID)
                    .setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
        });
    }
}
