package io.runnel.broker.quorum;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.raft.NetworkChannel;
import org.apache.kafka.raft.RaftRequest;
import org.apache.kafka.raft.RaftResponse;
import org.apache.kafka.raft.RaftUtil;

/**
 * The network of a quorum of one: there is nobody to send to, so a request (which kafka-raft
 * never makes with a single voter and no observers) fails at once as an unreachable peer would.
 * Thread-safe and stateless apart from correlation ids.
 */
public final class NoPeersNetworkChannel implements NetworkChannel {
    private final ListenerName listenerName;
    private final AtomicInteger correlationIds = new AtomicInteger();

    public NoPeersNetworkChannel(ListenerName listenerName) {
        this.listenerName = listenerName;
    }

    @Override
    public int newCorrelationId() {
        return correlationIds.getAndIncrement();
    }

    @Override
    public CompletionStage<RaftResponse.Inbound> send(RaftRequest.Outbound request) {
        ApiKeys api = ApiKeys.forId(request.data().apiKey());
        return CompletableFuture.completedFuture(new RaftResponse.Inbound(request.correlationId(),
                RaftUtil.errorResponse(api, Errors.BROKER_NOT_AVAILABLE), request.destination()));
    }

    @Override
    public ListenerName listenerName() {
        return listenerName;
    }

    @Override
    public void close() {
    }
}
