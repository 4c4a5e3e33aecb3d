package io.runnel.broker.network;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

import org.apache.kafka.common.protocol.ApiMessage;
import org.jboss.logging.Logger;

import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.protocol.RequestDecoder;
import io.runnel.broker.protocol.EncodedResponse;
import io.runnel.broker.protocol.ResponseEncoder;
import io.runnel.broker.protocol.SupportedApis;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

/**
 * One client connection: splits the byte stream into size-prefixed frames, serves requests
 * concurrently up to {@code maxInflight}, and writes responses strictly in request order.
 *
 * <p>Invariants: responses leave in the order requests arrived; at most {@code maxInflight}
 * requests are being served; while that limit is reached, or the socket's write queue is full, the
 * socket is paused, so a fast client is slowed down instead of buffered without bound.
 * Threading: everything runs on the connection's event loop; handler completions hop back to it.
 */
final class KafkaConnection {
    private static final Logger LOG = Logger.getLogger(KafkaConnection.class);

    private final NetSocketInternal socket;
    private final Context eventLoop;
    private final String listenerName;
    private final String connectionId;
    private final InetSocketAddress peer;
    private final SupportedApis apis;
    private final RequestDecoder decoder;
    private final BrokerMetrics metrics;
    private final int maxRequestBytes;
    private final int maxInflight;

    private Buffer pending = Buffer.buffer();
    private final ArrayDeque<ByteBuffer> waitingFrames = new ArrayDeque<>();
    private final ArrayDeque<ResponseSlot> inflight = new ArrayDeque<>();
    private boolean paused;
    private boolean closed;

    /** A request being served; {@code response} is set when done (null = none to send); this connection owns it until written. */
    private static final class ResponseSlot {
        boolean done;
        EncodedResponse response;
    }

    KafkaConnection(NetSocket socket, Context eventLoop, String listenerName, SupportedApis apis, BrokerMetrics metrics,
                    int maxRequestBytes, int maxInflight) {
        // Internal API for writeMessage: responses are pooled Netty buffers that Netty must release.
        this.socket = (NetSocketInternal) socket;
        this.eventLoop = eventLoop;
        this.listenerName = listenerName;
        this.apis = apis;
        this.decoder = new RequestDecoder(apis);
        this.metrics = metrics;
        this.maxRequestBytes = maxRequestBytes;
        this.maxInflight = maxInflight;
        this.peer = new InetSocketAddress(socket.remoteAddress().host(), socket.remoteAddress().port());
        this.connectionId = socket.localAddress().host() + ":" + socket.localAddress().port() + "-" + peer.getHostString() + ":" + peer.getPort();
    }

    void start() {
        metrics.connectionOpened();
        socket.handler(this::onData);
        socket.drainHandler(v -> updateReadState());
        socket.closeHandler(v -> {
            if (!closed && pending.length() > 0) {
                int expected = pending.length() >= 4 ? pending.getInt(0) + 4 : -1;
                LOG.infof("Connection %s closed by the client mid-request: %d of %s request bytes received (truncated request)",
                        connectionId, pending.length(), expected < 0 ? "?" : Integer.toString(expected));
            }
            closed = true;
            releaseUnsentResponses();
            metrics.connectionClosed();
        });
        socket.exceptionHandler(e -> LOG.debugf("Connection %s: %s", connectionId, e.toString()));
    }

    private void onData(Buffer data) {
        if (closed) return;
        long startNanos = System.nanoTime();
        pending.appendBuffer(data);
        splitFrames();
        dispatchWaiting();
        updateReadState();
        metrics.networkBusy(System.nanoTime() - startNanos);
    }

    private void splitFrames() {
        int pos = 0;
        int length = pending.length();
        while (!closed && length - pos >= 4) {
            int size = pending.getInt(pos);
            if (size < 0 || size > maxRequestBytes) {
                closeForProtocolError("request size " + size + " is outside 0.." + maxRequestBytes + " (socket.request.max.bytes)");
                return;
            }
            if (length - pos - 4 < size) break;
            waitingFrames.add(ByteBuffer.wrap(pending.getBytes(pos + 4, pos + 4 + size)));
            pos += 4 + size;
        }
        pending = pos == length ? Buffer.buffer() : pending.getBuffer(pos, length);
    }

    private void dispatchWaiting() {
        while (!closed && inflight.size() < maxInflight && !waitingFrames.isEmpty()) {
            dispatch(waitingFrames.poll());
        }
    }

    private void dispatch(ByteBuffer frame) {
        long startNanos = System.nanoTime();
        RequestDecoder.Decoded decoded = decoder.decode(frame);
        switch (decoded) {
            case RequestDecoder.Invalid invalid -> closeForProtocolError(invalid.reason());
            case RequestDecoder.ImmediateResponse immediate -> {
                ResponseSlot slot = enqueueSlot();
                complete(slot, ResponseEncoder.encode(immediate.correlationId(), (short) 0, immediate.body(), immediate.version()));
            }
            case RequestDecoder.Request request -> {
                ResponseSlot slot = enqueueSlot();
                RequestContext context = new RequestContext(request.header(), listenerName, peer, connectionId, eventLoop);
                apis.handler(context.apiKey()).handle(context, request.body()).whenComplete((response, error) ->
                        eventLoop.runOnContext(v -> onHandled(context, slot, response, error, startNanos)));
            }
        }
    }

    private void onHandled(RequestContext context, ResponseSlot slot, ApiMessage response, Throwable error, long startNanos) {
        long handledNanos = System.nanoTime();
        try {
            respond(context, slot, response, error, startNanos);
        } finally {
            metrics.networkBusy(System.nanoTime() - handledNanos);
        }
    }

    private void respond(RequestContext context, ResponseSlot slot, ApiMessage response, Throwable error, long startNanos) {
        metrics.recordRequest(context.apiKey(), System.nanoTime() - startNanos);
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof CloseConnectionException close) {
            closeForProtocolError(context + ": " + close.getMessage());
            return;
        }
        if (cause != null) {
            // Handlers answer every client mistake with an error code; reaching here is our bug.
            LOG.errorf(cause, "Failed to serve %s; closing the connection", context);
            closeNow();
            return;
        }
        if (response == null) {
            complete(slot, null);
            return;
        }
        short version = context.apiVersion();
        EncodedResponse encoded;
        try {
            encoded = ResponseEncoder.encode(context.header().correlationId(), context.apiKey().responseHeaderVersion(version), response, version);
        } catch (RuntimeException e) {
            // A response this version cannot express is our bug; the client must not wait for it forever.
            LOG.errorf(e, "Cannot encode the response to %s; closing the connection", context);
            closeNow();
            return;
        }
        complete(slot, encoded);
    }

    private ResponseSlot enqueueSlot() {
        ResponseSlot slot = new ResponseSlot();
        inflight.add(slot);
        return slot;
    }

    private void complete(ResponseSlot slot, EncodedResponse response) {
        slot.done = true;
        slot.response = response;
        while (!inflight.isEmpty() && inflight.peek().done) {
            ResponseSlot head = inflight.poll();
            if (head.response == null) continue;
            if (closed) {
                head.response.release();
            } else {
                // Buffers and file regions, in order, on this event loop: Netty releases each once written.
                for (Object part : head.response.parts()) socket.writeMessage(part);
            }
        }
        dispatchWaiting();
        updateReadState();
    }

    /** Pauses reading while we cannot take more work or the peer is not draining our writes. */
    private void updateReadState() {
        if (closed) return;
        boolean shouldPause = !waitingFrames.isEmpty() || socket.writeQueueFull();
        if (shouldPause && !paused) {
            socket.pause();
            paused = true;
        } else if (!shouldPause && paused) {
            socket.resume();
            paused = false;
        }
    }

    /** Closes a connection that sent something we cannot parse; everyone else keeps being served. */
    void closeForProtocolError(String reason) {
        LOG.warnf("Closing connection %s: %s", connectionId, reason);
        closeNow();
    }

    void closeNow() {
        if (closed) return;
        closed = true;
        waitingFrames.clear();
        releaseUnsentResponses();
        socket.close();
    }

    /** Responses finished but held behind an unfinished earlier one are never sent once closed. */
    private void releaseUnsentResponses() {
        for (ResponseSlot slot : inflight) {
            if (slot.response != null) {
                slot.response.release();
                slot.response = null;
            }
        }
    }
}
