package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** Heartbeat: keeps a member's session alive and tells it when to rejoin (REBALANCE_IN_PROGRESS). */
public final class HeartbeatHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public HeartbeatHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        HeartbeatRequestData data = (HeartbeatRequestData) request;
        if (!GroupCoordinator.isValidGroupId(data.groupId()))
            return CompletableFuture.completedFuture(new HeartbeatResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
        return coordinator.heartbeat(data.groupId(), data.generationId(), data.memberId(),
                        context.apiVersion() >= 3 ? data.groupInstanceId() : null)
                .thenApply(error -> new HeartbeatResponseData().setErrorCode(error.code()));
    }
}
