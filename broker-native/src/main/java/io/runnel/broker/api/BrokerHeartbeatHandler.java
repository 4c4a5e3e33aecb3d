package io.runnel.broker.api;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * BrokerHeartbeat, on the controller listener: renews a registered broker's session with the
 * active controller and tells it whether it is fenced, caught up, or may shut down. Stateless.
 */
public final class BrokerHeartbeatHandler implements ApiHandler {
    private final MetadataController controller;

    public BrokerHeartbeatHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        BrokerHeartbeatRequestData data = (BrokerHeartbeatRequestData) request;
        return controller.heartbeat(data.brokerId(), data.brokerEpoch(), data.currentMetadataOffset(), data.wantFence(), data.wantShutDown())
                .handle((result, error) -> error == null
                        ? new BrokerHeartbeatResponseData().setIsFenced(result.fenced()).setIsCaughtUp(result.caughtUp())
                                .setShouldShutDown(result.shouldShutDown())
                        : new BrokerHeartbeatResponseData().setIsFenced(true).setErrorCode(ControllerErrors.of(error).code()));
    }
}
