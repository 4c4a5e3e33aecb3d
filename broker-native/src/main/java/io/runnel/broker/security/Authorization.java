package io.runnel.broker.security;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;
import org.jboss.logging.Logger;

import io.runnel.broker.config.AuthorizerConfig;
import io.runnel.broker.metadata.AclImage;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.MetadataListener;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * Whether a request's principal may do something: the one place handlers ask. With
 * {@code authorizer.class.name} unset every check passes (Kafka without an authorizer); with it
 * set, Kafka's own KRaft {@link StandardAuthorizer} decides (literal, prefixed and wildcard
 * patterns, DENY over ALLOW, hosts, {@code super.users}, {@code allow.everyone.if.no.acl.found}),
 * fed with the ACLs of each metadata image as it is published.
 *
 * <p>Where checks are made, as in Kafka's KafkaApis / ControllerApis: {@link #guard} wraps each
 * handler once, in {@code Broker}, with what is decided per request — the cluster operation an API
 * needs (the whole request answered CLUSTER_AUTHORIZATION_FAILED, built by kafka-clients' own
 * {@code getErrorResponse}), the group or transactional id a request names
 * ({@link ResourceChecks}), the ids a describe, delete or listing covers
 * ({@link ManyResourceChecks}). What lives inside a request (topics, partitions, config
 * resources, coordinator keys) is checked by its handler with {@link #allowed} and
 * {@link #allowedNames}, which answer per resource. Any new handler (the client-quota APIs
 * included) asks the same object.
 *
 * <p>Threading: checks from any thread (the authorizer swaps immutable ACL data); ACL updates on
 * the metadata thread only (the {@link MetadataListener}).
 */
public final class Authorization implements MetadataListener {
    private static final Logger LOG = Logger.getLogger(Authorization.class);
    public static final String CLUSTER_NAME = "kafka-cluster";

    /** The APIs a client listener serves that need one operation on the cluster for the whole request. */
    private static final Map<ApiKeys, AclOperation> BROKER_CLUSTER_OPERATIONS = clusterOperations(false);
    /** The same for the controller listener, where FETCH is the quorum's own replication. */
    private static final Map<ApiKeys, AclOperation> CONTROLLER_CLUSTER_OPERATIONS = clusterOperations(true);

    private final StandardAuthorizer authorizer;
    private final Function<String, SecurityProtocol> listenerProtocols;
    /** The ACLs the authorizer holds; null before the first image. Metadata thread only. */
    private AclImage applied;

    private Authorization(StandardAuthorizer authorizer, Function<String, SecurityProtocol> listenerProtocols) {
        this.authorizer = authorizer;
        this.listenerProtocols = listenerProtocols;
    }

    /** No authorizer: every principal may do everything. */
    public static Authorization disabled() {
        return new Authorization(null, l -> SecurityProtocol.PLAINTEXT);
    }

    /** As {@code config} says; {@code listenerProtocols} maps a listener name to its protocol (for the authorizer's request context). */
    public static Authorization of(AuthorizerConfig config, Function<String, SecurityProtocol> listenerProtocols) {
        if (!config.enabled()) return disabled();
        StandardAuthorizer authorizer = new StandardAuthorizer();
        Map<String, Object> settings = new HashMap<>();
        settings.put(StandardAuthorizer.SUPER_USERS_CONFIG, String.join(";", config.superUsers()));
        settings.put(StandardAuthorizer.ALLOW_EVERYONE_IF_NO_ACL_IS_FOUND_CONFIG, Boolean.toString(config.allowEveryoneIfNoAclFound()));
        authorizer.configure(settings);
        // Its accept/deny counters need a metrics registry; they stay in kafka-clients' own (not exported).
        authorizer.withPluginMetrics(new org.apache.kafka.common.metrics.internals.PluginMetricsImpl(new org.apache.kafka.common.metrics.Metrics(),
                Map.of("config", "authorizer.class.name", "class", "StandardAuthorizer")));
        LOG.infof("Authorization on (%s): super users %s, allow.everyone.if.no.acl.found=%s", AuthorizerConfig.STANDARD_AUTHORIZER,
                config.superUsers(), config.allowEveryoneIfNoAclFound());
        return new Authorization(authorizer, listenerProtocols);
    }

    /** Whether an authorizer is configured (CreateAcls and friends answer SECURITY_DISABLED without one). */
    public boolean enabled() {
        return authorizer != null;
    }

    /**
     * Loads the first published image's ACLs whole, then applies each later image's differences
     * from the ACLs last applied. A reset to a snapshot publishes an empty image (offset -1)
     * before the snapshot's own: that one is skipped, so the ACLs in force never drop to none in
     * between — which would briefly lift every DENY, and with allow.everyone.if.no.acl.found open
     * everything. Metadata thread.
     */
    @Override
    public void onImage(MetadataImage previous, MetadataImage current) {
        if (authorizer == null) return;
        AclImage next = current.acls();
        if (applied == null) {
            authorizer.loadSnapshot(next.byId());
            authorizer.completeInitialLoad();
            applied = next;
            return;
        }
        if (current.offset() < 0 || next == applied) return;
        for (Uuid id : applied.byId().keySet()) if (!next.byId().containsKey(id)) authorizer.removeAcl(id);
        for (Map.Entry<Uuid, StandardAcl> e : next.byId().entrySet())
            if (!applied.byId().containsKey(e.getKey())) authorizer.addAcl(e.getKey(), e.getValue());
        applied = next;
    }

    /** Whether the request's principal may perform {@code operation} on the named resource. */
    public boolean allowed(RequestContext context, AclOperation operation, ResourceType type, String name) {
        if (authorizer == null) return true;
        return authorize(context, List.of(action(operation, type, name, true, true))).get(0);
    }

    /** {@link #allowed} on the cluster resource. */
    public boolean allowedOnCluster(RequestContext context, AclOperation operation) {
        return allowed(context, operation, ResourceType.CLUSTER, CLUSTER_NAME);
    }

    /** As {@link #allowed}, but a denial is not logged (Kafka's checks that try one permission before another). */
    public boolean allowedQuietly(RequestContext context, AclOperation operation, ResourceType type, String name) {
        if (authorizer == null) return true;
        return authorize(context, List.of(action(operation, type, name, true, false))).get(0);
    }

    /** The names among {@code names} the principal may perform {@code operation} on, in their order; one authorizer call. */
    public Set<String> allowedNames(RequestContext context, AclOperation operation, ResourceType type, Collection<String> names) {
        return allowedNames(context, operation, type, names, true);
    }

    /** As {@link #allowedNames}, without logging denials (listing everything, where a hidden resource is no request refused). */
    public Set<String> allowedNamesQuietly(RequestContext context, AclOperation operation, ResourceType type, Collection<String> names) {
        return allowedNames(context, operation, type, names, false);
    }

    private Set<String> allowedNames(RequestContext context, AclOperation operation, ResourceType type, Collection<String> names, boolean logIfDenied) {
        Set<String> distinct = new LinkedHashSet<>(names);
        if (authorizer == null) return distinct;
        List<String> ordered = new ArrayList<>(distinct);
        List<Action> actions = ordered.stream().map(n -> action(operation, type, n, true, logIfDenied)).toList();
        List<Boolean> results = authorize(context, actions);
        Set<String> allowed = new LinkedHashSet<>();
        for (int i = 0; i < ordered.size(); i++) if (results.get(i)) allowed.add(ordered.get(i));
        return allowed;
    }

    /**
     * Whether the principal may perform {@code operation} on at least one resource of {@code type}
     * (Kafka's authorizeByResourceType: an idempotent producer needs WRITE on some topic or
     * IDEMPOTENT_WRITE on the cluster).
     */
    public boolean allowedOnSomeResource(RequestContext context, AclOperation operation, ResourceType type) {
        if (authorizer == null) return true;
        try {
            return authorizer.authorizeByResourceType(new KafkaContext(context, listenerProtocols.apply(context.listenerName())), operation, type)
                    == AuthorizationResult.ALLOWED;
        } catch (org.apache.kafka.common.errors.AuthorizerNotReadyException e) {
            return false;
        }
    }

    /**
     * Whether the principal may perform {@code operation} (DESCRIBE_CONFIGS, ALTER_CONFIGS) on a
     * config resource, as Kafka decides it: a topic's on the topic, a group's on the group, a
     * broker's (and the cluster-wide defaults') on the cluster. NONE when allowed or for a type
     * this does not know (the handler refuses those itself), else the authorization error.
     */
    public org.apache.kafka.common.protocol.Errors configAccess(RequestContext context, AclOperation operation, byte resourceType, String name) {
        return switch (org.apache.kafka.common.config.ConfigResource.Type.forId(resourceType)) {
            case TOPIC -> allowed(context, operation, ResourceType.TOPIC, name) ? org.apache.kafka.common.protocol.Errors.NONE
                    : org.apache.kafka.common.protocol.Errors.TOPIC_AUTHORIZATION_FAILED;
            case GROUP -> allowed(context, operation, ResourceType.GROUP, name) ? org.apache.kafka.common.protocol.Errors.NONE
                    : org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED;
            case BROKER, BROKER_LOGGER, CLIENT_METRICS -> allowedOnCluster(context, operation) ? org.apache.kafka.common.protocol.Errors.NONE
                    : org.apache.kafka.common.protocol.Errors.CLUSTER_AUTHORIZATION_FAILED;
            default -> org.apache.kafka.common.protocol.Errors.NONE;
        };
    }

    /**
     * The operations the principal may perform on a resource, as the bit field of the
     * {@code *_authorized_operations} response fields (Kafka's supported operations per resource
     * type; every one of them without an authorizer). Not logged, as Kafka does not log these.
     */
    public int authorizedOperations(RequestContext context, ResourceType type, String name) {
        List<AclOperation> supported = SUPPORTED_OPERATIONS.getOrDefault(type, List.of());
        List<AclOperation> allowed = supported;
        if (authorizer != null) {
            List<Boolean> results = authorize(context, supported.stream().map(op -> action(op, type, name, false, false)).toList());
            allowed = new ArrayList<>();
            for (int i = 0; i < supported.size(); i++) if (results.get(i)) allowed.add(supported.get(i));
        }
        Set<Byte> codes = new java.util.HashSet<>();
        for (AclOperation op : allowed) codes.add(op.code());
        return org.apache.kafka.common.utils.Utils.to32BitField(codes);
    }

    /** Kafka's operations per resource type (its AclEntry.supportedOperations). */
    private static final Map<ResourceType, List<AclOperation>> SUPPORTED_OPERATIONS = Map.of(
            ResourceType.TOPIC, List.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE, AclOperation.DELETE,
                    AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS),
            ResourceType.GROUP, List.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE, AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS),
            ResourceType.CLUSTER, List.of(AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS,
                    AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE),
            ResourceType.TRANSACTIONAL_ID, List.of(AclOperation.DESCRIBE, AclOperation.WRITE));

    /** The ACLs a DescribeAcls filter matches. */
    public Iterable<AclBinding> acls(AclBindingFilter filter) {
        return authorizer == null ? List.of() : authorizer.acls(filter);
    }

    /**
     * {@code handler}, behind the cluster-wide check its API needs on a client listener (or, with
     * {@code controllerListener}, on the controller listener), or behind the checks of the one group
     * or transactional id its request names ({@link ResourceChecks}); the handler itself when it needs none.
     */
    public ApiHandler guard(ApiKeys api, ApiHandler handler, boolean controllerListener) {
        if (authorizer == null) return handler;
        AclOperation operation = (controllerListener ? CONTROLLER_CLUSTER_OPERATIONS : BROKER_CLUSTER_OPERATIONS).get(api);
        if (operation == null) return ResourceChecks.guard(this, api, handler);
        return (context, request) -> allowedOnCluster(context, operation) ? handler.handle(context, request)
                : CompletableFuture.completedFuture(clusterDenied(context, request, operation));
    }

    /** The error response of {@code request}'s API for a principal without {@code operation} on the cluster, as Kafka builds it. */
    public static ApiMessage clusterDenied(RequestContext context, ApiMessage request, AclOperation operation) {
        return errorResponse(context, request, new ClusterAuthorizationException("Request " + context.apiKey().name
                + " needs " + operation + " on the cluster"));
    }

    /** {@code request}'s API's response failing as a whole with {@code error} (kafka-clients' getErrorResponse). */
    public static ApiMessage errorResponse(RequestContext context, ApiMessage request, Throwable error) {
        AbstractRequest parsed = AbstractRequest.parseRequest(context.apiKey(), context.apiVersion(),
                new ByteBufferAccessor(MessageUtil.toByteBufferAccessor(request, context.apiVersion()).buffer())).request;
        return parsed.getErrorResponse(0, error).data();
    }

    private List<Boolean> authorize(RequestContext context, List<Action> actions) {
        try {
            List<AuthorizationResult> results = authorizer.authorize(new KafkaContext(context, listenerProtocols.apply(context.listenerName())), actions);
            return results.stream().map(r -> r == AuthorizationResult.ALLOWED).toList();
        } catch (org.apache.kafka.common.errors.AuthorizerNotReadyException e) {
            // Before the first metadata image (the controller listener serves the quorum earlier): only super users pass, as in Kafka.
            LOG.debugf("Authorizer not loaded yet: %s refused for %s", context, actions);
            return actions.stream().map(a -> false).toList();
        }
    }

    private static Action action(AclOperation operation, ResourceType type, String name, boolean logIfAllowed, boolean logIfDenied) {
        return new Action(operation, new ResourcePattern(type, name, PatternType.LITERAL), 1, logIfAllowed, logIfDenied);
    }

    private static Map<ApiKeys, AclOperation> clusterOperations(boolean controllerListener) {
        Map<ApiKeys, AclOperation> ops = new EnumMap<>(ApiKeys.class);
        // Node-to-node traffic: only brokers and controllers (their principals in super.users, or granted CLUSTER_ACTION).
        for (ApiKeys api : List.of(ApiKeys.BROKER_REGISTRATION, ApiKeys.BROKER_HEARTBEAT, ApiKeys.ALTER_PARTITION, ApiKeys.WRITE_TXN_MARKERS,
                ApiKeys.ALLOCATE_PRODUCER_IDS, ApiKeys.VOTE, ApiKeys.BEGIN_QUORUM_EPOCH, ApiKeys.END_QUORUM_EPOCH, ApiKeys.FETCH_SNAPSHOT,
                ApiKeys.CONTROLLER_REGISTRATION, ApiKeys.ENVELOPE))
            ops.put(api, AclOperation.CLUSTER_ACTION);
        if (controllerListener) ops.put(ApiKeys.FETCH, AclOperation.CLUSTER_ACTION);
        for (ApiKeys api : List.of(ApiKeys.CREATE_ACLS, ApiKeys.DELETE_ACLS, ApiKeys.ELECT_LEADERS, ApiKeys.ALTER_PARTITION_REASSIGNMENTS,
                ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, ApiKeys.ADD_RAFT_VOTER, ApiKeys.REMOVE_RAFT_VOTER, ApiKeys.UPDATE_RAFT_VOTER))
            ops.put(api, AclOperation.ALTER);
        for (ApiKeys api : List.of(ApiKeys.DESCRIBE_ACLS, ApiKeys.LIST_PARTITION_REASSIGNMENTS, ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS,
                ApiKeys.DESCRIBE_LOG_DIRS, ApiKeys.DESCRIBE_QUORUM))
            ops.put(api, AclOperation.DESCRIBE);
        ops.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, AclOperation.DESCRIBE_CONFIGS);
        ops.put(ApiKeys.ALTER_CLIENT_QUOTAS, AclOperation.ALTER_CONFIGS);
        return Map.copyOf(ops);
    }

    /** A request as Kafka's authorizer sees it. */
    private record KafkaContext(RequestContext context, SecurityProtocol protocol) implements AuthorizableRequestContext {
        @Override public String listenerName() { return context.listenerName(); }
        @Override public SecurityProtocol securityProtocol() { return protocol; }
        @Override public KafkaPrincipal principal() { return context.principal(); }
        @Override public InetAddress clientAddress() {
            // Requests made inside the broker (tests, tools) may have no peer: they come from this host.
            InetAddress address = context.clientAddress() == null ? null : context.clientAddress().getAddress();
            return address == null ? InetAddress.getLoopbackAddress() : address;
        }
        @Override public int requestType() { return context.apiKey().id; }
        @Override public int requestVersion() { return context.apiVersion(); }
        @Override public String clientId() { return context.header().clientId(); }
        @Override public int correlationId() { return context.header().correlationId(); }
    }
}
