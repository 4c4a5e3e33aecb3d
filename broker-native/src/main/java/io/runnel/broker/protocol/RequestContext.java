package io.runnel.broker.protocol;

import java.net.InetSocketAddress;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;

import io.vertx.core.Context;

/**
 * Who asked what: the parsed header of one request, the listener and peer it came from, and the
 * event-loop context of its connection (where its response must be written). Immutable.
 */
public record RequestContext(RequestHeader header, String listenerName, InetSocketAddress clientAddress,
                             String connectionId, Context eventLoop) {

    public ApiKeys apiKey() {
        return header.apiKey();
    }

    public short apiVersion() {
        return header.apiVersion();
    }

    @Override
    public String toString() {
        return apiKey().name + " v" + apiVersion() + " (correlation id " + header.correlationId() + ") from "
                + header.clientId() + "@" + clientAddress + " on " + connectionId;
    }
}
