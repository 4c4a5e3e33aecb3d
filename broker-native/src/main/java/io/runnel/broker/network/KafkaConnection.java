package io.runnel.broker.network;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;
import org.jboss.logging.Logger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.runnel.broker.config.ListenerSecurity;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.protocol.CloseConnectionException;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.protocol.RequestDecoder;
import io.runnel.broker.protocol.EncodedResponse;
import io.runnel.broker.protocol.ResponseEncoder;
import io.runnel.broker.protocol.SupportedApis;
import io.runnel.broker.quota.ClientQuotas;
import io.runnel.broker.quota.ConnectionQuotas;
import io.runnel.broker.security.SaslAuthenticator;
import io.runnel.broker.security.SaslServers;
import io.runnel.broker.security.TlsPrincipals;
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
 *
 * <p>Security: TLS is terminated by Vert.x before any byte reaches here (so responses carry no
 * file regions on TLS: {@code sendfile} would bypass the TLS engine). On a SASL listener every
 * request first passes the connection's {@link SaslAuthenticator}, which serves only ApiVersions
 * and the SASL exchange until the client is authenticated; a connection still unauthenticated
 * {@code connections.max.unauthenticated.ms} after it opened is closed. Every request carries the
 * connection's principal in its {@link RequestContext}.
 *
 * <p>Quotas: requests pass the listener's {@link ClientQuotas} around their handler; a response
 * with a throttle time is sent at once, and then nothing more is read or dispatched until the
 * throttle ends (KIP-219). The connection holds its place in the {@link ConnectionQuotas} counts
 * until it closes. A failed authentication's answer and close wait
 * {@code connection.failed.authentication.delay.ms}.
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
    private final ListenerSecurity security;
    /** Null unless the listener is SASL_PLAINTEXT or SASL_SSL. */
    private final SaslAuthenticator sasl;
    /** False on TLS: file regions cannot pass through the TLS engine. */
    private final boolean fileRegions;
    /** The principal of a connection without SASL: User:ANONYMOUS, or the mapped client-certificate DN on TLS. */
    private KafkaPrincipal principal = KafkaPrincipal.ANONYMOUS;
    private long unauthenticatedTimerId = -1;
    /** A response that ends the connection is queued: nothing more is read or served. */
    private boolean closing;
    /** Null on listeners without client quotas (the controller listener). */
    private final ClientQuotas quotas;
    /** This connection's place in the connection limits; null on listeners without them. */
    private final ConnectionQuotas.Lease lease;
    private final long failedAuthenticationDelayMs;
    /** While >= 0, the connection is muted for a quota: nothing is read or dispatched until this timer fires. */
    private long throttleTimerId = -1;
    private long throttleEndNanos;

    private Buffer pending = Buffer.buffer();
    private final ArrayDeque<ByteBuffer> waitingFrames = new ArrayDeque<>();
    private final ArrayDeque<ResponseSlot> inflight = new ArrayDeque<>();
    private boolean paused;
    private boolean closed;

    /** A request being served; {@code response} is set when done (null = none to send); this connection owns it until written. */
    private static final class ResponseSlot {
        boolean done;
        EncodedResponse response;
        /** Close the connection once this response is written (failed authentication, Kafka's way). */
        boolean closeAfter;
    }

    /** @param saslServers the listener's SASL servers; null unless {@code security} is a SASL protocol */
    KafkaConnection(NetSocket socket, Context eventLoop, String listenerName, SupportedApis apis, BrokerMetrics metrics,
                    int maxRequestBytes, int maxInflight, ListenerSecurity security, SaslServers saslServers) {
        this(socket, eventLoop, listenerName, apis, metrics, maxRequestBytes, maxInflight, security, saslServers, null, null, 0);
    }

    /**
     * @param quotas                      the listener's client quotas; null for none
     * @param lease                       the connection's place in the connection limits, closed with it; null for none
     * @param failedAuthenticationDelayMs how long a failed authentication's answer and close wait
     */
    KafkaConnection(NetSocket socket, Context eventLoop, String listenerName, SupportedApis apis, BrokerMetrics metrics,
                    int maxRequestBytes, int maxInflight, ListenerSecurity security, SaslServers saslServers,
                    ClientQuotas quotas, ConnectionQuotas.Lease lease, long failedAuthenticationDelayMs) {
        this.quotas = quotas;
        this.lease = lease;
        this.failedAuthenticationDelayMs = failedAuthenticationDelayMs;
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
        this.security = security;
        this.fileRegions = !security.usesTls();
        this.sasl = security.usesSasl() ? new SaslAuthenticator(listenerName, peer.getHostString() + ":" + peer.getPort(), saslServers, metrics) : null;
    }

    void start() {
        metrics.connectionOpened();
        if (security.usesTls() && sasl == null) {
            try {
                principal = TlsPrincipals.of(socket.sslSession(), SslPrincipalMapper.fromRules(security.tls().principalMappingRules()));
                LOG.debugf("Connection %s on listener %s: TLS client %s", connectionId, listenerName, principal);
            } catch (IllegalArgumentException e) {
                LOG.warnf("Closing connection %s on listener %s: %s", connectionId, listenerName, e.getMessage());
                socket.close();
                metrics.connectionClosed();
                closed = true;
                if (lease != null) lease.close();
                return;
            }
        }
        if (sasl != null) {
            // Kafka bounds such connections only by connections.max.idle.ms; a client that opens connections and never
            // authenticates would hold them that long. Checked on this event loop, so no race with the authentication.
            unauthenticatedTimerId = eventLoop.owner().setTimer(security.unauthenticatedMaxMs(), id -> {
                unauthenticatedTimerId = -1;
                if (!closed && !sasl.authenticated())
                    closeForProtocolError("not authenticated within " + security.unauthenticatedMaxMs() + " ms on listener " + listenerName
                            + " (connections.max.unauthenticated.ms)");
            });
        }
        socket.handler(this::onData);
        socket.drainHandler(v -> updateReadState());
        socket.closeHandler(v -> {
            if (!closed && pending.length() > 0) {
                int expected = pending.length() >= 4 ? pending.getInt(0) + 4 : -1;
                LOG.infof("Connection %s closed by the client mid-request: %d of %s request bytes received (truncated request)",
                        connectionId, pending.length(), expected < 0 ? "?" : Integer.toString(expected));
            }
            closed = true;
            cancelUnauthenticatedTimer();
            cancelThrottle();
            if (lease != null) lease.close();
            releaseUnsentResponses();
            metrics.connectionClosed();
        });
        socket.exceptionHandler(e -> LOG.debugf("Connection %s: %s", connectionId, e.toString()));
    }

    private void onData(Buffer data) {
        if (closed || closing) return;
        long startNanos = System.nanoTime();
        if (pending.length() == 0) {
            splitFrames(data);
        } else {
            pending.appendBuffer(data);
            splitFrames(pending);
        }
        dispatchWaiting();
        updateReadState();
        metrics.networkBusy(System.nanoTime() - startNanos);
    }

    /**
     * Queues the whole frames in {@code bytes} (what arrived, after any partial frame left over
     * before) and keeps a partial frame at the end in {@code pending}. A frame is a view of the
     * bytes, not a copy: Vert.x hands over each read as a buffer of its own (copied out of Netty's
     * pool), which nothing else writes, so the request and the records in it can point into it.
     */
    private void splitFrames(Buffer bytes) {
        ByteBuf backing = bytes.getByteBuf();
        int pos = 0;
        int length = bytes.length();
        while (!closed && length - pos >= 4) {
            int size = bytes.getInt(pos);
            int limit = sasl == null ? maxRequestBytes : sasl.maxReceiveBytes(maxRequestBytes);
            if (size < 0 || size > limit) {
                closeForProtocolError(limit == maxRequestBytes
                        ? "request size " + size + " is outside 0.." + maxRequestBytes + " (socket.request.max.bytes)"
                        : "frame of " + size + " bytes before authentication on listener " + listenerName + " is outside 0.." + limit
                          + " (sasl.server.max.receive.size)");
                return;
            }
            if (length - pos - 4 < size) break;
            waitingFrames.add(backing.hasArray() ? backing.nioBuffer(pos + 4, size) : ByteBuffer.wrap(bytes.getBytes(pos + 4, pos + 4 + size)));
            pos += 4 + size;
        }
        if (pos == length) {
            if (pending.length() > 0) pending = Buffer.buffer();
        } else {
            pending = bytes.getBuffer(pos, length);
        }
    }

    private void dispatchWaiting() {
        while (!closed && !closing && throttleTimerId < 0 && inflight.size() < maxInflight && !waitingFrames.isEmpty()) {
            dispatch(waitingFrames.poll());
        }
    }

    private void dispatch(ByteBuffer frame) {
        long startNanos = System.nanoTime();
        if (sasl != null && sasl.expectsRawToken()) {
            answerRawToken(frame, startNanos);
            return;
        }
        RequestDecoder.Decoded decoded = decoder.decode(frame);
        switch (decoded) {
            case RequestDecoder.Invalid invalid -> closeForProtocolError(invalid.reason());
            case RequestDecoder.ImmediateResponse immediate -> {
                ResponseSlot slot = enqueueSlot();
                complete(slot, ResponseEncoder.encode(immediate.correlationId(), (short) 0, immediate.body(), immediate.version()));
            }
            case RequestDecoder.Request request -> {
                KafkaPrincipal asPrincipal = principal;
                if (sasl != null) {
                    switch (sasl.onRequest(request.header(), request.body(), startNanos)) {
                        case SaslAuthenticator.Serve serve -> asPrincipal = serve.principal();
                        case SaslAuthenticator.Answer answer -> {
                            answer(request.header(), answer);
                            return;
                        }
                        case SaslAuthenticator.Close close -> {
                            closeForProtocolError(close.reason());
                            return;
                        }
                    }
                }
                ResponseSlot slot = enqueueSlot();
                RequestContext context = new RequestContext(request.header(), listenerName, peer, connectionId, eventLoop, asPrincipal);
                int requestBytes = frame.limit() + 4;
                if (quotas != null) quotas.beforeHandle(context, request.body());
                long handleStartNanos = System.nanoTime();
                var handled = apis.handler(context.apiKey()).handle(context, request.body());
                long handleNanos = System.nanoTime() - handleStartNanos;
                handled.whenComplete((response, error) -> eventLoop.runOnContext(v -> {
                    long handledNanos = System.nanoTime();
                    try {
                        respond(context, slot, request.body(), requestBytes, handleNanos, response, error, startNanos);
                    } finally {
                        metrics.networkBusy(System.nanoTime() - handledNanos);
                    }
                }));
            }
        }
    }

    /** Sends the SASL exchange's own response to this request, in order; ends the connection after it if asked. */
    private void answer(RequestHeader header, SaslAuthenticator.Answer answer) {
        if (sasl.authenticated()) authenticated();
        EncodedResponse encoded;
        try {
            encoded = ResponseEncoder.encode(header.correlationId(), header.apiKey().responseHeaderVersion(header.apiVersion()), answer.body(),
                    header.apiVersion());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Cannot encode the SASL response to %s on %s; closing the connection", header.apiKey(), connectionId);
            closeNow();
            return;
        }
        ResponseSlot slot = enqueueSlot();
        slot.closeAfter = answer.thenClose();
        closing |= answer.thenClose();
        if (answer.thenClose() && failedAuthenticationDelayMs > 0) {
            // Kafka's connection.failed.authentication.delay.ms: a password guesser waits for each answer.
            updateReadState();
            eventLoop.owner().setTimer(failedAuthenticationDelayMs, id -> complete(slot, encoded));
            return;
        }
        complete(slot, encoded);
    }

    /** The SASL exchange succeeded (first time or again): the connection is no longer bounded as unauthenticated. */
    private void authenticated() {
        cancelUnauthenticatedTimer();
        if (lease != null) lease.authenticated();
    }

    /** After a SaslHandshake v0 the exchange is bare size-prefixed tokens, both ways; a failure just closes (Kafka's v0 behaviour). */
    private void answerRawToken(ByteBuffer frame, long nowNanos) {
        byte[] token = new byte[frame.remaining()];
        frame.get(token);
        SaslAuthenticateResponseData response = (SaslAuthenticateResponseData) sasl.onRawToken(token, nowNanos).body();
        if (response.errorCode() != 0) {
            closing = true;
            updateReadState();
            if (failedAuthenticationDelayMs > 0) eventLoop.owner().setTimer(failedAuthenticationDelayMs, id -> closeNow());
            else closeNow();
            return;
        }
        if (sasl.authenticated()) authenticated();
        ByteBuf out = ByteBufAllocator.DEFAULT.directBuffer(4 + response.authBytes().length);
        out.writeInt(response.authBytes().length).writeBytes(response.authBytes());
        complete(enqueueSlot(), new EncodedResponse(List.of(out), out.readableBytes()));
    }

    private void cancelUnauthenticatedTimer() {
        if (unauthenticatedTimerId < 0) return;
        eventLoop.owner().cancelTimer(unauthenticatedTimerId);
        unauthenticatedTimerId = -1;
    }

    private void respond(RequestContext context, ResponseSlot slot, ApiMessage request, int requestBytes, long handleNanos, ApiMessage response,
                         Throwable error, long startNanos) {
        long respondStartNanos = System.nanoTime();
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
        int throttleTimeMs = 0;
        if (quotas != null) {
            ClientQuotas.Outcome outcome = quotas.afterHandle(context, request, requestBytes, response,
                    handleNanos + System.nanoTime() - respondStartNanos);
            response = outcome.response();
            throttleTimeMs = outcome.throttleTimeMs();
        }
        if (response == null) {
            complete(slot, null);
            throttle(throttleTimeMs);
            return;
        }
        short version = context.apiVersion();
        long encodeStartNanos = System.nanoTime();
        EncodedResponse encoded;
        try {
            encoded = ResponseEncoder.encode(context.header().correlationId(), context.apiKey().responseHeaderVersion(version), response, version,
                    fileRegions);
        } catch (RuntimeException e) {
            // A response this version cannot express is our bug; the client must not wait for it forever.
            LOG.errorf(e, "Cannot encode the response to %s; closing the connection", context);
            closeNow();
            return;
        }
        if (quotas != null) quotas.recordResponseTime(context, request, System.nanoTime() - encodeStartNanos);
        complete(slot, encoded);
        throttle(throttleTimeMs);
    }

    /**
     * Mutes the connection for {@code throttleTimeMs} (KIP-219): the throttled response is already
     * queued; nothing more is read or dispatched until the timer fires. A longer throttle extends it.
     */
    private void throttle(int throttleTimeMs) {
        if (throttleTimeMs <= 0 || closed) return;
        long endNanos = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(throttleTimeMs);
        if (throttleTimerId >= 0) {
            if (endNanos - throttleEndNanos <= 0) return;
            eventLoop.owner().cancelTimer(throttleTimerId);
        }
        throttleEndNanos = endNanos;
        throttleTimerId = eventLoop.owner().setTimer(throttleTimeMs, id -> {
            throttleTimerId = -1;
            if (closed) return;
            dispatchWaiting();
            updateReadState();
        });
        updateReadState();
    }

    private void cancelThrottle() {
        if (throttleTimerId < 0) return;
        eventLoop.owner().cancelTimer(throttleTimerId);
        throttleTimerId = -1;
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
                io.vertx.core.Future<Void> written = null;
                for (Object part : head.response.parts()) written = socket.writeMessage(part);
                if (head.closeAfter) {
                    written.onComplete(v -> closeNow());
                    return; // nothing after it is sent
                }
            }
        }
        dispatchWaiting();
        updateReadState();
    }

    /** Pauses reading while we cannot take more work or the peer is not draining our writes. */
    private void updateReadState() {
        if (closed) return;
        if (closing) {
            if (!paused) socket.pause();
            paused = true;
            return;
        }
        boolean shouldPause = throttleTimerId >= 0 || !waitingFrames.isEmpty() || socket.writeQueueFull();
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
        cancelUnauthenticatedTimer();
        cancelThrottle();
        if (lease != null) lease.close();
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
