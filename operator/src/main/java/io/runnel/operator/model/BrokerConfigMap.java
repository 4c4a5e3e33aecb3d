package io.runnel.operator.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.runnel.operator.api.AuthorizationSpec;
import io.runnel.operator.api.Cluster;

/**
 * The brokers' shared configuration as a ConfigMap of environment variables (the broker reads
 * {@code RUNNEL_<KEY>} for every Kafka key): the static part of the user's {@code spec.config} plus
 * the cluster's identity. Keys that must differ per broker or that the operator owns are refused. Pure.
 */
public final class BrokerConfigMap {
    public static final String CLUSTER_ID_KEY = "RUNNEL_CLUSTER_ID";
    public static final String VOTERS_KEY = "RUNNEL_CONTROLLER_QUORUM_VOTERS";

    /** Set per pod or derived from the spec: a user value would break the cluster. */
    static final Set<String> OPERATOR_KEYS = Set.of("node.id", "broker.id", "listeners", "advertised.listeners", "log.dirs", "log.dir",
            "controller.quorum.voters", "controller.quorum.bootstrap.servers", "controller.listener.names", "process.roles",
            "cluster.id", "broker.rack", "listener.security.protocol.map", "inter.broker.listener.name");

    private BrokerConfigMap() {
    }

    /** Problems with {@code spec.config}, each naming the key; empty when it can be applied. */
    public static List<String> validate(Map<String, String> config) {
        List<String> problems = new ArrayList<>();
        for (var e : new TreeMap<>(config).entrySet()) {
            String key = e.getKey();
            if (OPERATOR_KEYS.contains(key)) problems.add("config key '" + key + "' is set by the operator and cannot be given");
            else if (!key.matches("[a-z0-9]+([._-][a-z0-9]+)*")) problems.add("config key '" + key + "' is not a Kafka config key");
            if (e.getValue() == null) problems.add("config key '" + key + "' has no value");
        }
        return problems;
    }

    public static String envName(String kafkaKey) {
        return "RUNNEL_" + kafkaKey.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static final String SUPER_USERS = "super.users";
    static final String AUTHORIZER = "authorizer.class.name";
    /** Kafka's KRaft authorizer, what {@code spec.authorization.type: simple} renders. */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    static final String ANONYMOUS = "User:ANONYMOUS";

    /**
     * Problems with {@code spec.authorization}: with it, the authorizer and super users are its own (not also in
     * spec.config), and the operator needs an mTLS path (an mTLS interBrokerListener), else it could only
     * administer the brokers as User:ANONYMOUS over the plain listener, which would then have to be a super user:
     * refused unless the spec lists User:ANONYMOUS itself.
     */
    public static List<String> validateAuthorization(Cluster cluster) {
        AuthorizationSpec authz = cluster.getSpec().authorization;
        if (authz == null) return List.of();
        List<String> problems = new ArrayList<>();
        for (String key : List.of(AUTHORIZER, SUPER_USERS))
            if (cluster.getSpec().config.containsKey(key))
                problems.add("config key '" + key + "' is set by spec.authorization: give it there (authorization.superUsers), not in config");
        List<String> given = authz.superUsers == null ? List.of() : authz.superUsers;
        for (String p : given)
            if (p == null || !p.matches("[A-Za-z]+:[^;]+")) problems.add("authorization.superUsers: '" + p + "' is not a principal like User:alice");
        if (Listeners.operatorMtls(cluster).isEmpty() && !given.contains(ANONYMOUS))
            problems.add("authorization needs an mTLS interBrokerListener (tls: true, authentication: {type: tls}): the operator administers"
                    + " the brokers over it as User:<cluster>-operator; without one it connects over the plain first listener as "
                    + ANONYMOUS + ", which would then be a super user (list it in authorization.superUsers to accept that)");
        return problems;
    }

    /**
     * {@code super.users}: spec.authorization's (or spec.config's) with the brokers' and the operator's principals
     * added when they authenticate by certificate (an mTLS inter-broker listener): with an authorizer the brokers
     * must replicate and write markers, and the operator administer, whatever the ACLs say, as Kafka's brokers do.
     * Empty when there is nothing to set.
     */
    static java.util.Optional<String> superUsers(Cluster cluster, ClusterNames names) {
        AuthorizationSpec authz = cluster.getSpec().authorization;
        List<String> principals = new ArrayList<>();
        if (authz != null) {
            if (authz.superUsers != null) principals.addAll(authz.superUsers);
        } else {
            String given = cluster.getSpec().config.get(SUPER_USERS);
            if (given != null && !given.isBlank()) principals.addAll(java.util.Arrays.asList(given.split(";")));
        }
        if (Listeners.operatorMtls(cluster).isPresent()) {
            for (String own : List.of("User:" + Listeners.brokerPrincipalName(names), "User:" + Listeners.operatorPrincipalName(names)))
                if (!principals.contains(own)) principals.add(own);
        }
        if (principals.isEmpty()) return authz == null ? java.util.Optional.ofNullable(cluster.getSpec().config.get(SUPER_USERS)) : java.util.Optional.empty();
        return java.util.Optional.of(String.join(";", principals));
    }

    /** The data of the ConfigMap: environment variable → value, sorted so the hash is stable. */
    public static Map<String, String> data(Cluster cluster, BrokerIdentity identity, ClusterNames names) {
        Map<String, String> data = new TreeMap<>();
        // A cluster created smaller than Kafka's default offsets replication factor (3) would never
        // create __consumer_offsets. Taken from the quorum size, fixed at creation, so that scaling
        // does not change the config and roll the brokers; the user's own value wins.
        data.put(envName("offsets.topic.replication.factor"), Integer.toString(identity.controllerCount()));
        // Dynamic settings are applied to the running brokers instead (DynamicBrokerConfigs): not here, so that they restart nothing.
        DynamicBrokerConfigs.staticPart(cluster.getSpec().config).forEach((k, v) -> data.put(envName(k), v));
        superUsers(cluster, names).ifPresent(v -> data.put(envName(SUPER_USERS), v));
        if (cluster.getSpec().authorization != null) data.put(envName(AUTHORIZER), STANDARD_AUTHORIZER);
        data.put(CLUSTER_ID_KEY, identity.clusterId());
        data.put(VOTERS_KEY, identity.voters(names));
        return data;
    }

    public static ConfigMap build(Cluster cluster, BrokerIdentity identity, ClusterNames names) {
        return new ConfigMapBuilder()
                .withNewMetadata().withName(names.configMap()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withData(data(cluster, identity, names))
                .build();
    }

    /** A hash of the data, put on the pod template so that a config change rolls the brokers. */
    public static String hash(Map<String, String> data) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            new TreeMap<>(data).forEach((k, v) -> sha.update((k + "=" + v + "\n").getBytes(StandardCharsets.UTF_8)));
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the identity back from an existing ConfigMap, if it holds one. */
    public static java.util.Optional<BrokerIdentity> identity(ConfigMap existing) {
        if (existing == null || existing.getData() == null) return java.util.Optional.empty();
        String id = existing.getData().get(CLUSTER_ID_KEY);
        String voters = existing.getData().get(VOTERS_KEY);
        if (id == null || voters == null) return java.util.Optional.empty();
        return java.util.Optional.of(BrokerIdentity.parse(id, voters));
    }
}
