package io.runnel.broker.api;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.message.EnvelopeResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.EnvelopeRequest;
import org.apache.kafka.common.requests.EnvelopeResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.security.auth.KafkaPrincipalSerde;
import org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder;

import io.runnel.broker.cluster.ControllerChannel;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * A controller write (topic deletion, config changes, reassignments, elections, ACLs, SCRAM
 * credentials) arriving at a broker that is not the active controller: sent on, unchanged and with
 * the client's principal and address, in an Envelope (KIP-590) to the active controller's
 * controller listener, which serves and authorizes it as that client; its answer is returned. On
 * the active controller, or with no cluster, the local handler answers. Stateless.
 */
public final class ForwardingHandler implements ApiHandler {
    /** Kafka's own principal serialization for envelopes (type, name, token flag). */
    static final KafkaPrincipalSerde PRINCIPAL_SERDE = new DefaultKafkaPrincipalBuilder(null, null);

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
        RequestHeader header = context.header();
        ByteBuffer requestData = RequestUtils.serialize(header.data(), header.headerVersion(), request, header.apiVersion());
        InetAddress client = context.clientAddress() == null || context.clientAddress().getAddress() == null
                ? InetAddress.getLoopbackAddress() : context.clientAddress().getAddress();
        EnvelopeRequest.Builder envelope = new EnvelopeRequest.Builder(requestData, PRINCIPAL_SERDE.serialize(context.principal()),
                client.getAddress());
        // No controller reachable right now: the local handler answers (NOT_CONTROLLER, which clients retry).
        return channel.send(envelope)
                .handle((response, error) -> error == null ? CompletableFuture.completedFuture(unwrap(context, request, (EnvelopeResponse) response))
                        : local.handle(context, request).toCompletableFuture().thenApply(m -> (ApiMessage) m))
                .thenCompose(answer -> answer);
    }

    /** The inner response, or the inner API's error response for an envelope that failed as a whole. */
    private static ApiMessage unwrap(RequestContext context, ApiMessage request, EnvelopeResponse response) {
        EnvelopeResponseData data = response.data();
        Errors error = Errors.forCode(data.errorCode());
        if (error == Errors.NONE && data.responseData() != null)
            return AbstractResponse.parseResponse(data.responseData().duplicate(), context.header()).data();
        if (error == Errors.NONE) error = Errors.UNKNOWN_SERVER_ERROR;
        AbstractRequest parsed = AbstractRequest.parseRequest(context.apiKey(), context.apiVersion(),
                new ByteBufferAccessor(MessageUtil.toByteBufferAccessor(request, context.apiVersion()).buffer())).request;
        return parsed.getErrorResponse(0, error.exception()).data();
    }
}
