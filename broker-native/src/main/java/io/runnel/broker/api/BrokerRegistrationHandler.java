package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * BrokerRegistration, on the controller listener: a broker joining (or rejoining) the cluster
 * asks the active controller for a broker epoch. A broker of another cluster gets
 * INCONSISTENT_CLUSTER_ID; a node that is not the active controller answers NOT_CONTROLLER and
 * the broker retries on the leader. Stateless.
 */
public final class BrokerRegistrationHandler implements ApiHandler {
    private static final Logger LOG = Logger.getLogger(BrokerRegistrationHandler.class);
    private final MetadataController controller;

    public BrokerRegistrationHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        BrokerRegistrationRequestData data = (BrokerRegistrationRequestData) request;
        String clusterId = controller.image().clusterId();
        if (!clusterId.equals(data.clusterId())) {
            LOG.warnf("Refusing the registration of broker %d from %s: it belongs to cluster %s, this is cluster %s", data.brokerId(),
                    context.clientAddress(), data.clusterId(), clusterId);
            return CompletableFuture.completedFuture(new BrokerRegistrationResponseData().setErrorCode(Errors.INCONSISTENT_CLUSTER_ID.code()));
        }
        List<BrokerImage.Endpoint> endpoints = new ArrayList<>();
        for (BrokerRegistrationRequestData.Listener l : data.listeners())
            endpoints.add(new BrokerImage.Endpoint(l.name(), l.host(), l.port(), l.securityProtocol()));
        return controller.registerBroker(new MetadataController.BrokerRegistration(data.brokerId(), data.incarnationId(), endpoints, data.rack()))
                .handle((epoch, error) -> error == null
                        ? new BrokerRegistrationResponseData().setBrokerEpoch(epoch)
                        : new BrokerRegistrationResponseData().setErrorCode(ControllerErrors.of(error).code()));
    }
}
