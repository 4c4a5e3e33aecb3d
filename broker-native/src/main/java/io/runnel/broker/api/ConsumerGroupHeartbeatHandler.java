package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * ConsumerGroupHeartbeat (KIP-848, v0-v1): checks the request the way Kafka does (INVALID_REQUEST
 * with Kafka's message for a malformed one, UNSUPPORTED_ASSIGNOR, INVALID_REGULAR_EXPRESSION) and
 * hands the rest to the group's shard. From v1 the client chooses its member id.
 */
public final class ConsumerGroupHeartbeatHandler implements ApiHandler {
    private final GroupCoordinator coordinator;

    public ConsumerGroupHeartbeatHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ConsumerGroupHeartbeatRequestData data = (ConsumerGroupHeartbeatRequestData) request;
        String invalid = invalidReason(data, context.apiVersion());
        if (invalid != null) return refuse(Errors.INVALID_REQUEST, invalid);
        if (data.serverAssignor() != null && !coordinator.config().consumerAssignors().contains(data.serverAssignor()))
            return refuse(Errors.UNSUPPORTED_ASSIGNOR, "ServerAssignor " + data.serverAssignor() + " is not supported. Supported assignors: "
                    + String.join(", ", coordinator.config().consumerAssignors()) + ".");
        if (data.subscribedTopicRegex() != null && !data.subscribedTopicRegex().isEmpty()) {
            try {
                Pattern.compile(data.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return refuse(Errors.INVALID_REGULAR_EXPRESSION, "SubscribedTopicRegex `" + data.subscribedTopicRegex() + "` is not a valid regular expression: "
                        + e.getDescription() + ".");
            }
        }
        return coordinator.consumerGroupHeartbeat(data, context.header().clientId(), JoinGroupHandler.clientHost(context))
                .thenApply(response -> response);
    }

    /** Kafka's validation of the request's shape, with its messages; null when the request is well formed. */
    static String invalidReason(ConsumerGroupHeartbeatRequestData data, short version) {
        if (data.groupId() == null || data.groupId().isEmpty()) return "GroupId can't be empty.";
        if (data.instanceId() != null && data.instanceId().isEmpty()) return "InstanceId can't be empty.";
        if (data.rackId() != null && data.rackId().isEmpty()) return "RackId can't be empty.";
        boolean noMemberId = data.memberId() == null || data.memberId().isEmpty();
        if (version >= 1 && noMemberId) return "MemberId can't be empty.";
        if (data.memberEpoch() > 0 || data.memberEpoch() == -1) {
            if (noMemberId) return "MemberId can't be empty.";
        } else if (data.memberEpoch() == 0) {
            if (data.rebalanceTimeoutMs() == -1) return "RebalanceTimeoutMs must be provided in first request.";
            if (data.topicPartitions() == null || !data.topicPartitions().isEmpty()) return "TopicPartitions must be empty when (re-)joining.";
            if (data.subscribedTopicNames() == null && data.subscribedTopicRegex() == null)
                return "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.";
        } else if (data.memberEpoch() == -2) {
            if (noMemberId) return "MemberId can't be empty.";
            if (data.instanceId() == null) return "InstanceId can't be null.";
        } else {
            return "MemberEpoch is invalid.";
        }
        return null;
    }

    private static CompletableFuture<ApiMessage> refuse(Errors error, String message) {
        return CompletableFuture.completedFuture(new org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData()
                .setErrorCode(error.code()).setErrorMessage(message));
    }
}
