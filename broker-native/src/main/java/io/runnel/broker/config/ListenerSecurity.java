package io.runnel.broker.config;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import javax.security.auth.login.AppConfigurationEntry;

import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.plain.PlainLoginModule;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * One listener's security settings, resolved the Kafka way: its protocol from
 * {@code listener.security.protocol.map}, and each setting from
 * {@code listener.name.<lowercased listener>.<key>}, falling back to the broker-wide {@code <key>}.
 * Everything a listener needs to start is checked here, at startup (missing keystore, PLAIN without
 * users, a mechanism Runnel does not implement), so that a misconfigured broker refuses to start
 * instead of refusing clients. Immutable; {@link #toString()} never shows a password.
 *
 * @param unauthenticatedMaxMs how long a connection may stay without an authenticated principal before it is
 *                             closed (SASL listeners only; Runnel's {@code connections.max.unauthenticated.ms})
 */
public record ListenerSecurity(String listenerName, SecurityProtocol protocol, Tls tls, Sasl sasl, long unauthenticatedMaxMs) {

    /** Kafka's default map, plus CONTROLLER (Kafka's KRaft examples map it to PLAINTEXT). */
    public static final String DEFAULT_PROTOCOL_MAP = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT";

    /** The mechanisms Runnel implements (with kafka-clients' own SaslServer implementations). */
    public static final Set<String> SUPPORTED_MECHANISMS = Set.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    public static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry("listener.security.protocol.map", DEFAULT_PROTOCOL_MAP),
            Map.entry("ssl.keystore.location", ""),
            Map.entry("ssl.keystore.password", ""),
            Map.entry("ssl.keystore.type", "JKS"),
            Map.entry("ssl.key.password", ""),
            Map.entry("ssl.truststore.location", ""),
            Map.entry("ssl.truststore.password", ""),
            Map.entry("ssl.truststore.type", "JKS"),
            Map.entry("ssl.client.auth", "none"),
            Map.entry("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"),
            Map.entry("ssl.cipher.suites", ""),
            Map.entry("ssl.principal.mapping.rules", "DEFAULT"),
            Map.entry("sasl.enabled.mechanisms", "GSSAPI"),
            Map.entry("connections.max.reauth.ms", "0"),
            Map.entry("sasl.server.max.receive.size", "524288"),
            Map.entry("connections.max.unauthenticated.ms", "30000"),
            Map.entry("sasl.scram.accept.librdkafka.nonce", "true"));

    /** TLS settings of an SSL or SASL_SSL listener. Store types: JKS, PKCS12 or PEM (files holding the PEM blocks). */
    public record Tls(String keystoreLocation, String keystorePassword, String keystoreType, String keyPassword,
                      String truststoreLocation, String truststorePassword, String truststoreType,
                      ClientAuth clientAuth, List<String> enabledProtocols, List<String> cipherSuites, String principalMappingRules) {
        @Override
        public String toString() {
            return "Tls[keystore=" + keystoreLocation + " (" + keystoreType + "), truststore=" + truststoreLocation + " (" + truststoreType
                    + "), clientAuth=" + clientAuth + ", protocols=" + enabledProtocols + ", principalMappingRules=" + principalMappingRules + "]";
        }
    }

    /** Kafka's {@code ssl.client.auth}. */
    public enum ClientAuth { NONE, REQUESTED, REQUIRED }

    /**
     * SASL settings of a SASL_PLAINTEXT or SASL_SSL listener.
     *
     * @param plainUsers           PLAIN's user → password, from the listener's {@code plain.sasl.jaas.config}
     *                             ({@code user_<name>="<password>"} options, as Kafka's PlainServerCallbackHandler reads them)
     * @param connectionsMaxReauthMs the session lifetime after which a client must re-authenticate (KIP-368); 0 = never
     * @param maxReceiveBytes      the largest frame accepted before authentication ({@code sasl.server.max.receive.size})
     * @param acceptLibrdkafkaNonce SCRAM also accepts librdkafka's pre-2.6.1 client-final nonce (client nonce + server-first
     *                             nonce), which Kafka 4.x refuses ({@code sasl.scram.accept.librdkafka.nonce}, Runnel's own)
     */
    public record Sasl(List<String> enabledMechanisms, Map<String, String> plainUsers, long connectionsMaxReauthMs, int maxReceiveBytes,
                       boolean acceptLibrdkafkaNonce) {
        @Override
        public String toString() {
            return "Sasl[mechanisms=" + enabledMechanisms + ", plainUsers=" + plainUsers.keySet() + ", connectionsMaxReauthMs="
                    + connectionsMaxReauthMs + ", maxReceiveBytes=" + maxReceiveBytes + ", acceptLibrdkafkaNonce=" + acceptLibrdkafkaNonce + "]";
        }
    }

    public boolean usesTls() {
        return protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL;
    }

    public boolean usesSasl() {
        return protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL;
    }

    /** A PLAINTEXT listener with no settings (tools and tests that build listeners by hand). */
    public static ListenerSecurity plaintext(String listenerName) {
        return new ListenerSecurity(listenerName, SecurityProtocol.PLAINTEXT, null, null, Long.parseLong(DEFAULTS.get("connections.max.unauthenticated.ms")));
    }

    /**
     * Resolves every listener's settings.
     *
     * @param source the raw config (absent or blank = not set)
     * @param names  the listener names, controller listeners included
     */
    static Map<String, ListenerSecurity> resolve(List<String> names, Function<String, Optional<String>> source) {
        Function<String, Optional<String>> set = key -> source.apply(key).filter(v -> !v.isBlank());
        Optional<String> explicitMap = set.apply("listener.security.protocol.map");
        Map<String, SecurityProtocol> protocols = parseProtocolMap(explicitMap.orElse(DEFAULT_PROTOCOL_MAP));
        Map<String, ListenerSecurity> out = new LinkedHashMap<>();
        for (String name : names) {
            SecurityProtocol protocol = protocols.get(name);
            if (protocol == null) {
                // Kafka refuses a listener missing from the map. Runnel keeps accepting custom names as PLAINTEXT while the
                // map is left at its default, so that configurations written before security existed keep working.
                if (explicitMap.isPresent())
                    throw new IllegalArgumentException("listener " + name + " has no security protocol in runnel.listener.security.protocol.map");
                protocol = SecurityProtocol.PLAINTEXT;
            }
            out.put(name, resolveOne(name, protocol, set));
        }
        return Map.copyOf(out);
    }

    private static ListenerSecurity resolveOne(String name, SecurityProtocol protocol, Function<String, Optional<String>> set) {
        String prefix = "listener.name." + name.toLowerCase(Locale.ROOT) + ".";
        Function<String, String> setting = key -> set.apply(prefix + key).or(() -> set.apply(key)).orElseGet(() -> DEFAULTS.getOrDefault(key, ""));
        Tls tls = null;
        Sasl sasl = null;
        if (protocol == SecurityProtocol.SSL || protocol == SecurityProtocol.SASL_SSL) tls = tls(name, setting);
        if (protocol == SecurityProtocol.SASL_PLAINTEXT || protocol == SecurityProtocol.SASL_SSL) sasl = sasl(name, setting);
        long unauthenticatedMaxMs = Long.parseLong(setting.apply("connections.max.unauthenticated.ms"));
        if (unauthenticatedMaxMs < 1) throw new IllegalArgumentException("connections.max.unauthenticated.ms of listener " + name + " must be >= 1");
        return new ListenerSecurity(name, protocol, tls, sasl, unauthenticatedMaxMs);
    }

    private static Tls tls(String name, Function<String, String> setting) {
        String keystore = setting.apply("ssl.keystore.location");
        if (keystore.isBlank())
            throw new IllegalArgumentException("listener " + name + " uses TLS but has no ssl.keystore.location (listener.name."
                    + name.toLowerCase(Locale.ROOT) + ".ssl.keystore.location or ssl.keystore.location)");
        ClientAuth clientAuth = switch (setting.apply("ssl.client.auth").trim().toLowerCase(Locale.ROOT)) {
            case "none" -> ClientAuth.NONE;
            case "requested" -> ClientAuth.REQUESTED;
            case "required" -> ClientAuth.REQUIRED;
            default -> throw new IllegalArgumentException("ssl.client.auth of listener " + name + " must be none, requested or required");
        };
        String rules = setting.apply("ssl.principal.mapping.rules");
        SslPrincipalMapper.fromRules(rules); // fails now on a malformed rule, not at the first client certificate
        return new Tls(keystore, setting.apply("ssl.keystore.password"), storeType(name, setting.apply("ssl.keystore.type")),
                setting.apply("ssl.key.password"), setting.apply("ssl.truststore.location"), setting.apply("ssl.truststore.password"),
                storeType(name, setting.apply("ssl.truststore.type")), clientAuth, list(setting.apply("ssl.enabled.protocols")),
                list(setting.apply("ssl.cipher.suites")), rules);
    }

    private static String storeType(String name, String type) {
        String upper = type.trim().toUpperCase(Locale.ROOT);
        if (!upper.equals("JKS") && !upper.equals("PKCS12") && !upper.equals("PEM"))
            throw new IllegalArgumentException("store type " + type + " of listener " + name + " is not JKS, PKCS12 or PEM");
        return upper;
    }

    private static Sasl sasl(String name, Function<String, String> setting) {
        List<String> mechanisms = list(setting.apply("sasl.enabled.mechanisms")).stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
        if (mechanisms.isEmpty()) throw new IllegalArgumentException("listener " + name + " uses SASL but sasl.enabled.mechanisms is empty");
        for (String mechanism : mechanisms) {
            if (!SUPPORTED_MECHANISMS.contains(mechanism))
                throw new IllegalArgumentException("SASL mechanism " + mechanism + " of listener " + name + " is not supported (supported: "
                        + String.join(", ", SUPPORTED_MECHANISMS.stream().sorted().toList()) + "); set listener.name."
                        + name.toLowerCase(Locale.ROOT) + ".sasl.enabled.mechanisms");
        }
        Map<String, String> plainUsers = Map.of();
        if (mechanisms.contains("PLAIN")) plainUsers = plainUsers(name, setting.apply("plain.sasl.jaas.config"));
        int maxReceiveBytes = Integer.parseInt(setting.apply("sasl.server.max.receive.size"));
        long reauthMs = Long.parseLong(setting.apply("connections.max.reauth.ms"));
        if (maxReceiveBytes < 1 || reauthMs < 0) throw new IllegalArgumentException("sasl.server.max.receive.size / connections.max.reauth.ms of listener " + name + " out of range");
        return new Sasl(mechanisms, plainUsers, reauthMs, maxReceiveBytes, bool(name, "sasl.scram.accept.librdkafka.nonce", setting));
    }

    /** The {@code user_<name>="<password>"} options of a PlainLoginModule JAAS entry. */
    static Map<String, String> plainUsers(String listener, String jaas) {
        if (jaas.isBlank())
            throw new IllegalArgumentException("listener " + listener + " enables PLAIN but has no listener.name." + listener.toLowerCase(Locale.ROOT)
                    + ".plain.sasl.jaas.config with its users");
        // Kafka's own JAAS parser, as the broker reads listener.name.<listener>.plain.sasl.jaas.config.
        List<AppConfigurationEntry> entries = JaasContext.loadServerContext(ListenerName.normalised(listener), "PLAIN",
                Map.of("plain.sasl.jaas.config", new Password(jaas))).configurationEntries();
        if (entries.size() != 1 || !entries.get(0).getLoginModuleName().equals(PlainLoginModule.class.getName()))
            throw new IllegalArgumentException("plain.sasl.jaas.config of listener " + listener + " must hold one " + PlainLoginModule.class.getName() + " entry");
        Map<String, String> users = new LinkedHashMap<>();
        entries.get(0).getOptions().forEach((key, value) -> {
            if (key.startsWith("user_")) users.put(key.substring("user_".length()), String.valueOf(value));
        });
        return Map.copyOf(users);
    }

    static Map<String, SecurityProtocol> parseProtocolMap(String spec) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        for (String entry : list(spec)) {
            int colon = entry.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("listener.security.protocol.map entry '" + entry + "' is not NAME:PROTOCOL");
            String protocol = entry.substring(colon + 1).trim().toUpperCase(Locale.ROOT);
            if (!SecurityProtocol.names().contains(protocol))
                throw new IllegalArgumentException("listener.security.protocol.map entry '" + entry + "' names an unknown protocol " + protocol);
            map.put(entry.substring(0, colon).trim(), SecurityProtocol.forName(protocol));
        }
        return map;
    }

    /** Strictly true or false: a typo must stop the broker, not silently pick a security behaviour. */
    private static boolean bool(String listener, String key, Function<String, String> setting) {
        String value = setting.apply(key).trim().toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false"))
            throw new IllegalArgumentException(key + " of listener " + listener + " must be true or false, not '" + setting.apply(key) + "'");
        return value.equals("true");
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
