package io.runnel.broker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * The checks of APIs that name or list many groups or transactional ids, as Kafka's KafkaApis
 * makes them: a describe or delete is served for the ids the principal may use, and the others are
 * appended to the answer with GROUP_ / TRANSACTIONAL_ID_AUTHORIZATION_FAILED; a listing leaves out
 * what the principal may not describe (ListGroups lists everything for DESCRIBE on the cluster).
 * Requests are narrowed in place: a decoded request belongs to its one call. Stateless.
 */
final class ManyResourceChecks {
    private ManyResourceChecks() {}

    /** {@code handler} behind its API's checks, or null when this class does not check that API. */
    static ApiHandler guard(Authorization authorization, ApiKeys api, ApiHandler handler) {
        return switch (api) {
            case DESCRIBE_GROUPS -> (context, request) -> {
                DescribeGroupsRequestData data = (DescribeGroupsRequestData) request;
                List<String> denied = narrow(authorization, context, AclOperation.DESCRIBE, ResourceType.GROUP, data.groups());
                boolean withOperations = context.apiVersion() >= 3 && data.includeAuthorizedOperations();
                return then(handler.handle(context, request), response -> {
                    List<DescribeGroupsResponseData.DescribedGroup> groups = ((DescribeGroupsResponseData) response).groups();
                    if (withOperations) groups.stream().filter(g -> g.errorCode() == Errors.NONE.code())
                            .forEach(g -> g.setAuthorizedOperations(authorization.authorizedOperations(context, ResourceType.GROUP, g.groupId())));
                    denied.forEach(g -> groups.add(new DescribeGroupsResponseData.DescribedGroup().setGroupId(g)
                            .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()).setGroupState("").setProtocolType("").setProtocolData("")
                            .setErrorMessage(context.apiVersion() >= 6 ? Errors.GROUP_AUTHORIZATION_FAILED.message() : null)));
                });
            };
            case CONSUMER_GROUP_DESCRIBE -> (context, request) -> {
                ConsumerGroupDescribeRequestData data = (ConsumerGroupDescribeRequestData) request;
                List<String> denied = narrow(authorization, context, AclOperation.DESCRIBE, ResourceType.GROUP, data.groupIds());
                return then(handler.handle(context, request), response -> {
                    List<ConsumerGroupDescribeResponseData.DescribedGroup> groups = ((ConsumerGroupDescribeResponseData) response).groups();
                    if (data.includeAuthorizedOperations()) groups.stream().filter(g -> g.errorCode() == Errors.NONE.code())
                            .forEach(g -> g.setAuthorizedOperations(authorization.authorizedOperations(context, ResourceType.GROUP, g.groupId())));
                    denied.forEach(g -> groups.add(new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(g)
                            .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()).setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message())));
                });
            };
            case DELETE_GROUPS -> (context, request) -> {
                DeleteGroupsRequestData data = (DeleteGroupsRequestData) request;
                List<String> denied = narrow(authorization, context, AclOperation.DELETE, ResourceType.GROUP, data.groupsNames());
                return then(handler.handle(context, request), response -> denied.forEach(g -> ((DeleteGroupsResponseData) response).results()
                        .add(new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(g).setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                                .setErrorMessage(context.apiVersion() >= 3 ? Errors.GROUP_AUTHORIZATION_FAILED.message() : null))));
            };
            case DESCRIBE_TRANSACTIONS -> (context, request) -> {
                DescribeTransactionsRequestData data = (DescribeTransactionsRequestData) request;
                List<String> denied = narrow(authorization, context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, data.transactionalIds());
                return then(handler.handle(context, request), response -> denied.forEach(t -> ((DescribeTransactionsResponseData) response)
                        .transactionStates().add(new DescribeTransactionsResponseData.TransactionState().setTransactionalId(t)
                                .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()).setTransactionState("")
                                .setProducerId(-1).setProducerEpoch((short) -1).setTransactionTimeoutMs(-1).setTransactionStartTimeMs(-1))));
            };
            case LIST_GROUPS -> (context, request) -> {
                if (authorization.allowedQuietly(context, AclOperation.DESCRIBE, ResourceType.CLUSTER, Authorization.CLUSTER_NAME))
                    return handler.handle(context, request);
                return then(handler.handle(context, request), response -> {
                    List<ListGroupsResponseData.ListedGroup> groups = ((ListGroupsResponseData) response).groups();
                    Set<String> visible = authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE, ResourceType.GROUP,
                            groups.stream().map(ListGroupsResponseData.ListedGroup::groupId).toList());
                    groups.removeIf(g -> !visible.contains(g.groupId()));
                });
            };
            case LIST_TRANSACTIONS -> (context, request) -> then(handler.handle(context, request), response -> {
                var states = ((ListTransactionsResponseData) response).transactionStates();
                Set<String> visible = authorization.allowedNamesQuietly(context, AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID,
                        states.stream().map(ListTransactionsResponseData.TransactionState::transactionalId).toList());
                states.removeIf(t -> !visible.contains(t.transactionalId()));
            });
            case ADD_PARTITIONS_TO_TXN -> (context, request) -> {
                // v0-3 (a producer's): WRITE on every topic, else nothing is added — the refused partitions get
                // TOPIC_AUTHORIZATION_FAILED and the others OPERATION_NOT_ATTEMPTED, as from Kafka.
                AddPartitionsToTxnRequestData data = (AddPartitionsToTxnRequestData) request;
                if (context.apiVersion() >= 4) return handler.handle(context, request);
                Set<String> writable = authorization.allowedNames(context, AclOperation.WRITE, ResourceType.TOPIC,
                        data.v3AndBelowTopics().stream().map(AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic::name).toList());
                if (data.v3AndBelowTopics().stream().allMatch(t -> writable.contains(t.name()))) return handler.handle(context, request);
                AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
                for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic t : data.v3AndBelowTopics()) {
                    var topicResult = new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult().setName(t.name());
                    Errors error = writable.contains(t.name()) ? Errors.OPERATION_NOT_ATTEMPTED : Errors.TOPIC_AUTHORIZATION_FAILED;
                    for (int p : t.partitions())
                        topicResult.resultsByPartition().add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult()
                                .setPartitionIndex(p).setPartitionErrorCode(error.code()));
                    response.resultsByTopicV3AndBelow().add(topicResult);
                }
                return java.util.concurrent.CompletableFuture.completedFuture(response);
            };
            case CONSUMER_GROUP_HEARTBEAT -> (context, request) -> {
                // Subscribing to a topic needs DESCRIBE on it (KIP-848, as Kafka 4 checks it).
                List<String> subscribed = ((ConsumerGroupHeartbeatRequestData) request).subscribedTopicNames();
                if (subscribed == null || subscribed.isEmpty()) return handler.handle(context, request);
                Set<String> describable = authorization.allowedNames(context, AclOperation.DESCRIBE, ResourceType.TOPIC, subscribed);
                List<String> refused = subscribed.stream().filter(t -> !describable.contains(t)).distinct().sorted().toList();
                if (refused.isEmpty()) return handler.handle(context, request);
                return java.util.concurrent.CompletableFuture.completedFuture(new ConsumerGroupHeartbeatResponseData()
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage("The following topics are not authorized: " + refused));
            };
            default -> null;
        };
    }

    /** Removes from {@code names} (in place) those the principal may not use, and returns them, in request order. */
    private static List<String> narrow(Authorization authorization, RequestContext context, AclOperation operation, ResourceType type,
                                       List<String> names) {
        if (names == null) return List.of();
        Set<String> allowed = authorization.allowedNames(context, operation, type, names.stream().map(n -> n == null ? "" : n).toList());
        List<String> denied = new ArrayList<>();
        names.removeIf(n -> {
            boolean refused = !allowed.contains(n == null ? "" : n);
            if (refused && !denied.contains(n)) denied.add(n);
            return refused;
        });
        return denied;
    }

    private static CompletionStage<ApiMessage> then(CompletionStage<? extends ApiMessage> answer, java.util.function.Consumer<ApiMessage> amend) {
        return answer.thenApply(response -> {
            if (response != null) amend.accept(response);
            return (ApiMessage) response;
        });
    }
}
