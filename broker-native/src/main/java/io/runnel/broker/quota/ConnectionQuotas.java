package io.runnel.broker.quota;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Quota;
import org.apache.kafka.common.metrics.QuotaViolationException;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.jboss.logging.Logger;

import io.runnel.broker.config.QuotaSettings;
import io.runnel.broker.metadata.ClientQuotaImage;

/**
 * The connection limits of a broker's client listeners, as Kafka's ConnectionQuotas counts them:
 * per client address ({@code max.connections.per.ip}, with {@code max.connections.per.ip.overrides}),
 * per listener ({@code listener.name.<l>.max.connections}), per broker ({@code max.connections};
 * the inter-broker listener is exempt), and Runnel's cap on connections of a SASL listener that
 * have not authenticated yet ({@code max.unauthenticated.connections}), and the rate of new
 * connections per client address (the {@code connection_creation_rate} client quota of an
 * {@code ip} entity, else of the default ip entity; measured over {@code quota.window.num}
 * windows of {@code quota.window.size.seconds} like every Kafka quota).
 *
 * <p>A connection over a limit is refused: the caller closes it at once; this logs why and counts
 * it in {@code runnel_connections_refused_total{listener,reason}}. (Kafka closes a connection
 * over the per-address limit the same way, but holds one over a listener or broker limit in the
 * accept backlog until a slot frees; Runnel closes it too, and the client reconnects with backoff.)
 *
 * <p>Invariants: every admitted connection is counted once in each of its counters until its
 * {@link Lease#close()}; counts never go negative; an unauthenticated connection is counted as
 * such until it authenticates or closes, whichever comes first. Thread-safe: connections of all
 * event loops open and close concurrently; the counters are guarded by this object's lock, held
 * only for map updates.
 */
public final class ConnectionQuotas implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ConnectionQuotas.class);
    private static final String CONNECTION_RATE_KEY = "connection_creation_rate";

    private final QuotaSettings settings;
    /** Null on a single node: there is no inter-broker listener. */
    private final String interBrokerListener;
    private final QuotaMetrics meters;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private final Map<String, Integer> perListener = new HashMap<>();
    private final Map<String, Integer> unauthenticated = new HashMap<>();
    private int total;
    private final java.util.function.Supplier<ClientQuotaImage> quotas;
    private final org.apache.kafka.common.utils.Time time;
    /** Per-address connection-rate sensors, as Kafka's; idle ones expire after an hour. */
    private final Metrics rates;

    /** Without connection-rate quotas (tests). */
    public ConnectionQuotas(QuotaSettings settings, String interBrokerListener, QuotaMetrics meters) {
        this(settings, interBrokerListener, meters, () -> ClientQuotaImage.EMPTY, org.apache.kafka.common.utils.Time.SYSTEM);
    }

    /** @param quotas the client quotas of the cluster metadata, for {@code connection_creation_rate} of ip entities */
    public ConnectionQuotas(QuotaSettings settings, String interBrokerListener, QuotaMetrics meters,
                            java.util.function.Supplier<ClientQuotaImage> quotas, org.apache.kafka.common.utils.Time time) {
        this.settings = settings;
        this.interBrokerListener = interBrokerListener;
        this.meters = meters;
        this.quotas = quotas;
        this.time = time;
        this.rates = new Metrics(new MetricConfig(), java.util.List.of(), time, true);
    }

    /** One admitted connection's place in the counts. Closed once by the connection's own event loop. */
    public final class Lease {
        private final String listener;
        private final InetAddress address;
        private boolean awaitingAuthentication;
        private boolean closed;

        private Lease(String listener, InetAddress address, boolean awaitingAuthentication) {
            this.listener = listener;
            this.address = address;
            this.awaitingAuthentication = awaitingAuthentication;
        }

        /** The connection authenticated: it no longer counts against {@code max.unauthenticated.connections}. */
        public void authenticated() {
            synchronized (ConnectionQuotas.this) {
                if (!awaitingAuthentication || closed) return;
                awaitingAuthentication = false;
                decrement(unauthenticated, listener);
            }
        }

        /** The connection closed; idempotent. */
        public void close() {
            synchronized (ConnectionQuotas.this) {
                if (closed) return;
                closed = true;
                if (awaitingAuthentication) decrement(unauthenticated, listener);
                decrement(perAddress, address);
                decrement(perListener, listener);
                if (!listener.equals(interBrokerListener)) total--;
                assert total >= 0 : "negative connection count";
            }
        }
    }

    /**
     * Admits a new connection from {@code address} on {@code listener}, or returns null (and logs
     * and counts why) if a limit is reached.
     *
     * @param awaitsAuthentication the listener is a SASL listener: the connection counts as unauthenticated until it authenticates
     */
    public Lease tryOpen(String listener, InetAddress address, boolean awaitsAuthentication) {
        String refused;
        synchronized (this) {
            refused = refusal(listener, address, awaitsAuthentication);
            if (refused == null) {
                perAddress.merge(address, 1, Integer::sum);
                perListener.merge(listener, 1, Integer::sum);
                if (!listener.equals(interBrokerListener)) total++;
                if (awaitsAuthentication) unauthenticated.merge(listener, 1, Integer::sum);
                return new Lease(listener, address, awaitsAuthentication);
            }
        }
        String reason = refused.substring(0, refused.indexOf(' '));
        meters.connectionRefused(listener, reason);
        LOG.infof("Refusing connection from %s on listener %s: %s", address.getHostAddress(), listener, refused.substring(reason.length() + 1));
        return null;
    }

    /** Why a connection cannot be admitted now ("reason explanation"), or null. Caller holds the lock. */
    private String refusal(String listener, InetAddress address, boolean awaitsAuthentication) {
        int addressMax = settings.maxConnections(address);
        if (perAddress.getOrDefault(address, 0) >= addressMax)
            return "per_ip " + addressMax + " connections from this address already (max.connections.per.ip)";
        Integer listenerMax = settings.listenerMaxConnections().get(listener);
        if (listenerMax != null && perListener.getOrDefault(listener, 0) >= listenerMax)
            return "listener " + listenerMax + " connections on this listener already (listener.name." + listener.toLowerCase(java.util.Locale.ROOT)
                   + ".max.connections)";
        if (!listener.equals(interBrokerListener) && total >= settings.maxConnections())
            return "broker " + settings.maxConnections() + " connections on this broker already (max.connections)";
        Integer unauthenticatedMax = settings.maxUnauthenticatedConnections().get(listener);
        if (awaitsAuthentication && unauthenticatedMax != null && unauthenticated.getOrDefault(listener, 0) >= unauthenticatedMax)
            return "unauthenticated " + unauthenticatedMax + " connections still authenticating on this listener (max.unauthenticated.connections)";
        Double rate = connectionRateQuota(address);
        if (rate != null && !admitAtRate(address, rate))
            return "creation_rate more than " + rate + " new connections per second from this address (connection_creation_rate quota)";
        return null;
    }

    /** The address's connection_creation_rate: its own ip entity's, else the default ip entity's, else none. */
    private Double connectionRateQuota(InetAddress address) {
        ClientQuotaImage image = quotas.get();
        if (image.isEmpty()) return null;
        Double own = image.quotas(new ClientQuotaEntity(Map.of(ClientQuotaEntity.IP, address.getHostAddress()))).get(CONNECTION_RATE_KEY);
        if (own != null) return own;
        Map<String, String> defaultIp = new HashMap<>();
        defaultIp.put(ClientQuotaEntity.IP, null);
        return image.quotas(new ClientQuotaEntity(defaultIp)).get(CONNECTION_RATE_KEY);
    }

    /** Counts one new connection from {@code address} against {@code rate}; a connection over it is not counted (Kafka's way). */
    private boolean admitAtRate(InetAddress address, double rate) {
        String name = "connection-rate-" + address.getHostAddress();
        MetricConfig config = new MetricConfig().timeWindow(settings.windowSizeSeconds(), TimeUnit.SECONDS).samples(settings.windowCount())
                .quota(Quota.upperBound(rate));
        Sensor sensor = rates.getSensor(name);
        if (sensor == null) {
            sensor = rates.sensor(name, null, 3600);
            sensor.add(rates.metricName("connection-creation-rate", "ip", "", Map.of("ip", address.getHostAddress())), new Rate(), config);
        } else {
            for (KafkaMetric m : rates.metrics().values()) {
                if (m.metricName().group().equals("ip") && address.getHostAddress().equals(m.metricName().tags().get("ip"))
                        && Double.compare(m.config().quota().bound(), rate) != 0) m.config(config);
            }
        }
        long nowMs = time.milliseconds();
        try {
            sensor.record(1, nowMs, true);
            return true;
        } catch (QuotaViolationException e) {
            sensor.record(-1, nowMs, false);
            return false;
        }
    }

    @Override
    public void close() {
        rates.close();
    }

    private static <K> void decrement(Map<K, Integer> counts, K key) {
        Integer left = counts.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
        assert left == null || left > 0;
    }
}
