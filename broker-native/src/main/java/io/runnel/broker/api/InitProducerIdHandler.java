package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import org.jboss.logging.Logger;

import io.runnel.broker.producer.ProducerIdManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * InitProducerId for idempotent producers: a fresh producer id at epoch 0, as Kafka gives every
 * non-transactional producer (also when it asks to bump an old id, KIP-360). Transactional ids
 * need the transaction coordinator, which does not exist yet: those requests are refused.
 */
public final class InitProducerIdHandler implements ApiHandler {
    private static final Logger LOG = Logger.getLogger(InitProducerIdHandler.class);
    private final ProducerIdManager producerIds;

    public InitProducerIdHandler(ProducerIdManager producerIds) {
        this.producerIds = producerIds;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        InitProducerIdRequestData data = (InitProducerIdRequestData) request;
        if (data.transactionalId() != null) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData().setProducerId(-1).setProducerEpoch((short) -1)
                    .setErrorCode(Errors.UNSUPPORTED_VERSION.code()));
        }
        return producerIds.nextProducerId().handle((id, error) -> {
            if (error == null) return new InitProducerIdResponseData().setProducerId(id).setProducerEpoch((short) 0).setErrorCode(Errors.NONE.code());
            // No block of ids could be reserved (no active controller reachable right now): the producer retries this code.
            LOG.infof("InitProducerId from %s: no producer id block available (%s)", context, error.toString());
            return new InitProducerIdResponseData().setProducerId(-1).setProducerEpoch((short) -1)
                    .setErrorCode(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        });
    }
}
