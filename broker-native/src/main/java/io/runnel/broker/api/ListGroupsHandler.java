package io.runnel.broker.api;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * ListGroups: every group of every shard, filtered by state (v4+) and type (v5+), both
 * case-insensitive as in Kafka: "classic" groups with their classic states, "consumer" (KIP-848)
 * groups with theirs (Empty, Assigning, Reconciling, Stable).
 */
public final class ListGroupsHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public ListGroupsHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ListGroupsRequestData data = (ListGroupsRequestData) request;
        short version = context.apiVersion();
        Set<String> states = lowerCase(version >= 4 ? data.statesFilter() : null);
        Set<String> types = lowerCase(version >= 5 ? data.typesFilter() : null);
        return coordinator.listGroups().thenApply(result -> {
            ListGroupsResponseData response = new ListGroupsResponseData().setErrorCode(result.error().code());
            for (GroupCoordinator.Listing g : result.groups()) {
                if (!types.isEmpty() && !types.contains(g.type())) continue;
                if (!states.isEmpty() && !states.contains(g.state().toLowerCase(Locale.ROOT))) continue;
                response.groups().add(new ListGroupsResponseData.ListedGroup().setGroupId(g.groupId()).setProtocolType(g.protocolType())
                        .setGroupState(g.state()).setGroupType(g.type()));
            }
            return response;
        });
    }

    private static Set<String> lowerCase(java.util.List<String> values) {
        Set<String> set = new HashSet<>();
        if (values != null) values.forEach(v -> set.add(v.toLowerCase(Locale.ROOT)));
        return set;
    }
}
