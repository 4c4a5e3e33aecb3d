package io.runnel.broker.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The broker settings of client quotas and connection limits, named as Kafka names them (plus
 * Runnel's own {@code max.unauthenticated.connections}). Immutable; any thread.
 *
 * @param windowCount                   {@code quota.window.num}: how many windows a quota's rate is measured over
 * @param windowSizeSeconds             {@code quota.window.size.seconds}: the length of one window
 * @param maxConnectionsPerIp           {@code max.connections.per.ip}: connections one client address may hold, on all listeners together
 * @param maxConnectionsPerIpOverrides  {@code max.connections.per.ip.overrides}: address → its own limit (host names resolved at startup)
 * @param maxConnections                {@code max.connections}: connections the broker holds on all listeners together
 *                                      (the inter-broker listener is exempt, as in Kafka)
 * @param listenerMaxConnections        {@code listener.name.<listener>.max.connections}, per listener name (absent: no limit)
 * @param failedAuthenticationDelayMs   {@code connection.failed.authentication.delay.ms}: how long a failed authentication's
 *                                      answer and close are held back, to slow down password guessing
 * @param maxUnauthenticatedConnections Runnel's {@code max.unauthenticated.connections}, per SASL listener (overridable as
 *                                      {@code listener.name.<listener>.max.unauthenticated.connections}): connections
 *                                      still authenticating that a listener holds at once; more are closed at once
 */
public record QuotaSettings(int windowCount, int windowSizeSeconds, int maxConnectionsPerIp, Map<InetAddress, Integer> maxConnectionsPerIpOverrides,
                            int maxConnections, Map<String, Integer> listenerMaxConnections, long failedAuthenticationDelayMs,
                            Map<String, Integer> maxUnauthenticatedConnections) {
    static final Map<String, String> DEFAULTS = Map.of(
            "quota.window.num", "11",
            "quota.window.size.seconds", "1",
            "max.connections.per.ip", Integer.toString(Integer.MAX_VALUE),
            "max.connections.per.ip.overrides", "",
            "max.connections", Integer.toString(Integer.MAX_VALUE),
            "connection.failed.authentication.delay.ms", "100",
            "max.unauthenticated.connections", "1000");

    public QuotaSettings {
        if (windowCount < 2) throw new IllegalArgumentException("quota.window.num must be >= 2");
        if (windowSizeSeconds < 1) throw new IllegalArgumentException("quota.window.size.seconds must be >= 1");
        if (maxConnectionsPerIp < 0 || maxConnections < 0) throw new IllegalArgumentException("max.connections.per.ip and max.connections must be >= 0");
        if (maxConnectionsPerIp == 0 && maxConnectionsPerIpOverrides.isEmpty())
            // Kafka's rule: a limit of 0 only makes sense with overrides that let some addresses in.
            throw new IllegalArgumentException("max.connections.per.ip.overrides must be set when max.connections.per.ip is 0");
        if (failedAuthenticationDelayMs < 0) throw new IllegalArgumentException("connection.failed.authentication.delay.ms must be >= 0");
        maxConnectionsPerIpOverrides = Map.copyOf(maxConnectionsPerIpOverrides);
        listenerMaxConnections = Map.copyOf(listenerMaxConnections);
        maxUnauthenticatedConnections = Map.copyOf(maxUnauthenticatedConnections);
    }

    /**
     * Reads the keys through {@code get} (falling back to the defaults) and the per-listener ones
     * through {@code source} (no default).
     */
    static QuotaSettings from(Function<String, String> get, Function<String, Optional<String>> source, List<String> listenerNames) {
        Map<String, Integer> listenerMax = new HashMap<>();
        Map<String, Integer> unauthenticated = new HashMap<>();
        int unauthenticatedDefault = Integer.parseInt(get.apply("max.unauthenticated.connections").trim());
        for (String name : listenerNames) {
            String prefix = "listener.name." + name.toLowerCase(Locale.ROOT) + ".";
            source.apply(prefix + "max.connections").filter(v -> !v.isBlank()).ifPresent(v -> listenerMax.put(name, Integer.parseInt(v.trim())));
            unauthenticated.put(name, source.apply(prefix + "max.unauthenticated.connections").filter(v -> !v.isBlank())
                    .map(v -> Integer.parseInt(v.trim())).orElse(unauthenticatedDefault));
        }
        return new QuotaSettings(Integer.parseInt(get.apply("quota.window.num").trim()), Integer.parseInt(get.apply("quota.window.size.seconds").trim()),
                Integer.parseInt(get.apply("max.connections.per.ip").trim()), parseOverrides(get.apply("max.connections.per.ip.overrides")),
                Integer.parseInt(get.apply("max.connections").trim()), listenerMax,
                Long.parseLong(get.apply("connection.failed.authentication.delay.ms").trim()), unauthenticated);
    }

    /** {@code host:count,ip:count}, as Kafka writes it; an IPv6 address's own colons are kept (the count follows the last one). */
    static Map<InetAddress, Integer> parseOverrides(String spec) {
        Map<InetAddress, Integer> overrides = new LinkedHashMap<>();
        for (String entry : spec.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) continue;
            int colon = e.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("max.connections.per.ip.overrides entry '" + e + "' is not host:count");
            String host = e.substring(0, colon).trim();
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            try {
                overrides.put(InetAddress.getByName(host), Integer.parseInt(e.substring(colon + 1).trim()));
            } catch (UnknownHostException ex) {
                throw new IllegalArgumentException("max.connections.per.ip.overrides: unknown host " + host, ex);
            }
        }
        return overrides;
    }

    /** The connection limit of client address {@code address}. */
    public int maxConnections(InetAddress address) {
        return maxConnectionsPerIpOverrides.getOrDefault(address, maxConnectionsPerIp);
    }

    void putKafkaConfigs(Map<String, String> m) {
        m.put("quota.window.num", Integer.toString(windowCount));
        m.put("quota.window.size.seconds", Integer.toString(windowSizeSeconds));
        m.put("max.connections.per.ip", Integer.toString(maxConnectionsPerIp));
        m.put("max.connections", Integer.toString(maxConnections));
        m.put("connection.failed.authentication.delay.ms", Long.toString(failedAuthenticationDelayMs));
    }
}
