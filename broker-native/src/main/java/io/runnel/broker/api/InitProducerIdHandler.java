package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;

import org.jboss.logging.Logger;

import io.runnel.broker.producer.ProducerIdManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * InitProducerId. Without a transactional id (idempotent producers): a fresh producer id at epoch
 * 0, as Kafka gives every non-transactional producer (also when it asks to bump an old id,
 * KIP-360). With one: the transaction coordinator of that id, which bumps its epoch (fencing older
 * instances) and aborts a transaction the previous instance left open. A producer id and epoch
 * must come together or not at all (INVALID_REQUEST otherwise); before v4 PRODUCER_FENCED is
 * answered as INVALID_PRODUCER_EPOCH, which those clients understand. Two-phase commit (KIP-939)
 * is not enabled: enable2Pc is refused as Kafka refuses it with transaction.two.phase.commit.enable=false.
 */
public final class InitProducerIdHandler implements ApiHandler {
    private static final Logger LOG = Logger.getLogger(InitProducerIdHandler.class);
    private final ProducerIdManager producerIds;
    private final TransactionCoordinator transactions;

    public InitProducerIdHandler(ProducerIdManager producerIds, TransactionCoordinator transactions) {
        this.producerIds = producerIds;
        this.transactions = transactions;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        InitProducerIdRequestData data = (InitProducerIdRequestData) request;
        if (data.transactionalId() != null) return initTransactional(context, data);
        return producerIds.nextProducerId().handle((id, error) -> {
            if (error == null) return new InitProducerIdResponseData().setProducerId(id).setProducerEpoch((short) 0).setErrorCode(Errors.NONE.code());
            // No block of ids could be reserved (no active controller reachable right now): the producer retries this code.
            LOG.infof("InitProducerId from %s: no producer id block available (%s)", context, error.toString());
            return error(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        });
    }

    private CompletionStage<ApiMessage> initTransactional(RequestContext context, InitProducerIdRequestData data) {
        boolean noProducerId = data.producerId() == RecordBatch.NO_PRODUCER_ID;
        boolean noEpoch = data.producerEpoch() == RecordBatch.NO_PRODUCER_EPOCH;
        if (noProducerId != noEpoch) return CompletableFuture.completedFuture(error(Errors.INVALID_REQUEST));
        if (data.enable2Pc()) return CompletableFuture.completedFuture(error(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
        if (data.keepPreparedTxn()) return CompletableFuture.completedFuture(error(Errors.INVALID_REQUEST)); // only with enable2Pc
        short version = context.apiVersion();
        return transactions.initProducerId(data.transactionalId(), data.transactionTimeoutMs(), data.producerId(), data.producerEpoch())
                .thenApply(result -> {
                    Errors error = result.error() == Errors.PRODUCER_FENCED && version < 4 ? Errors.INVALID_PRODUCER_EPOCH : result.error();
                    return new InitProducerIdResponseData().setErrorCode(error.code()).setProducerId(result.producerId())
                            .setProducerEpoch(result.producerEpoch());
                });
    }

    private static InitProducerIdResponseData error(Errors error) {
        return new InitProducerIdResponseData().setProducerId(RecordBatch.NO_PRODUCER_ID).setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH)
                .setErrorCode(error.code());
    }
}
