package io.runnel.broker.security;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * The checks of APIs whose request names one group or one transactional id, in the order Kafka's
 * KafkaApis makes them; the first that fails answers the whole request with its error
 * (GROUP_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED), built by kafka-clients' own
 * {@code getErrorResponse}. Checks on the topics inside such requests stay with the handlers.
 * Stateless.
 */
final class ResourceChecks {
    private ResourceChecks() {}

    /** One check: the resource a request names, the operation it needs, and the error when refused. */
    private record Check(ResourceType type, AclOperation operation, Function<ApiMessage, String> name, Function<String, RuntimeException> error) {}

    private static final Map<ApiKeys, List<Check>> CHECKS = checks();

    private static Check group(AclOperation operation, Function<ApiMessage, String> name) {
        return new Check(ResourceType.GROUP, operation, name, g -> new GroupAuthorizationException("Not authorized to access group " + g));
    }

    private static Check transactionalId(Function<ApiMessage, String> name) {
        return new Check(ResourceType.TRANSACTIONAL_ID, AclOperation.WRITE, name,
                t -> new TransactionalIdAuthorizationException("Not authorized to write with transactional id " + t));
    }

    private static Map<ApiKeys, List<Check>> checks() {
        Map<ApiKeys, List<Check>> c = new EnumMap<>(ApiKeys.class);
        c.put(ApiKeys.JOIN_GROUP, List.of(group(AclOperation.READ, r -> ((JoinGroupRequestData) r).groupId())));
        c.put(ApiKeys.SYNC_GROUP, List.of(group(AclOperation.READ, r -> ((SyncGroupRequestData) r).groupId())));
        c.put(ApiKeys.HEARTBEAT, List.of(group(AclOperation.READ, r -> ((HeartbeatRequestData) r).groupId())));
        c.put(ApiKeys.LEAVE_GROUP, List.of(group(AclOperation.READ, r -> ((LeaveGroupRequestData) r).groupId())));
        c.put(ApiKeys.OFFSET_COMMIT, List.of(group(AclOperation.READ, r -> ((OffsetCommitRequestData) r).groupId())));
        c.put(ApiKeys.OFFSET_DELETE, List.of(group(AclOperation.DELETE, r -> ((OffsetDeleteRequestData) r).groupId())));
        c.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, List.of(group(AclOperation.READ, r -> ((ConsumerGroupHeartbeatRequestData) r).groupId())));
        c.put(ApiKeys.TXN_OFFSET_COMMIT, List.of(transactionalId(r -> ((TxnOffsetCommitRequestData) r).transactionalId()),
                group(AclOperation.READ, r -> ((TxnOffsetCommitRequestData) r).groupId())));
        c.put(ApiKeys.ADD_OFFSETS_TO_TXN, List.of(transactionalId(r -> ((AddOffsetsToTxnRequestData) r).transactionalId()),
                group(AclOperation.READ, r -> ((AddOffsetsToTxnRequestData) r).groupId())));
        c.put(ApiKeys.END_TXN, List.of(transactionalId(r -> ((EndTxnRequestData) r).transactionalId())));
        // v0-v3 (a client's): one transactional id; v4+ are batches from brokers, which need CLUSTER_ACTION.
        c.put(ApiKeys.ADD_PARTITIONS_TO_TXN, List.of(transactionalId(r -> ((AddPartitionsToTxnRequestData) r).v3AndBelowTransactionalId())));
        return Map.copyOf(c);
    }

    /** {@code handler} behind the checks of {@code api}, or itself when the API has none. */
    static ApiHandler guard(Authorization authorization, ApiKeys api, ApiHandler handler) {
        if (api == ApiKeys.INIT_PRODUCER_ID) return initProducerId(authorization, handler);
        // The checks of the resources inside the request (ManyResourceChecks) run after those of the one it names.
        ApiHandler many = ManyResourceChecks.guard(authorization, api, handler);
        ApiHandler inner = many != null ? many : handler;
        List<Check> checks = CHECKS.get(api);
        if (checks == null) return inner;
        return (context, request) -> {
            if (api == ApiKeys.ADD_PARTITIONS_TO_TXN && context.apiVersion() >= 4) {
                return authorization.allowedOnCluster(context, AclOperation.CLUSTER_ACTION) ? inner.handle(context, request)
                        : CompletableFuture.completedFuture(Authorization.clusterDenied(context, request, AclOperation.CLUSTER_ACTION));
            }
            for (Check check : checks) {
                String name = check.name().apply(request);
                if (name == null || !authorization.allowed(context, check.operation(), check.type(), name))
                    return CompletableFuture.completedFuture(Authorization.errorResponse(context, request, check.error().apply(name)));
            }
            return inner.handle(context, request);
        };
    }

    /**
     * InitProducerId: a transactional producer needs WRITE on its transactional id; an idempotent
     * one IDEMPOTENT_WRITE on the cluster or WRITE on some topic (Kafka 4's rule), else
     * CLUSTER_AUTHORIZATION_FAILED.
     */
    private static ApiHandler initProducerId(Authorization authorization, ApiHandler handler) {
        return (context, request) -> {
            String transactionalId = ((InitProducerIdRequestData) request).transactionalId();
            RuntimeException refused = null;
            if (transactionalId != null) {
                if (!authorization.allowed(context, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId))
                    refused = new TransactionalIdAuthorizationException("Not authorized to write with transactional id " + transactionalId);
            } else if (!authorization.allowedQuietly(context, AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, Authorization.CLUSTER_NAME)
                    && !authorization.allowedOnSomeResource(context, AclOperation.WRITE, ResourceType.TOPIC)) {
                refused = new ClusterAuthorizationException("Not authorized for IDEMPOTENT_WRITE on the cluster nor WRITE on any topic");
            }
            return refused == null ? handler.handle(context, request)
                    : CompletableFuture.completedFuture(Authorization.errorResponse(context, request, refused));
        };
    }
}
