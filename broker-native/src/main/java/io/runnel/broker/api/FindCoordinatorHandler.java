package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * FindCoordinator: a group's coordinator is the leader of its {@code __consumer_offsets} partition,
 * a transactional id's the leader of its {@code __transaction_state} partition, answered with that
 * broker's endpoint on the listener the request came in on. The first request of each kind
 * creates its topic (and waits for it, rather than sending the client away to retry). There is no
 * share coordinator yet: those keys get COORDINATOR_NOT_AVAILABLE, as do transaction keys when no
 * transaction coordinator is wired. Versions 4+ batch keys; older ones carry one.
 */
public final class FindCoordinatorHandler implements ApiHandler {
    private final GroupCoordinator coordinator;
    private final TransactionCoordinator transactions;
    private final MetadataController controller;
    private final Authorization authorization;

    public FindCoordinatorHandler(GroupCoordinator coordinator, MetadataController controller) {
        this(coordinator, null, controller);
    }

    /** {@code transactions} null when this broker has no transaction coordinator. */
    public FindCoordinatorHandler(GroupCoordinator coordinator, TransactionCoordinator transactions, MetadataController controller) {
        this(coordinator, transactions, controller, Authorization.disabled());
    }

    /** With authorization: a key needs DESCRIBE on its group or transactional id, else GROUP_ / TRANSACTIONAL_ID_AUTHORIZATION_FAILED. */
    public FindCoordinatorHandler(GroupCoordinator coordinator, TransactionCoordinator transactions, MetadataController controller,
                                  Authorization authorization) {
        this.authorization = authorization;
        this.coordinator = coordinator;
        this.transactions = transactions;
        this.controller = controller;
    }

    /** One key's answer. */
    private record Found(String key, Errors error, String message, int nodeId, String host, int port) {}

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        FindCoordinatorRequestData data = (FindCoordinatorRequestData) request;
        short version = context.apiVersion();
        byte keyType = version >= 1 ? data.keyType() : CoordinatorType.GROUP.id();
        List<String> keys = version >= 4 ? data.coordinatorKeys() : List.of(data.key());
        CompletableFuture<Errors> ready = keyType == CoordinatorType.GROUP.id() ? coordinator.ensureTopic()
                : keyType == CoordinatorType.TRANSACTION.id() && transactions != null ? transactions.ensureTopic()
                : CompletableFuture.completedFuture(Errors.NONE);
        return ready.thenApply(topicError -> {
            List<Found> found = new ArrayList<>();
            for (String key : keys) found.add(find(context, keyType, key, topicError));
            return respond(version, found);
        });
    }

    private Found find(RequestContext context, byte keyType, String key, Errors topicError) {
        if (keyType == CoordinatorType.TRANSACTION.id() && transactions == null)
            return notFound(key, Errors.COORDINATOR_NOT_AVAILABLE, "There is no transaction coordinator on this broker.");
        if (keyType != CoordinatorType.GROUP.id() && keyType != CoordinatorType.TRANSACTION.id())
            return keyType == CoordinatorType.SHARE.id() ? notFound(key, Errors.COORDINATOR_NOT_AVAILABLE, "There is no share coordinator yet.")
                    : notFound(key, Errors.INVALID_REQUEST, "Unknown coordinator type " + keyType);
        boolean isGroup = keyType == CoordinatorType.GROUP.id();
        if (!authorization.allowed(context, AclOperation.DESCRIBE, isGroup ? ResourceType.GROUP : ResourceType.TRANSACTIONAL_ID, key == null ? "" : key))
            return notFound(key, isGroup ? Errors.GROUP_AUTHORIZATION_FAILED : Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null);
        if (topicError != Errors.NONE) return notFound(key, topicError, null);
        MetadataImage image = controller.image();
        String k = key == null ? "" : key;
        boolean group = keyType == CoordinatorType.GROUP.id();
        TopicImage topic = image.topic(group ? GroupConfig.OFFSETS_TOPIC : TransactionCoordinator.TOPIC);
        PartitionImage partition = topic == null ? null : topic.partition(group ? coordinator.partitionFor(k) : transactions.partitionFor(k));
        BrokerImage leader = partition == null ? null : image.brokers().get(partition.leader());
        BrokerImage.Endpoint endpoint = leader == null || leader.fenced() ? null : leader.endpointFor(context.listenerName());
        if (endpoint == null) return notFound(key, Errors.COORDINATOR_NOT_AVAILABLE, null);
        return new Found(key, Errors.NONE, null, leader.id(), endpoint.host(), endpoint.port());
    }

    private static Found notFound(String key, Errors error, String message) {
        return new Found(key, error, message != null ? message : error.message(), -1, "", -1);
    }

    private static FindCoordinatorResponseData respond(short version, List<Found> found) {
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (version >= 4) {
            for (Found f : found) {
                response.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(f.key()).setNodeId(f.nodeId())
                        .setHost(f.host()).setPort(f.port()).setErrorCode(f.error().code())
                        .setErrorMessage(f.error() == Errors.NONE ? null : f.message()));
            }
            return response;
        }
        Found f = found.get(0);
        response.setErrorCode(f.error().code()).setNodeId(f.nodeId()).setHost(f.host()).setPort(f.port());
        if (version >= 1) response.setErrorMessage(f.error() == Errors.NONE ? null : f.message());
        return response;
    }
}
