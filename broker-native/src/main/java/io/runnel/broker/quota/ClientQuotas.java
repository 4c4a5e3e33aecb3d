package io.runnel.broker.quota;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.function.Supplier;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.utils.Time;

import io.runnel.broker.config.QuotaSettings;
import io.runnel.broker.metadata.ClientQuotaImage;
import io.runnel.broker.protocol.RequestContext;

/**
 * Client quotas on a listener's requests, applied around the handler by the connection so that no
 * handler knows about them (Kafka's KafkaApis does the same in its response callbacks):
 *
 * <ol>
 *   <li>Before a consumer's Fetch: its {@code max_bytes} is capped at what its fetch quota allows
 *       in one measurement period, so that one fetch cannot take many windows' worth.</li>
 *   <li>After the handler: the request is counted against its quotas — a Produce's request bytes
 *       ({@code producer_byte_rate}), a consumer Fetch's response bytes ({@code consumer_byte_rate}),
 *       and for every API but the exempt ones the event-loop time spent on it, as a percentage of
 *       one thread ({@code request_percentage}). The largest throttle time goes into the response's
 *       {@code throttle_time_ms}; the connection then mutes itself for that long (KIP-219).</li>
 *   <li>A throttled Fetch is answered empty, and its bytes are taken back from the quota, as
 *       Kafka does: the consumer fetches the same records again after the throttle.</li>
 * </ol>
 *
 * Exempt, as in Kafka: follower fetches (replication has its own throttles), ApiVersions and the
 * SASL exchange, and the cluster-action APIs brokers send each other. Request time counts the
 * event-loop time of the request (handler call and response); time on I/O threads or waiting in
 * purgatory is not counted (Kafka counts its request-handler threads' time).
 *
 * <p>Thread-safe: called from every connection's event loop.
 */
public final class ClientQuotas implements AutoCloseable {
    private static final double NANOS_TO_PERCENTAGE_PER_SECOND = 100.0 / 1_000_000_000.0;
    private static final ClassValue<MethodHandle> THROTTLE_SETTERS = new ClassValue<>() {
        @Override
        protected MethodHandle computeValue(Class<?> type) {
            try {
                return MethodHandles.publicLookup().findVirtual(type, "setThrottleTimeMs", MethodType.methodType(type, int.class));
            } catch (ReflectiveOperationException e) {
                return null; // a response without throttle_time_ms (SaslHandshake, ...)
            }
        }
    };

    private final Metrics metrics;
    private final Time time;
    private final ClientQuotaManager produce;
    private final ClientQuotaManager fetch;
    private final ClientQuotaManager request;

    public ClientQuotas(QuotaSettings settings, Supplier<ClientQuotaImage> quotas, QuotaMetrics meters, Time time) {
        this.time = time;
        // No reporters: these sensors only measure rates; what operators see goes to Micrometer (QuotaMetrics).
        this.metrics = new Metrics(new MetricConfig(), List.of(), time, true);
        this.produce = new ClientQuotaManager(ClientQuotaManager.Kind.PRODUCE, metrics, settings, quotas, meters, Long.MAX_VALUE);
        this.fetch = new ClientQuotaManager(ClientQuotaManager.Kind.FETCH, metrics, settings, quotas, meters, Long.MAX_VALUE);
        // Kafka bounds a request-time throttle at one window.
        this.request = new ClientQuotaManager(ClientQuotaManager.Kind.REQUEST, metrics, settings, quotas, meters,
                settings.windowSizeSeconds() * 1000L);
    }

    /** What to send after quotas: the response (possibly replaced) and how long to mute the connection after it. */
    public record Outcome(ApiMessage response, int throttleTimeMs) {}

    /** Before the handler: caps a consumer fetch at its quota's measurement period. Mutates {@code body}. */
    public void beforeHandle(RequestContext context, ApiMessage body) {
        if (context.apiKey() != ApiKeys.FETCH || isFollowerFetch(context, (FetchRequestData) body)) return;
        FetchRequestData data = (FetchRequestData) body;
        double maxBytes = fetch.maxValueInQuotaWindow(user(context), context.header().clientId());
        if (maxBytes < data.maxBytes()) {
            int capped = (int) Math.max(1, maxBytes);
            data.setMaxBytes(capped).setMinBytes(Math.min(data.minBytes(), capped));
        }
    }

    /**
     * After the handler: records the request against its quotas and sets the throttle time in the
     * response (null for a Produce with acks=0: the connection is still muted).
     *
     * @param requestBytes the request's size on the wire
     * @param busyNanos    event-loop time spent on the request so far
     */
    public Outcome afterHandle(RequestContext context, ApiMessage body, int requestBytes, ApiMessage response, long busyNanos) {
        ApiKeys api = context.apiKey();
        if (exempt(context, body)) return new Outcome(response, 0);
        String user = user(context);
        String clientId = context.header().clientId();
        long nowMs = time.milliseconds();
        int requestThrottleMs = request.recordAndGetThrottleTimeMs(user, clientId, busyNanos * NANOS_TO_PERCENTAGE_PER_SECOND, nowMs);
        int bandwidthThrottleMs = 0;
        if (api == ApiKeys.PRODUCE) {
            bandwidthThrottleMs = produce.recordAndGetThrottleTimeMs(user, clientId, requestBytes, nowMs);
        } else if (api == ApiKeys.FETCH && response instanceof FetchResponseData data) {
            int responseBytes = data.size(new ObjectSerializationCache(), context.apiVersion());
            bandwidthThrottleMs = fetch.recordAndGetThrottleTimeMs(user, clientId, responseBytes, nowMs);
            if (Math.max(bandwidthThrottleMs, requestThrottleMs) > 0 && data.errorCode() == 0) {
                fetch.unrecord(user, clientId, responseBytes, nowMs);
                // Kafka's throttled fetch response: nothing, no error; the consumer asks again after the throttle. A full
                // fetch's new session is not handed out with it (the client could not use it), an incremental one's is kept.
                boolean incremental = ((FetchRequestData) body).sessionEpoch() > 0;
                response = new FetchResponseData().setErrorCode((short) 0).setSessionId(incremental ? data.sessionId() : 0);
            }
        }
        int throttleTimeMs = Math.max(requestThrottleMs, bandwidthThrottleMs);
        if (throttleTimeMs > 0 && response != null) setThrottleTimeMs(response, throttleTimeMs);
        return new Outcome(response, throttleTimeMs);
    }

    /** Event-loop time spent on a request after {@link #afterHandle} (encoding its response): counted, never throttled on. */
    public void recordResponseTime(RequestContext context, ApiMessage body, long busyNanos) {
        if (exempt(context, body)) return;
        request.recordNoThrottle(user(context), context.header().clientId(), busyNanos * NANOS_TO_PERCENTAGE_PER_SECOND, time.milliseconds());
    }

    private static boolean exempt(RequestContext context, ApiMessage body) {
        ApiKeys api = context.apiKey();
        return api == ApiKeys.API_VERSIONS || api == ApiKeys.SASL_HANDSHAKE || api == ApiKeys.SASL_AUTHENTICATE || api.clusterAction
                || (api == ApiKeys.FETCH && isFollowerFetch(context, (FetchRequestData) body));
    }

    private static boolean isFollowerFetch(RequestContext context, FetchRequestData data) {
        int replicaId = context.apiVersion() >= 15 ? data.replicaState().replicaId() : data.replicaId();
        return replicaId >= 0;
    }

    /** The name quotas know a principal by: the SASL user, the mapped certificate name, or ANONYMOUS. */
    private static String user(RequestContext context) {
        return context.principal().getName();
    }

    /** Sets throttle_time_ms, keeping a larger one the handler set. */
    private static void setThrottleTimeMs(ApiMessage response, int throttleTimeMs) {
        MethodHandle setter = THROTTLE_SETTERS.get(response.getClass());
        if (setter == null) return;
        try {
            int current = (int) MethodHandles.publicLookup().findVirtual(response.getClass(), "throttleTimeMs", MethodType.methodType(int.class))
                    .invoke(response);
            setter.invoke(response, Math.max(current, throttleTimeMs));
        } catch (Throwable e) {
            throw new IllegalStateException("cannot set throttle_time_ms on " + response.getClass().getSimpleName(), e);
        }
    }

    @Override
    public void close() {
        metrics.close();
    }
}
