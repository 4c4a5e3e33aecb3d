package io.runnel.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnel.broker.protocol.ApiHandler;

/** The broker's own meters without a broker: error counting, partition gauges and their removal, log dir gauges. */
class BrokerMetricsTest {
    @TempDir
    Path logDir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BrokerMetrics metrics = new BrokerMetrics(registry);

    @Test
    void errorCodesOfEveryPartitionAreCountedPerApiAndCodeAndNoneIsNot() throws Exception {
        ProduceResponseData produce = new ProduceResponseData();
        ProduceResponseData.TopicProduceResponse topic = new ProduceResponseData.TopicProduceResponse().setName("t");
        topic.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse().setIndex(0).setErrorCode(Errors.NONE.code()));
        topic.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse().setIndex(1).setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code()));
        topic.partitionResponses().add(new ProduceResponseData.PartitionProduceResponse().setIndex(2).setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code()));
        produce.responses().add(topic);
        FetchResponseData fetch = new FetchResponseData();
        fetch.responses().add(new FetchResponseData.FetchableTopicResponse().setTopic("t")
                .setPartitions(List.of(new FetchResponseData.PartitionData().setPartitionIndex(0).setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code()))));

        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        handlers.put(ApiKeys.PRODUCE, (context, request) -> CompletableFuture.completedFuture(produce));
        handlers.put(ApiKeys.FETCH, (context, request) -> CompletableFuture.completedFuture(fetch));
        handlers.put(ApiKeys.LIST_GROUPS, (context, request) -> CompletableFuture.<ApiMessage>completedFuture(null)); // no response (like acks=0)
        metrics.countErrors(handlers);
        for (ApiKeys api : handlers.keySet()) handlers.get(api).handle(context(api), null).toCompletableFuture().get();

        assertThat(errors("Produce", "NOT_LEADER_OR_FOLLOWER")).isEqualTo(2);
        assertThat(errors("Fetch", "OFFSET_OUT_OF_RANGE")).isEqualTo(1);
        assertThat(registry.find("runnel.request.errors").tag("error", "NONE").counters()).isEmpty();
        assertThat(registry.find("runnel.request.errors").tag("api", "ListGroups").counters()).isEmpty();
    }

    @Test
    void diskThreadsReportTheirBusyTimeAndHowLongWorkWaitedInTheirQueue() throws Exception {
        try (io.runnel.broker.partition.IoThreadPool pool = new io.runnel.broker.partition.IoThreadPool(2)) {
            metrics.ioThreads(pool);
            var thread = pool.executorFor(new TopicPartition("orders", 0));
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            // The first task holds the thread (from before the sleep: its busy time covers it); the second waits in the queue meanwhile.
            var first = thread.submit(() -> {
                started.countDown();
                release.await();
                return null;
            });
            started.await();
            var second = thread.submit(() -> null);
            Thread.sleep(20);
            release.countDown();
            first.get();
            second.get();
            // A timer is not a queue wait.
            thread.schedule(() -> { }, 1, java.util.concurrent.TimeUnit.MILLISECONDS).get();

            var queue = registry.get("runnel.io.queue.time").timer();
            assertThat(queue.count()).isEqualTo(2);
            assertThat(queue.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(20);
            double busy = registry.find("runnel.io.busy.seconds").functionCounters().stream().mapToDouble(c -> c.count()).sum();
            assertThat(busy).isGreaterThanOrEqualTo(0.02);
            assertThat(registry.find("runnel.io.busy.seconds").functionCounters()).hasSize(2);
        }
    }

    @Test
    void flushesAndEventLoopTimeAreCounted() throws Exception {
        metrics.logFlushed(3_000_000);
        assertThat(registry.get("runnel.log.flush.time").timer().count()).isEqualTo(1);
        Thread loop = new Thread(() -> metrics.networkBusy(500_000_000), "vert.x-eventloop-thread-7");
        loop.start();
        loop.join();
        assertThat(registry.get("runnel.network.busy.seconds").tag("thread", "vert.x-eventloop-thread-7").counter().count()).isEqualTo(0.5);
    }

    @Test
    void partitionGaugesReadTheSuppliersAndGoAwayWhenThePartitionCloses() throws Exception {
        TopicPartition tp = new TopicPartition("orders", 3);
        AtomicLong end = new AtomicLong(120);
        AtomicLong segments = new AtomicLong(2);
        metrics.brokerGauges(List.of(logDir), 1, () -> { throw new AssertionError("not read in this test"); }, () -> false);
        metrics.partitionOpened(tp, () -> 4096, () -> 20, end::get, segments::get, logDir);

        assertThat(gauge("runnel.log.size")).isEqualTo(4096);
        assertThat(gauge("runnel.log.start.offset")).isEqualTo(20);
        assertThat(gauge("runnel.log.end.offset")).isEqualTo(120);
        end.set(130);
        assertThat(gauge("runnel.log.end.offset")).isEqualTo(130);
        assertThat(gauge("runnel.log.segments")).isEqualTo(2);
        segments.set(3); // a roll
        assertThat(gauge("runnel.log.segments")).isEqualTo(3);
        String dir = logDir.toAbsolutePath().normalize().toString();
        assertThat(registry.get("runnel.log.dir.used").tag("dir", dir).gauge().value()).isEqualTo(4096);
        assertThat(registry.get("runnel.log.dir.free").tag("dir", dir).gauge().value()).isPositive();
        assertThat(registry.get("runnel.log.dir.total").tag("dir", dir).gauge().value())
                .isGreaterThanOrEqualTo(registry.get("runnel.log.dir.free").tag("dir", dir).gauge().value());

        metrics.partitionClosed(tp);
        assertThat(registry.find("runnel.log.end.offset").gauges()).isEmpty();
        assertThat(registry.find("runnel.log.segments").gauges()).isEmpty();
        assertThat(registry.get("runnel.log.dir.used").tag("dir", dir).gauge().value()).isZero();
    }

    private double errors(String api, String error) {
        return registry.get("runnel.request.errors").tag("api", api).tag("error", error).counter().count();
    }

    private double gauge(String name) {
        return registry.get(name).tag("topic", "orders").tag("partition", "3").gauge().value();
    }

    private static io.runnel.broker.protocol.RequestContext context(ApiKeys api) {
        var header = new org.apache.kafka.common.requests.RequestHeader(api, api.latestVersion(), "test", 1);
        return new io.runnel.broker.protocol.RequestContext(header, "PLAINTEXT", null, "c1", null);
    }
}
