package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * LeaveGroup: v3+ removes a batch of members (by member id, or by instance id for static members)
 * with an error each; v0-v2 remove one member and report its error at the top.
 */
public final class LeaveGroupHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public LeaveGroupHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        LeaveGroupRequestData data = (LeaveGroupRequestData) request;
        short version = context.apiVersion();
        if (!GroupCoordinator.isValidGroupId(data.groupId()))
            return CompletableFuture.completedFuture(new LeaveGroupResponseData().setErrorCode(Errors.INVALID_GROUP_ID.code()));
        List<GroupCoordinator.LeavingMember> leaving = new ArrayList<>();
        if (version >= 3) {
            for (LeaveGroupRequestData.MemberIdentity m : data.members())
                leaving.add(new GroupCoordinator.LeavingMember(m.memberId() == null ? "" : m.memberId(), m.groupInstanceId()));
        } else {
            leaving.add(new GroupCoordinator.LeavingMember(data.memberId() == null ? "" : data.memberId(), null));
        }
        return coordinator.leaveGroup(data.groupId(), leaving).thenApply(response -> {
            if (version >= 3) return response;
            short error = response.errorCode();
            if (error == Errors.NONE.code() && !response.members().isEmpty()) error = response.members().get(0).errorCode();
            return new LeaveGroupResponseData().setErrorCode(error);
        });
    }
}
