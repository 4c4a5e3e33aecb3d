package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntSupplier;

import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** DescribeCluster: the registered brokers, the controller and the cluster id. */
public final class DescribeClusterHandler implements ApiHandler {
    /** DescribeCluster endpoint types (KIP-919): 1 = brokers, 2 = controllers. */
    private static final byte BROKER_ENDPOINT = 1;

    private final MetadataController controller;
    private final IntSupplier controllerId;

    /** @param controllerId the active controller's id now, or -1 while there is none */
    private final io.runnel.broker.security.Authorization authorization;

    public DescribeClusterHandler(MetadataController controller, IntSupplier controllerId) {
        this(controller, controllerId, io.runnel.broker.security.Authorization.disabled());
    }

    /** With authorization: what the principal may do on the cluster, when the request asks (include_cluster_authorized_operations). */
    public DescribeClusterHandler(MetadataController controller, IntSupplier controllerId, io.runnel.broker.security.Authorization authorization) {
        this.controller = controller;
        this.controllerId = controllerId;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeClusterRequestData data = (DescribeClusterRequestData) request;
        MetadataImage image = controller.image();
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setClusterId(image.clusterId()).setControllerId(controllerId.getAsInt()).setEndpointType(BROKER_ENDPOINT);
        if (data.endpointType() != BROKER_ENDPOINT) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"));
        }
        for (BrokerImage broker : image.brokers().values()) {
            if (broker.fenced() && !data.includeFencedBrokers()) continue;
            BrokerImage.Endpoint endpoint = broker.endpointFor(context.listenerName());
            if (endpoint == null) continue;
            response.brokers().add(new DescribeClusterResponseData.DescribeClusterBroker().setBrokerId(broker.id())
                    .setHost(endpoint.host()).setPort(endpoint.port()).setRack(broker.rack()).setIsFenced(broker.fenced()));
        }
        if (data.includeClusterAuthorizedOperations())
            response.setClusterAuthorizedOperations(authorization.authorizedOperations(context,
                    org.apache.kafka.common.resource.ResourceType.CLUSTER, io.runnel.broker.security.Authorization.CLUSTER_NAME));
        return CompletableFuture.completedFuture(response);
    }
}
