package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.group.GroupState;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * DescribeGroups: state, protocol and members of each group; member metadata and assignments only
 * while Stable, as Kafka. An unknown group is GROUP_ID_NOT_FOUND from v6 (KIP-1043) and a Dead
 * group without error before.
 */
public final class DescribeGroupsHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public DescribeGroupsHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeGroupsRequestData data = (DescribeGroupsRequestData) request;
        short version = context.apiVersion();
        List<CompletableFuture<DescribeGroupsResponseData.DescribedGroup>> described = new ArrayList<>();
        for (String groupId : data.groups()) {
            if (!GroupCoordinator.isValidGroupId(groupId)) {
                described.add(CompletableFuture.completedFuture(new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId == null ? "" : groupId)
                        .setErrorCode(Errors.INVALID_GROUP_ID.code()).setGroupState("").setProtocolType("").setProtocolData("")));
            } else {
                described.add(coordinator.describeGroup(groupId));
            }
        }
        return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new)).thenApply(v -> {
            DescribeGroupsResponseData response = new DescribeGroupsResponseData();
            for (CompletableFuture<DescribeGroupsResponseData.DescribedGroup> f : described) {
                DescribeGroupsResponseData.DescribedGroup g = f.join();
                if (g.errorCode() == Errors.GROUP_ID_NOT_FOUND.code()) {
                    if (version >= 6) g.setErrorMessage("Group " + g.groupId() + " not found.");
                    else g.setErrorCode(Errors.NONE.code()).setGroupState(GroupState.DEAD.kafkaName());
                } else if (version < 6) {
                    g.setErrorMessage(null);
                }
                response.groups().add(g);
            }
            return response;
        });
    }
}
