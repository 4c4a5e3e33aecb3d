package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.cluster.ControllerChannel;
import io.runnel.broker.cluster.ForwardedRequest;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * A controller write (topic deletion, config changes, reassignments, elections) arriving at a
 * broker that is not the active controller: sent on unchanged to the active controller's
 * controller listener and its answer returned, as Kafka's brokers forward such requests. On the
 * active controller, or with no cluster, the local handler answers. Stateless.
 */
public final class ForwardingHandler implements ApiHandler {
    private final ApiHandler local;
    private final BooleanSupplier activeController;
    private final ControllerChannel channel;

    public ForwardingHandler(ApiHandler local, BooleanSupplier activeController, ControllerChannel channel) {
        this.local = local;
        this.activeController = activeController;
        this.channel = channel;
    }

    @Override
    public CompletionStage<? extends ApiMessage> handle(RequestContext context, ApiMessage request) {
        if (channel == null || activeController.getAsBoolean()) return local.handle(context, request);
        // No controller reachable right now: the local handler answers (NOT_CONTROLLER, which clients retry).
        return channel.send(new ForwardedRequest(context.apiKey(), context.apiVersion(), request))
                .handle((response, error) -> error == null ? CompletableFuture.<ApiMessage>completedFuture(response.data())
                        : local.handle(context, request).toCompletableFuture().thenApply(m -> (ApiMessage) m))
                .thenCompose(answer -> answer);
    }
}
