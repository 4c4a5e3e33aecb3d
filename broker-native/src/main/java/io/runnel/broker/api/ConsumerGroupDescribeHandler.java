package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * ConsumerGroupDescribe (KIP-848): epochs, assignor, and each member's subscription, assignment and
 * target. A classic group answers GROUP_ID_NOT_FOUND ("not a consumer group"), upon which the admin
 * client describes it with DescribeGroups, as against Kafka.
 */
public final class ConsumerGroupDescribeHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public ConsumerGroupDescribeHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ConsumerGroupDescribeRequestData data = (ConsumerGroupDescribeRequestData) request;
        List<CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup>> described = new ArrayList<>();
        for (String groupId : data.groupIds()) {
            if (!GroupCoordinator.isValidGroupId(groupId)) {
                described.add(CompletableFuture.completedFuture(new ConsumerGroupDescribeResponseData.DescribedGroup()
                        .setGroupId(groupId == null ? "" : groupId).setErrorCode(Errors.INVALID_GROUP_ID.code())));
            } else {
                described.add(coordinator.describeConsumerGroup(groupId));
            }
        }
        return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
            for (CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup> f : described) response.groups().add(f.join());
            return response;
        });
    }
}
