package io.runnel.broker.api;

import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DescribeQuorumRequestData;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeQuorumRequest;
import org.apache.kafka.common.requests.DescribeQuorumResponse;
import org.apache.kafka.raft.RaftRequest;

import io.runnel.broker.cluster.ControllerChannel;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.quorum.RaftQuorum;
import io.runnel.broker.quorum.RunnelRaftLog;

/**
 * Hands a metadata-quorum request to this node's raft client and answers with what it says:
 * Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch and FetchSnapshot of the metadata log from other
 * quorum members on the controller listener, and DescribeQuorum (what
 * {@code kafka-metadata-quorum describe} sends) on either listener. On the client listener a
 * node that does not lead forwards DescribeQuorum to the active controller, as Kafka's brokers do;
 * a quorum member asked directly answers NOT_LEADER_OR_FOLLOWER, as kafka-raft does.
 * Stateless; the raft client and the controller channel are thread-safe to hand requests to.
 */
public final class QuorumRequestHandler implements ApiHandler {
    /** The APIs kafka-raft serves between quorum members (static voters: no Add/RemoveRaftVoter). */
    public static final Set<ApiKeys> QUORUM_APIS = Set.of(ApiKeys.VOTE, ApiKeys.BEGIN_QUORUM_EPOCH, ApiKeys.END_QUORUM_EPOCH,
            ApiKeys.FETCH, ApiKeys.FETCH_SNAPSHOT, ApiKeys.DESCRIBE_QUORUM, ApiKeys.UPDATE_RAFT_VOTER);

    private final RaftQuorum quorum;
    private final ControllerChannel forwardTo;

    /** @param forwardTo where a non-leader sends DescribeQuorum; null to always answer locally */
    public QuorumRequestHandler(RaftQuorum quorum, ControllerChannel forwardTo) {
        this.quorum = quorum;
        this.forwardTo = forwardTo;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        if (forwardTo != null && request instanceof DescribeQuorumRequestData describe && !quorum.leaderAndEpoch().isLeader(quorum.nodeId())) {
            // A controller that moved, or none elected yet, is NOT_LEADER_OR_FOLLOWER to the admin client: it retries.
            return forwardTo.send(new DescribeQuorumRequest.Builder(describe)).handle((response, error) -> error == null ? response.data()
                    : DescribeQuorumResponse.singletonErrorResponse(RunnelRaftLog.TOPIC_PARTITION, Errors.NOT_LEADER_OR_FOLLOWER));
        }
        RaftRequest.Inbound inbound = new RaftRequest.Inbound(ListenerName.normalised(context.listenerName()),
                context.header().correlationId(), context.apiVersion(), request, System.currentTimeMillis());
        return quorum.handle(inbound).thenApply(response -> response.data());
    }
}
