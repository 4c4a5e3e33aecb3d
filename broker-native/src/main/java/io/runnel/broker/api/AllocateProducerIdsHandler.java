package io.runnel.broker.api;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.AllocateProducerIdsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * AllocateProducerIds, on the controller listener: a broker that hands out producer ids asks the
 * active controller for a fresh block, reserved in the metadata log. Stateless.
 */
public final class AllocateProducerIdsHandler implements ApiHandler {
    private final MetadataController controller;

    public AllocateProducerIdsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        return controller.allocateProducerIdBlockHere().handle((first, error) -> error == null
                ? new AllocateProducerIdsResponseData().setProducerIdStart(first).setProducerIdLen(MetadataController.PRODUCER_ID_BLOCK_SIZE)
                : new AllocateProducerIdsResponseData().setProducerIdStart(-1).setErrorCode(ControllerErrors.of(error).code()));
    }
}
