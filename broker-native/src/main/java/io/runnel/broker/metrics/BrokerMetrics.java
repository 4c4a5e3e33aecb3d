package io.runnel.broker.metrics;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.protocol.ApiHandler;

/**
 * The broker's Micrometer meters: requests, their latency (with histogram buckets, for
 * {@code histogram_quantile}) and error codes per API, bytes and records in/out per topic, open
 * connections, and through {@link PartitionMetrics} the hosted partitions and log dirs. Meters are
 * created once and cached; recording is lock-free, so any thread may record. Names follow
 * Prometheus conventions under {@code runnel_}.
 */
public final class BrokerMetrics {
    private static final Duration MIN_LATENCY = Duration.ofNanos(100_000);
    private static final Duration MAX_LATENCY = Duration.ofSeconds(60);
    private final MeterRegistry registry;
    private final AtomicInteger connections = new AtomicInteger();
    private final ConcurrentHashMap<ApiKeys, Timer> requestTimers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ApiKeys, ConcurrentHashMap<Errors, Counter>> errorCounters = new ConcurrentHashMap<>();
    private final PartitionMetrics partitions;
    /** Each event loop's own counter, so that counting costs no lookup. */
    private final ThreadLocal<Counter> networkBusy;
    private final Timer flushTimer;
    private final java.util.concurrent.atomic.AtomicLong cleanerDirtyBytes = new java.util.concurrent.atomic.AtomicLong();

    public BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.partitions = new PartitionMetrics(registry);
        registry.gauge("runnel.network.connections", connections);
        io.micrometer.core.instrument.Gauge.builder("runnel.log.cleaner.dirty.bytes", cleanerDirtyBytes, java.util.concurrent.atomic.AtomicLong::get)
                .description("Bytes of compacted logs above their cleaner checkpoint that a pass could clean (the cleaner's backlog)")
                .register(registry);
        networkBusy = ThreadLocal.withInitial(() -> Counter.builder("runnel.network.busy.seconds")
                .description("Event-loop time spent serving Kafka connections").tag("thread", Thread.currentThread().getName()).register(registry));
        flushTimer = Timer.builder("runnel.log.flush.time").description("Time to fsync a partition's log")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(MAX_LATENCY).register(registry);
    }

    /** Publishes free/total/used bytes of each log dir, and the partition and leader counts of {@code nodeId}. */
    public void brokerGauges(List<Path> logDirs, int nodeId, Supplier<MetadataImage> image, java.util.function.BooleanSupplier activeController) {
        partitions.logDirs(logDirs);
        partitions.leadership(nodeId, image);
        partitions.replication(nodeId, image, activeController);
    }

    /** Partitions this broker leads whose ISR is below min.insync.replicas (Kafka's UnderMinIsrPartitionCount). */
    public void underMinIsrGauge(java.util.function.IntSupplier count) {
        io.micrometer.core.instrument.Gauge.builder("runnel.partitions.under.min.isr", count, java.util.function.IntSupplier::getAsInt)
                .description("Partitions this broker leads whose ISR is smaller than min.insync.replicas (acks=all is refused there)")
                .strongReference(true).register(registry);
    }

    /** A leader's ISR lost members (shrink) or gained them (expand), as the metadata committed it. */
    public void isrChanged(boolean expanded) {
        Counter.builder(expanded ? "runnel.isr.expands" : "runnel.isr.shrinks")
                .description(expanded ? "ISR expansions of partitions this broker leads" : "ISR shrinks of partitions this broker leads")
                .register(registry).increment();
    }

    /** Wraps every handler so that the error codes of its responses are counted per API. */
    public void countErrors(Map<ApiKeys, ApiHandler> handlers) {
        handlers.replaceAll((api, handler) -> new ErrorCountingHandler(api, handler, this));
    }

    void recordErrors(ApiKeys api, Map<Errors, Integer> counts) {
        counts.forEach((error, n) -> {
            if (error == Errors.NONE) return;
            errorCounters.computeIfAbsent(api, k -> new ConcurrentHashMap<>()).computeIfAbsent(error, e -> Counter.builder("runnel.request.errors")
                    .description("Error codes in responses, counted per topic, partition or group entry as Kafka counts them")
                    .tags("api", api.name, "error", e.name()).register(registry)).increment(n);
        });
    }

    /**
     * One SASL authentication that failed ({@code runnel_authentication_failures_total}) or succeeded
     * ({@code runnel_authentication_successes_total}), per listener and mechanism. {@code mechanism} must come from the
     * listener's enabled list (or a fixed word), never from the client, so that a client cannot create series.
     */
    public void authentication(String listener, String mechanism, boolean succeeded) {
        String name = succeeded ? "runnel.authentication.successes" : "runnel.authentication.failures";
        counters.computeIfAbsent(name + '\0' + listener + '\0' + mechanism, k -> Counter.builder(name)
                .description(succeeded ? "SASL authentications (and re-authentications) that succeeded" : "SASL authentications that failed; the connection was closed")
                .tags("listener", listener, "mechanism", mechanism).register(registry)).increment();
    }

    /**
     * One SCRAM authentication that succeeded only because it accepted librdkafka's pre-2.6.1 client-final nonce
     * ({@code runnel_authentication_scram_librdkafka_nonce_total}): clients that need an upgrade before the setting is turned off.
     */
    public void scramLibrdkafkaNonce(String listener, String mechanism) {
        String name = "runnel.authentication.scram.librdkafka.nonce";
        counters.computeIfAbsent(name + '\0' + listener + '\0' + mechanism, k -> Counter.builder(name)
                .description("SCRAM logins accepted with librdkafka's pre-2.6.1 client-final nonce (sasl.scram.accept.librdkafka.nonce)")
                .tags("listener", listener, "mechanism", mechanism).register(registry)).increment();
    }

    public void connectionOpened() {
        connections.incrementAndGet();
    }

    public void connectionClosed() {
        connections.decrementAndGet();
    }

    public void recordRequest(ApiKeys api, long latencyNanos) {
        requestTimers.computeIfAbsent(api, k -> Timer.builder("runnel.request.latency")
                .description("Time from a request's arrival to its response being queued")
                // Buckets from 100 us to 60 s (Micrometer's 1-4-7 series): long-poll fetches wait up to fetch.max.wait.ms.
                .publishPercentileHistogram().minimumExpectedValue(MIN_LATENCY).maximumExpectedValue(MAX_LATENCY)
                .tag("api", k.name).register(registry)).record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The disk threads' busy time ({@code runnel_io_busy_seconds_total{thread}}: 1 - its rate is the
     * idle ratio, Kafka's request-handler idle percent) and how long disk work waits in their queues
     * ({@code runnel_io_queue_time_seconds}, Kafka's request queue time).
     */
    public void ioThreads(io.runnel.broker.partition.IoThreadPool pool) {
        for (int i = 0; i < pool.size(); i++) {
            int index = i;
            io.micrometer.core.instrument.FunctionCounter.builder("runnel.io.busy.seconds", pool, p -> p.busyNanos(index) / 1e9)
                    .description("Time the disk thread spent running work").tag("thread", io.runnel.broker.partition.IoThreadPool.threadName(i))
                    .register(registry);
        }
        Timer queue = Timer.builder("runnel.io.queue.time").description("Time disk work waited in its I/O thread's queue before it ran")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(MAX_LATENCY).register(registry);
        pool.onQueueWait(nanos -> queue.record(nanos, TimeUnit.NANOSECONDS));
    }

    /**
     * The fetch session cache (KIP-227), as Kafka's FetchSessionCache metrics: sessions held
     * ({@code runnel_fetch_sessions}), partitions they hold ({@code runnel_fetch_session_partitions})
     * and sessions evicted for newer ones ({@code runnel_fetch_session_evictions_total}).
     */
    public void fetchSessions(io.runnel.broker.fetch.FetchSessionCache cache) {
        io.micrometer.core.instrument.Gauge.builder("runnel.fetch.sessions", cache, io.runnel.broker.fetch.FetchSessionCache::sessionCount)
                .description("Incremental fetch sessions the broker holds (Kafka's NumIncrementalFetchSessions)").register(registry);
        io.micrometer.core.instrument.Gauge.builder("runnel.fetch.session.partitions", cache, io.runnel.broker.fetch.FetchSessionCache::partitionCount)
                .description("Partitions held by all fetch sessions together (Kafka's NumIncrementalFetchPartitionsCached)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("runnel.fetch.session.evictions", cache, io.runnel.broker.fetch.FetchSessionCache::evictions)
                .description("Fetch sessions evicted to make room for newer ones (Kafka's IncrementalFetchSessionEvictionsPerSec)").register(registry);
    }

    /** Event-loop time spent on Kafka connections (reading, decoding, dispatching, encoding): 1 - its rate is the network idle ratio. */
    public void networkBusy(long nanos) {
        networkBusy.get().increment(nanos / 1e9);
    }

    /** One fsync of a partition's log (flush.messages / flush.ms policy, or a clean shutdown). */
    public void logFlushed(long nanos) {
        flushTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void bytesIn(String topic, long bytes, long records) {
        counter("runnel.topic.bytes.in", topic).increment(bytes);
        counter("runnel.topic.records.in", topic).increment(records);
    }

    public void bytesOut(String topic, long bytes) {
        counter("runnel.topic.bytes.out", topic).increment(bytes);
    }

    /** Publishes a partition's log gauges, read through the suppliers (safe from any thread) at scrape time. */
    public void partitionOpened(TopicPartition tp, LongSupplier sizeBytes, LongSupplier logStartOffset, LongSupplier logEndOffset,
                                LongSupplier segments, Path logDir) {
        partitions.opened(tp, sizeBytes, logStartOffset, logEndOffset, segments, logDir);
    }

    public void partitionClosed(TopicPartition tp) {
        partitions.closed(tp);
    }

    /** Bytes the cleaner could clean now, over this broker's compacted logs (Kafka's cleaner backlog), as of its last look. */
    public void cleanerBacklog(long dirtyBytes) {
        cleanerDirtyBytes.set(dirtyBytes);
    }

    /** One installed log-cleaner pass: what it read and kept, and how long it took. */
    public void cleanerPass(long bytesRead, long bytesWritten, long recordsRemoved, long durationNanos) {
        cleanerCounter("runnel.log.cleaner.passes", "Cleaning passes installed").increment();
        cleanerCounter("runnel.log.cleaner.bytes.read", "Bytes the cleaner read from segments it rewrote").increment(bytesRead);
        cleanerCounter("runnel.log.cleaner.bytes.written", "Bytes of the cleaned segments it wrote").increment(bytesWritten);
        cleanerCounter("runnel.log.cleaner.records.removed", "Superseded records and expired tombstones removed").increment(recordsRemoved);
        Timer.builder("runnel.log.cleaner.pass.duration").description("Time to clean one log, from plan to install")
                .register(registry).record(durationNanos, TimeUnit.NANOSECONDS);
    }

    private Counter cleanerCounter(String name, String description) {
        return counters.computeIfAbsent(name, k -> Counter.builder(name).description(description).register(registry));
    }

    private Counter counter(String name, String topic) {
        return counters.computeIfAbsent(name + '\0' + topic, k -> Counter.builder(name).tag("topic", topic).register(registry));
    }
}
