package io.runnel.broker.api;

import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * JoinGroup: the answer waits (as a future, on no thread) until the group's join phase ends.
 * Fills in what old versions leave out (v0 has no rebalance timeout: the session timeout serves)
 * and shapes the answer for the version (no null protocol name before v7, no skipAssignment
 * before v9).
 */
public final class JoinGroupHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public JoinGroupHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        JoinGroupRequestData data = (JoinGroupRequestData) request;
        short version = context.apiVersion();
        if (data.groupId() == null || data.groupId().isEmpty()) {
            return CompletableFuture.completedFuture(shape(new JoinGroupResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code())
                    .setGenerationId(-1).setLeader("").setMemberId(data.memberId()), version));
        }
        LinkedHashMap<String, byte[]> protocols = new LinkedHashMap<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol p : data.protocols()) protocols.putIfAbsent(p.name(), p.metadata());
        int rebalanceTimeoutMs = version >= 1 && data.rebalanceTimeoutMs() > 0 ? data.rebalanceTimeoutMs() : data.sessionTimeoutMs();
        var params = new GroupCoordinator.JoinParams(data.groupId(), data.memberId() == null ? "" : data.memberId(),
                version >= 5 ? data.groupInstanceId() : null, context.header().clientId(), clientHost(context),
                data.protocolType() == null ? "" : data.protocolType(), protocols, data.sessionTimeoutMs(), rebalanceTimeoutMs, version);
        return coordinator.joinGroup(params).thenApply(response -> shape(response, version));
    }

    /** The client's host as Kafka reports it in DescribeGroups ("/127.0.0.1"). */
    static String clientHost(RequestContext context) {
        java.net.InetSocketAddress address = context.clientAddress();
        if (address == null) return "";
        return address.getAddress() != null ? address.getAddress().toString() : "/" + address.getHostString();
    }

    private static JoinGroupResponseData shape(JoinGroupResponseData response, short version) {
        if (version < 7 && response.protocolName() == null) response.setProtocolName("");
        if (version < 9) response.setSkipAssignment(false);
        if (response.leader() == null) response.setLeader("");
        if (response.memberId() == null) response.setMemberId("");
        return response;
    }
}
