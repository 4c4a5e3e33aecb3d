package io.runnel.broker.api;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * SyncGroup: the leader brings the assignment (opaque bytes, passed through untouched); every
 * member's answer waits until the leader's assignment is written, then carries its own part.
 */
public final class SyncGroupHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public SyncGroupHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        SyncGroupRequestData data = (SyncGroupRequestData) request;
        short version = context.apiVersion();
        if (!GroupCoordinator.isValidGroupId(data.groupId()))
            return CompletableFuture.completedFuture(new SyncGroupResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()).setAssignment(new byte[0]));
        Map<String, byte[]> assignments = new HashMap<>();
        for (SyncGroupRequestData.SyncGroupRequestAssignment a : data.assignments()) assignments.put(a.memberId(), a.assignment());
        return coordinator.syncGroup(data.groupId(), data.generationId(), data.memberId(), version >= 3 ? data.groupInstanceId() : null,
                version >= 5 ? data.protocolType() : null, version >= 5 ? data.protocolName() : null, assignments)
                .thenApply(response -> response);
    }
}
