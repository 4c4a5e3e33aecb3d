package io.runnel.broker.quota;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Quota;
import org.apache.kafka.common.metrics.QuotaViolationException;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.server.quota.QuotaUtils;

import io.runnel.broker.config.QuotaSettings;
import io.runnel.broker.metadata.ClientQuotaImage;

/**
 * One kind of client quota (produce bytes, fetch bytes, or request time), measured and enforced as
 * Kafka's ClientQuotaManager does it: each quota bucket ({@link ClientQuotaResolution}) has a
 * kafka-clients {@link Sensor} with a {@link Rate} over {@code quota.window.num} windows of
 * {@code quota.window.size.seconds}, bounded by the bucket's quota. Recording a value that takes
 * the rate over the bound yields the throttle time Kafka computes ({@link QuotaUtils#throttleTime}):
 * how long the client must stay silent for the rate over the whole window to fall back to the
 * quota, {@code (rate - quota) / quota * window}.
 *
 * <p>Requests no quota applies to are not measured. When the quotas in the metadata change, every
 * live sensor's bound is recomputed before the next value is recorded. Sensors idle for an hour
 * are dropped (kafka-clients' sensor expiry). Thread-safe: event loops of all connections record
 * concurrently (Sensor is synchronized); sensor creation and bound updates take this object's lock.
 */
final class ClientQuotaManager {
    private static final long INACTIVE_SENSOR_EXPIRY_SECONDS = 3600;

    /** The kinds of client quota Runnel enforces, with their metadata key. */
    enum Kind {
        PRODUCE("producer_byte_rate", "produce"), FETCH("consumer_byte_rate", "fetch"), REQUEST("request_percentage", "request");

        final String key;
        final String label;

        Kind(String key, String label) {
            this.key = key;
            this.label = label;
        }
    }

    private final Kind kind;
    private final Metrics metrics;
    private final QuotaSettings settings;
    private final Supplier<ClientQuotaImage> quotas;
    private final QuotaMetrics meters;
    private final long maxThrottleTimeMs;
    /** The quotas the live sensors' bounds were computed from; guarded by this. */
    private ClientQuotaImage boundsFrom;

    /** @param maxThrottleTimeMs the longest throttle given (Kafka bounds only request-time throttles: one window) */
    ClientQuotaManager(Kind kind, Metrics metrics, QuotaSettings settings, Supplier<ClientQuotaImage> quotas, QuotaMetrics meters,
                       long maxThrottleTimeMs) {
        this.kind = kind;
        this.metrics = metrics;
        this.settings = settings;
        this.quotas = quotas;
        this.meters = meters;
        this.maxThrottleTimeMs = maxThrottleTimeMs;
    }

    /**
     * Records {@code value} for the request's bucket at {@code nowMs} and returns the throttle
     * time in ms (0 when within quota or no quota applies).
     */
    int recordAndGetThrottleTimeMs(String user, String clientId, double value, long nowMs) {
        ClientQuotaResolution.Resolved bucket = bucket(user, clientId);
        if (bucket == null) return 0;
        meters.recorded(kind.label, bucket.userTag(), bucket.clientIdTag(), value);
        try {
            sensor(bucket).record(value, nowMs, true);
            return 0;
        } catch (QuotaViolationException e) {
            long throttleMs = maxThrottleTimeMs == Long.MAX_VALUE ? QuotaUtils.throttleTime(e, nowMs)
                    : QuotaUtils.boundedThrottleTime(e, maxThrottleTimeMs, nowMs);
            int throttleTimeMs = (int) Math.max(0, Math.min(Integer.MAX_VALUE, throttleMs));
            if (throttleTimeMs > 0) meters.throttled(kind.label, bucket.userTag(), bucket.clientIdTag(), throttleTimeMs);
            return throttleTimeMs;
        }
    }

    /** Records {@code value} without checking the quota: it counts against the next request. */
    void recordNoThrottle(String user, String clientId, double value, long nowMs) {
        ClientQuotaResolution.Resolved bucket = bucket(user, clientId);
        if (bucket == null) return;
        meters.recorded(kind.label, bucket.userTag(), bucket.clientIdTag(), value);
        sensor(bucket).record(value, nowMs, false);
    }

    /** Takes back a value recorded for a response that was not sent after all (a throttled fetch is answered empty). */
    void unrecord(String user, String clientId, double value, long nowMs) {
        ClientQuotaResolution.Resolved bucket = bucket(user, clientId);
        if (bucket == null) return;
        meters.recorded(kind.label, bucket.userTag(), bucket.clientIdTag(), -value);
        sensor(bucket).record(-value, nowMs, false);
    }

    /**
     * The most that can be recorded at once without certainly being throttled even after a quiet
     * window: quota × (windows − 1) × window seconds. A fetch is capped at this many bytes.
     */
    double maxValueInQuotaWindow(String user, String clientId) {
        ClientQuotaResolution.Resolved bucket = bucket(user, clientId);
        if (bucket == null) return Double.MAX_VALUE;
        return bucket.bound() * (settings.windowCount() - 1) * settings.windowSizeSeconds();
    }

    /** The request's bucket, or null when no quota of this kind applies to it. */
    private ClientQuotaResolution.Resolved bucket(String user, String clientId) {
        ClientQuotaImage image = quotas.get();
        if (image.isEmpty()) return null;
        ClientQuotaResolution.Resolved bucket = ClientQuotaResolution.resolve(image, kind.key, user, clientId == null ? "" : clientId);
        if (bucket.bound() == null) return null;
        if (image != boundsFrom) refreshBounds(image);
        return bucket;
    }

    private Sensor sensor(ClientQuotaResolution.Resolved bucket) {
        String name = kind.label + "-" + bucket.userTag() + ":" + bucket.clientIdTag();
        Sensor sensor = metrics.getSensor(name);
        if (sensor != null) return sensor;
        synchronized (this) {
            sensor = metrics.getSensor(name);
            if (sensor != null) return sensor;
            sensor = metrics.sensor(name, null, INACTIVE_SENSOR_EXPIRY_SECONDS);
            sensor.add(metricName(bucket.userTag(), bucket.clientIdTag()), new Rate(), config(bucket.bound()));
            return sensor;
        }
    }

    /** After a quota change: every live bucket's bound as the new quotas resolve it (Kafka's updateQuotaMetricConfigs). */
    private synchronized void refreshBounds(ClientQuotaImage image) {
        if (image == boundsFrom) return;
        for (Map.Entry<MetricName, KafkaMetric> e : metrics.metrics().entrySet()) {
            MetricName name = e.getKey();
            if (!name.group().equals(kind.label) || !name.name().equals("rate")) continue;
            String userTag = name.tags().get("user");
            String clientIdTag = name.tags().get("client-id");
            ClientQuotaResolution.Resolved now = ClientQuotaResolution.resolve(image, kind.key, userTag, clientIdTag);
            // A bucket no longer under a quota keeps measuring, unbounded, until it expires.
            double bound = now.userTag().equals(userTag) && now.clientIdTag().equals(clientIdTag) && now.bound() != null ? now.bound() : Double.MAX_VALUE;
            if (Double.compare(e.getValue().config().quota().bound(), bound) != 0) e.getValue().config(config(bound));
        }
        boundsFrom = image;
    }

    private MetricName metricName(String userTag, String clientIdTag) {
        return metrics.metricName("rate", kind.label, "The rate counted against the " + kind.key + " quota", Map.of("user", userTag, "client-id", clientIdTag));
    }

    private MetricConfig config(double bound) {
        return new MetricConfig().timeWindow(settings.windowSizeSeconds(), TimeUnit.SECONDS).samples(settings.windowCount())
                .quota(Quota.upperBound(bound));
    }
}
