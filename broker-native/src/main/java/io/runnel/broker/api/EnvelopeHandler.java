package io.runnel.broker.api;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.EnvelopeRequestData;
import org.apache.kafka.common.message.EnvelopeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.jboss.logging.Logger;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * Envelope (KIP-590), on the controller listener: a client's controller write that another broker
 * forwarded, with the client's principal and address. The inner request is served by the same
 * handler as a direct one, as that principal, so every authorization check sees the client and
 * not the forwarding broker (which itself needs CLUSTER_ACTION, checked by the guard around this
 * handler). The inner response goes back serialized in the envelope. An inner API that is not a
 * controller write, or bytes that do not parse, are answered INVALID_REQUEST. Stateless.
 */
public final class EnvelopeHandler implements ApiHandler {
    private static final Logger LOG = Logger.getLogger(EnvelopeHandler.class);
    private final Map<ApiKeys, ApiHandler> writes;

    /** @param writes the handlers of the APIs brokers forward */
    public EnvelopeHandler(Map<ApiKeys, ApiHandler> writes) {
        this.writes = Map.copyOf(writes);
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        EnvelopeRequestData envelope = (EnvelopeRequestData) request;
        RequestHeader header;
        ApiMessage inner;
        RequestContext innerContext;
        try {
            ByteBuffer buffer = envelope.requestData().duplicate();
            header = RequestHeader.parse(buffer);
            inner = AbstractRequest.parseRequest(header.apiKey(), header.apiVersion(), new ByteBufferAccessor(buffer)).request.data();
            KafkaPrincipal principal = ForwardingHandler.PRINCIPAL_SERDE.deserialize(envelope.requestPrincipal());
            InetAddress address = InetAddress.getByAddress(envelope.clientHostAddress());
            innerContext = new RequestContext(header, context.listenerName(), new InetSocketAddress(address, 0), context.connectionId(),
                    context.eventLoop(), principal);
        } catch (RuntimeException | UnknownHostException e) {
            LOG.warnf("Envelope from %s that does not parse: %s", context, e.toString());
            return CompletableFuture.completedFuture(new EnvelopeResponseData().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        ApiHandler handler = writes.get(header.apiKey());
        if (handler == null) {
            LOG.warnf("Envelope from %s carries %s, which is not forwarded", context, header.apiKey());
            return CompletableFuture.completedFuture(new EnvelopeResponseData().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        return handler.handle(innerContext, inner).thenApply(response -> {
            ResponseHeader responseHeader = header.toResponseHeader();
            return new EnvelopeResponseData().setResponseData(
                    RequestUtils.serialize(responseHeader.data(), responseHeader.headerVersion(), response, header.apiVersion()));
        });
    }
}
