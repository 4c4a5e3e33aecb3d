package io.runnel.broker.api;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.raft.RaftRequest;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.quorum.RaftQuorum;

/**
 * DescribeQuorum (what {@code kafka-metadata-quorum describe} and Admin.describeMetadataQuorum
 * send): answered by this node's raft client, which knows the voters, observers, epochs and
 * offsets. Kafka brokers forward it to the active controller; here every node is a quorum member,
 * and a member that does not lead answers NOT_LEADER_OR_FOLLOWER as kafka-raft does.
 * Stateless; the raft client is thread-safe to hand requests to.
 */
public final class DescribeQuorumHandler implements ApiHandler {
    private final RaftQuorum quorum;

    public DescribeQuorumHandler(RaftQuorum quorum) {
        this.quorum = quorum;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        RaftRequest.Inbound inbound = new RaftRequest.Inbound(ListenerName.normalised(context.listenerName()),
                context.header().correlationId(), context.apiVersion(), request, System.currentTimeMillis());
        return quorum.handle(inbound).thenApply(response -> response.data());
    }
}
