package io.runnel.broker.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** DeleteGroups: an empty group and its offsets go (NON_EMPTY_GROUP while it has members). */
public final class DeleteGroupsHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public DeleteGroupsHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteGroupsRequestData data = (DeleteGroupsRequestData) request;
        short version = context.apiVersion();
        Map<String, CompletableFuture<Errors>> results = new LinkedHashMap<>();
        for (String groupId : data.groupsNames()) {
            results.computeIfAbsent(groupId == null ? "" : groupId, id -> id.isEmpty()
                    ? CompletableFuture.completedFuture(Errors.INVALID_GROUP_ID) : coordinator.deleteGroup(id));
        }
        return CompletableFuture.allOf(results.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            results.forEach((groupId, f) -> {
                Errors error = f.join();
                var result = new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(groupId).setErrorCode(error.code());
                if (version >= 3 && error != Errors.NONE) result.setErrorMessage(error.message());
                response.results().add(result);
            });
            return response;
        });
    }
}
