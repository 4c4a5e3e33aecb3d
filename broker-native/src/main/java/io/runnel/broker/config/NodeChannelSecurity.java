package io.runnel.broker.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.common.security.scram.ScramLoginModule;

/**
 * The client side of one listener, for this node's own connections to other nodes on it: the
 * inter-broker listener (replication, transaction markers) or the first controller listener (the
 * quorum, broker registration and heartbeats, forwarded writes). Resolved from the same
 * per-listener settings Kafka's brokers use for these connections: {@code listener.name.<l>.ssl.*}
 * (the keystore, if any, is presented as this node's client certificate; the truststore checks the
 * peer) and, for SASL, the username and password of {@code listener.name.<l>.<mechanism>.sasl.jaas.config}.
 * Every check that can fail is made here, at startup. Immutable; {@link #toString()} shows no secret.
 *
 * @param listenerName  the listener the peers serve these connections on
 * @param saslMechanism the mechanism this node authenticates with; null unless {@code protocol} is SASL
 * @param clientConfigs kafka-clients' client settings ({@code ssl.*}, {@code sasl.jaas.config}) for
 *                      {@code ChannelBuilders.clientChannelBuilder}
 */
public record NodeChannelSecurity(String listenerName, SecurityProtocol protocol, String saslMechanism, Map<String, Object> clientConfigs) {
    /** The node-to-node TLS settings read for the client side, Kafka's names. */
    static final List<String> CLIENT_SSL_KEYS = List.of(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG,
            SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, SslConfigs.SSL_KEY_PASSWORD_CONFIG, SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
            SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, SslConfigs.SSL_ENABLED_PROTOCOLS_CONFIG,
            SslConfigs.SSL_CIPHER_SUITES_CONFIG);

    /** What the connections carry, for messages that name the setting at fault. */
    enum Role {
        INTER_BROKER("inter-broker", "sasl.mechanism.inter.broker.protocol"),
        CONTROLLER("controller", "sasl.mechanism.controller.protocol");

        final String traffic;
        final String mechanismKey;

        Role(String traffic, String mechanismKey) {
            this.traffic = traffic;
            this.mechanismKey = mechanismKey;
        }
    }

    public NodeChannelSecurity {
        clientConfigs = Map.copyOf(clientConfigs);
        if ((saslMechanism != null) != usesSasl(protocol))
            throw new IllegalArgumentException("a SASL mechanism goes with a SASL protocol only");
    }

    /**
     * A channel that is never opened: on a single node there are no peers, so nothing is checked
     * (a lone broker with only SASL listeners needs no credentials of its own).
     */
    static NodeChannelSecurity unused(String listenerName) {
        return new NodeChannelSecurity(listenerName, SecurityProtocol.PLAINTEXT, null, Map.of());
    }

    /**
     * Resolves and checks the client side of {@code listener}.
     *
     * @param served the listener's server-side settings if this node serves it too (then the peers'
     *               listener enables what this node's does, as on any cluster of one configuration)
     * @param source the raw settings (absent or blank = not set, but for the endpoint identification algorithm)
     */
    static NodeChannelSecurity resolve(Role role, String listener, SecurityProtocol protocol, Optional<ListenerSecurity> served,
                                       Function<String, Optional<String>> source) {
        Function<String, Optional<String>> set = key -> source.apply(key).filter(v -> !v.isBlank());
        String lower = listener.toLowerCase(Locale.ROOT);
        Function<String, Optional<String>> setting = key -> set.apply("listener.name." + lower + "." + key).or(() -> set.apply(key));
        Map<String, Object> configs = new LinkedHashMap<>();
        if (protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL) {
            for (String key : CLIENT_SSL_KEYS) setting.apply(key).ifPresent(v -> configs.put(key, v));
            // kafka-clients refuses a store password with a PEM store (its key is unencrypted or has ssl.key.password).
            if ("PEM".equalsIgnoreCase(String.valueOf(configs.get(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG))))
                configs.remove(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG);
            if ("PEM".equalsIgnoreCase(String.valueOf(configs.get(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG))))
                configs.remove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG);
            // A blank value turns host name verification off, as in Kafka; unset keeps kafka-clients' default (https).
            source.apply("listener.name." + lower + "." + SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG)
                    .or(() -> source.apply(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG))
                    .ifPresent(v -> configs.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, v.trim()));
        }
        if (!usesSasl(protocol)) return new NodeChannelSecurity(listener, protocol, null, configs);

        // Kafka's default for both keys is GSSAPI, which Runnel does not implement: refused below with the key to set.
        String mechanism = set.apply(role.mechanismKey).orElse("GSSAPI").trim().toUpperCase(Locale.ROOT);
        if (!ListenerSecurity.SUPPORTED_MECHANISMS.contains(mechanism))
            throw new IllegalArgumentException(role.traffic + " listener " + listener + " is " + protocol + " but " + role.mechanismKey + " is "
                    + mechanism + " (Kafka's default is GSSAPI); set it to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
        if (role == Role.CONTROLLER && mechanism.startsWith("SCRAM"))
            throw new IllegalArgumentException(role.mechanismKey + "=" + mechanism + " cannot work: SCRAM credentials live in the cluster "
                    + "metadata, which the controllers can only read once they have reached each other; use PLAIN (or mTLS) on the "
                    + "controller listener " + listener + ", as Kafka's KRaft does");
        if (served.isPresent() && !served.get().sasl().enabledMechanisms().contains(mechanism))
            throw new IllegalArgumentException(role.mechanismKey + "=" + mechanism + " is not among the sasl.enabled.mechanisms "
                    + served.get().sasl().enabledMechanisms() + " of " + role.traffic + " listener " + listener);
        String jaasKey = "listener.name." + lower + "." + mechanism.toLowerCase(Locale.ROOT) + ".sasl.jaas.config";
        String jaas = setting.apply(mechanism.toLowerCase(Locale.ROOT) + ".sasl.jaas.config").orElseThrow(() -> new IllegalArgumentException(
                role.traffic + " listener " + listener + " uses SASL " + mechanism + " but " + jaasKey + " is not set: it needs username= and "
                        + "password= for this node's own connections"));
        checkCredentials(role, listener, mechanism, jaasKey, jaas);
        configs.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
        return new NodeChannelSecurity(listener, protocol, mechanism, configs);
    }

    /**
     * The inter-broker listener, chosen as Kafka chooses it: {@code inter.broker.listener.name}, or
     * the listener named after {@code security.inter.broker.protocol} (never both); with neither,
     * Runnel's default, the first client listener (Kafka's would be the listener named PLAINTEXT).
     */
    static NodeChannelSecurity interBroker(ClusterConfig cluster, List<BrokerConfig.Listener> clientListeners,
                                           Map<String, ListenerSecurity> security, Function<String, Optional<String>> source) {
        Optional<String> byName = source.apply("inter.broker.listener.name").filter(v -> !v.isBlank()).map(String::trim);
        Optional<String> byProtocol = source.apply("security.inter.broker.protocol").filter(v -> !v.isBlank()).map(String::trim);
        if (byName.isPresent() && byProtocol.isPresent())
            throw new IllegalArgumentException("only one of runnel.inter.broker.listener.name and runnel.security.inter.broker.protocol may be set");
        String listener = byName.or(() -> byProtocol.map(p -> p.toUpperCase(Locale.ROOT))).orElse(clientListeners.get(0).name());
        if (cluster.isControllerListener(listener))
            throw new IllegalArgumentException("the inter-broker listener " + listener + " is a controller listener (runnel.controller.listener.names); "
                    + "brokers replicate over a client listener");
        if (clientListeners.stream().noneMatch(l -> l.name().equals(listener)))
            throw new IllegalArgumentException("the inter-broker listener " + listener + " (from " + (byName.isPresent() ? "runnel.inter.broker.listener.name"
                    : byProtocol.isPresent() ? "runnel.security.inter.broker.protocol" : "the first client listener") + ") is not in runnel.listeners");
        ListenerSecurity served = security.get(listener);
        if (cluster.isSingleNode()) return unused(listener);
        return resolve(Role.INTER_BROKER, listener, served.protocol(), Optional.of(served), source);
    }

    /**
     * The first of {@code controller.listener.names}, which brokers and controllers use to reach the
     * controllers (as in Kafka). A node that does not serve it (a broker-only node) takes its
     * protocol from {@code listener.security.protocol.map}.
     */
    static NodeChannelSecurity controller(ClusterConfig cluster, Map<String, ListenerSecurity> security, Function<String, Optional<String>> source) {
        String listener = cluster.controllerListenerNames().isEmpty() ? "CONTROLLER" : cluster.controllerListenerNames().get(0);
        if (cluster.isSingleNode()) return unused(listener);
        Optional<ListenerSecurity> served = Optional.ofNullable(security.get(listener));
        SecurityProtocol protocol;
        if (served.isPresent()) {
            protocol = served.get().protocol();
        } else {
            Optional<String> explicitMap = source.apply("listener.security.protocol.map").filter(v -> !v.isBlank());
            protocol = ListenerSecurity.parseProtocolMap(explicitMap.orElse(ListenerSecurity.DEFAULT_PROTOCOL_MAP)).get(listener);
            if (protocol == null && explicitMap.isPresent())
                throw new IllegalArgumentException("controller listener " + listener + " has no security protocol in runnel.listener.security.protocol.map");
            if (protocol == null) protocol = SecurityProtocol.PLAINTEXT; // as ListenerSecurity does for a custom name under the default map
        }
        return resolve(Role.CONTROLLER, listener, protocol, served, source);
    }

    /** The JAAS entry must be the mechanism's login module with username and password (user_* options are the server's). */
    private static void checkCredentials(Role role, String listener, String mechanism, String jaasKey, String jaas) {
        List<AppConfigurationEntry> entries;
        try {
            entries = JaasContext.loadClientContext(Map.of(SaslConfigs.SASL_JAAS_CONFIG, new Password(jaas))).configurationEntries();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(jaasKey + " of " + role.traffic + " listener " + listener + " is not a JAAS entry: " + e.getMessage());
        }
        String module = mechanism.equals("PLAIN") ? PlainLoginModule.class.getName() : ScramLoginModule.class.getName();
        if (entries.size() != 1 || !entries.get(0).getLoginModuleName().equals(module))
            throw new IllegalArgumentException(jaasKey + " of " + role.traffic + " listener " + listener + " must hold one " + module + " entry");
        Map<String, ?> options = entries.get(0).getOptions();
        for (String option : List.of("username", "password")) {
            Object value = options.get(option);
            if (value == null || String.valueOf(value).isEmpty())
                throw new IllegalArgumentException(jaasKey + " of " + role.traffic + " listener " + listener + " has no " + option
                        + "=: this node authenticates to its peers with it");
        }
    }

    private static boolean usesSasl(SecurityProtocol protocol) {
        return protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
    }

    /** The SASL user this node presents, for log lines; null without SASL. */
    public String saslUser() {
        if (saslMechanism == null) return null;
        Object user = JaasContext.loadClientContext(Map.of(SaslConfigs.SASL_JAAS_CONFIG, new Password((String) clientConfigs.get(SaslConfigs.SASL_JAAS_CONFIG))))
                .configurationEntries().get(0).getOptions().get("username");
        return String.valueOf(user);
    }

    @Override
    public String toString() {
        return "NodeChannelSecurity[listener=" + listenerName + ", protocol=" + protocol + ", mechanism=" + saslMechanism + ", keystore="
                + clientConfigs.get(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG) + ", truststore=" + clientConfigs.get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG) + "]";
    }
}
