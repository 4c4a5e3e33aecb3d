package io.runnel.broker.protocol;

import java.net.InetSocketAddress;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;

import io.vertx.core.Context;

/**
 * Who asked what: the parsed header of one request, the listener and peer it came from, the
 * authenticated principal (SASL user, mapped client-certificate DN, or {@code User:ANONYMOUS}; what
 * authorization will check), and the event-loop context of its connection (where its response
 * must be written). Immutable.
 */
public record RequestContext(RequestHeader header, String listenerName, InetSocketAddress clientAddress,
                             String connectionId, Context eventLoop, KafkaPrincipal principal) {

    /** A request on a connection without authentication (PLAINTEXT listeners, tools, tests). */
    public RequestContext(RequestHeader header, String listenerName, InetSocketAddress clientAddress, String connectionId, Context eventLoop) {
        this(header, listenerName, clientAddress, connectionId, eventLoop, KafkaPrincipal.ANONYMOUS);
    }

    public ApiKeys apiKey() {
        return header.apiKey();
    }

    public short apiVersion() {
        return header.apiVersion();
    }

    @Override
    public String toString() {
        return apiKey().name + " v" + apiVersion() + " (correlation id " + header.correlationId() + ") from "
                + header.clientId() + "@" + clientAddress + " (" + principal + ") on " + connectionId;
    }
}
