package io.runnel.broker.quorum;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.raft.NetworkChannel;
import org.apache.kafka.raft.RaftRequest;
import org.apache.kafka.raft.RaftResponse;
import org.apache.kafka.raft.RaftUtil;

/**
 * A stand-in for the network between quorum members in one JVM, for tests that need to cut a
 * node off, which sockets on one machine cannot do precisely. Every request and response is
 * serialized and parsed with Kafka's codecs, as on a wire; a cut-off or absent node answers
 * BROKER_NOT_AVAILABLE, as Kafka's channel does for a failed connection. (The broker's real
 * channel runs over TCP and is tested separately.)
 */
final class InMemoryQuorumNetwork {
    static final ListenerName LISTENER = ListenerName.normalised("CONTROLLER");
    private static final long REQUEST_TIMEOUT_MS = 2_000;

    private final Map<Integer, RaftQuorum> nodes = new ConcurrentHashMap<>();
    private final Set<Integer> cutOff = ConcurrentHashMap.newKeySet();

    static InetSocketAddress addressOf(int nodeId) {
        return InetSocketAddress.createUnresolved("node" + nodeId, 9093);
    }

    NetworkChannel channelFor(int nodeId) {
        return new Channel(nodeId);
    }

    void attach(RaftQuorum node) {
        nodes.put(node.nodeId(), node);
    }

    void detach(int nodeId) {
        nodes.remove(nodeId);
    }

    /** Drops all traffic to and from {@code nodeId}. */
    void cutOff(int nodeId) {
        cutOff.add(nodeId);
    }

    void heal(int nodeId) {
        cutOff.remove(nodeId);
    }

    private final class Channel implements NetworkChannel {
        private final int self;
        private final AtomicInteger correlationIds = new AtomicInteger();

        Channel(int self) {
            this.self = self;
        }

        @Override
        public int newCorrelationId() {
            return correlationIds.getAndIncrement();
        }

        @Override
        public ListenerName listenerName() {
            return LISTENER;
        }

        @Override
        public CompletionStage<RaftResponse.Inbound> send(RaftRequest.Outbound request) {
            ApiKeys api = ApiKeys.forId(request.data().apiKey());
            short version = api.latestVersion();
            RaftResponse.Inbound unavailable = new RaftResponse.Inbound(request.correlationId(),
                    RaftUtil.errorResponse(api, Errors.BROKER_NOT_AVAILABLE), request.destination());
            int destination = request.destination().id();
            RaftQuorum target = nodes.get(destination);
            if (target == null || cutOff.contains(self) || cutOff.contains(destination)) return CompletableFuture.completedFuture(unavailable);
            ApiMessage wireRequest = AbstractRequest.parseRequest(api, version, encode(request.data(), version)).request.data();
            return target.handle(new RaftRequest.Inbound(LISTENER, request.correlationId(), version, wireRequest, System.currentTimeMillis()))
                    .thenApply(response -> {
                        // A reply that crosses a cut made while the request was in flight is lost too.
                        if (cutOff.contains(self) || cutOff.contains(destination)) return unavailable;
                        ApiMessage wireResponse = AbstractResponse.parseResponse(api, encode(response.data(), version), version).data();
                        return new RaftResponse.Inbound(request.correlationId(), wireResponse, request.destination());
                    })
                    .toCompletableFuture()
                    .completeOnTimeout(unavailable, REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
        }
    }

    private static ByteBufferAccessor encode(ApiMessage message, short version) {
        var buffer = MessageUtil.toByteBufferAccessor(message, version).buffer();
        if (buffer.position() != 0) buffer.flip();
        return new ByteBufferAccessor(buffer);
    }
}
