package io.runnel.e2e.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.Requests;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A seeded fuzzer: real, valid request frames (ApiVersions, Metadata, CreateTopics with
 * validateOnly, Produce, Fetch, ListOffsets) mutated (bit flips, byte overwrites, truncation,
 * size-prefix and inner length-field edits, inserted and random bytes, spliced frames) and sent
 * over many short connections. The broker must neither die, nor hang (it still answers a normal
 * client), nor corrupt records it acknowledged before the run, nor leak memory: its RSS after the
 * run stays under 2x its RSS after a warm-up, plus 200 MB (a leak check, generous on purpose; the
 * heap is fixed and pre-touched so that JVM heap growth is not mistaken for a leak).
 *
 * <p>Bounded in count ({@code -Drunnel.e2e.fuzz.frames}, default 20000) and in time (60 s of
 * sending): a budget, not an assertion. The seed ({@code -Drunnel.e2e.seed}) is printed so a
 * failing run can be repeated exactly (same frames; thread interleaving may differ).
 */
class RequestFuzzIT {
    private static String topic; // "fuzz", made unique when the broker is external
    private static final Duration SEND_BUDGET = Duration.ofSeconds(60);
    private static final int THREADS = 2;
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        // A fixed, pre-touched heap: RSS then starts with the whole heap resident, so growth over
        // the run is off-heap (buffers, threads, native memory), and a heap leak shows up as an
        // OutOfMemoryError that kills or wedges the broker, which the liveness checks catch.
        // Why 512 MiB and not less: desynchronised frames make random bytes read as size
        // prefixes of up to socket.request.max.bytes (100 MiB), and Kafka allocates each whole;
        // at 256 MiB Apache Kafka itself logs OutOfMemoryErrors (and survives, slowly).
        broker = BrokerProcess.builder("fuzz").jvmArgs("-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch").start();
        topic = broker.topic("fuzz");
        KafkaClients.createTopic(broker.bootstrap(), topic, 2);
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void mutatedCopiesOfRealRequestsNeitherKillNorHangNorLeakTheBroker() throws Exception {
        long seed = E2eSettings.seed();
        int frameBudget = E2eSettings.intSetting("runnel.e2e.fuzz.frames", 20_000);
        System.out.println("RequestFuzzIT seed=" + seed + " frames=" + frameBudget + " (repeat: -Drunnel.e2e.seed=" + seed + ")");
        String context = "seed " + seed + ", " + broker;

        List<String> acknowledged = produceAcknowledged(200);
        List<byte[]> seeds = seedFrames();

        // Warm-up: the same kind of traffic, so JIT, buffers and heap reach their working size.
        runFuzz(new Random(seed ^ 0x77), seeds, Math.min(2_000, frameBudget / 10), Duration.ofSeconds(30));
        assertServes(context);
        long rssWarmKib = broker.isExternal() ? 0 : broker.rssKib();

        FuzzStats stats = runFuzz(new Random(seed), seeds, frameBudget, SEND_BUDGET);
        System.out.println("RequestFuzzIT " + stats + " " + context);

        assertThat(broker.isAlive()).as("broker alive after fuzzing (%s, %s)\n%s", stats, context, broker.logTail(60)).isTrue();
        assertServes(context);
        List<String> after = readValues(topic, acknowledged.size());
        assertThat(after).as("records acknowledged before the fuzz run, read back after it (%s)", context)
                .containsSequence(acknowledged);
        if (!broker.isExternal()) {
            long rssAfterKib = broker.rssKib();
            System.out.printf("RequestFuzzIT RSS after warm-up %d MiB, after fuzz %d MiB%n", rssWarmKib / 1024, rssAfterKib / 1024);
            assertThat(rssAfterKib).as("RSS KiB after fuzzing vs 2 x %d KiB after warm-up + 200 MiB (%s)", rssWarmKib, context)
                    .isLessThan(2 * rssWarmKib + 200 * 1024);
        }
    }

    /** Valid frames, one per API and version the fuzzer starts from. */
    private static List<byte[]> seedFrames() {
        List<byte[]> frames = new ArrayList<>();
        frames.add(frame(ApiKeys.API_VERSIONS, (short) 0, Requests.apiVersions()));
        frames.add(frame(ApiKeys.API_VERSIONS, Requests.API_VERSIONS_V, Requests.apiVersions()));
        frames.add(frame(ApiKeys.METADATA, (short) 1, new MetadataRequestData().setTopics(null)));
        frames.add(frame(ApiKeys.METADATA, Requests.METADATA_V, Requests.metadata(topic)));
        CreateTopicsRequestData create = Requests.createTopics("fuzz-validate-only", 3).setValidateOnly(true);
        frames.add(frame(ApiKeys.CREATE_TOPICS, Requests.CREATE_TOPICS_V, create));
        frames.add(frame(ApiKeys.PRODUCE, Requests.PRODUCE_V, Requests.produce(topic, 1, (short) 1, Requests.records(5))));
        frames.add(frame(ApiKeys.PRODUCE, (short) 3, Requests.produce(topic, 1, (short) -1, Requests.records(2))));
        frames.add(frame(ApiKeys.FETCH, Requests.FETCH_V, Requests.fetch(topic, 0, 0)));
        frames.add(frame(ApiKeys.FETCH, (short) 4, Requests.fetch(topic, 1, 0)));
        frames.add(frame(ApiKeys.LIST_OFFSETS, Requests.LIST_OFFSETS_V, Requests.latestOffset(topic, 0)));
        frames.add(frame(ApiKeys.LIST_OFFSETS, (short) 1, Requests.listOffsets(topic, 1, -2)));
        frames.addAll(transactionFrames());
        var upsert = new org.apache.kafka.common.message.AlterUserScramCredentialsRequestData.ScramCredentialUpsertion().setName("fuzz-user")
                .setMechanism((byte) 2).setIterations(4096).setSalt(new byte[] {1, 2, 3, 4}).setSaltedPassword(new byte[64]);
        frames.add(frame(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, (short) 0, new org.apache.kafka.common.message.AlterUserScramCredentialsRequestData()
                .setUpsertions(List.of(upsert))));
        frames.add(frame(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, (short) 0, new org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData()
                .setUsers(null)));
        return frames;
    }

    /** The transaction APIs' decoders and handlers: coordinator lookups, transaction requests, markers, producer state. */
    private static List<byte[]> transactionFrames() {
        List<byte[]> frames = new ArrayList<>();
        frames.add(frame(ApiKeys.FIND_COORDINATOR, (short) 3, new org.apache.kafka.common.message.FindCoordinatorRequestData()
                .setKey("fuzz-txn").setKeyType((byte) 1)));
        frames.add(frame(ApiKeys.INIT_PRODUCER_ID, (short) 4, new org.apache.kafka.common.message.InitProducerIdRequestData()
                .setTransactionalId("fuzz-txn").setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1)));
        var addTopics = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        addTopics.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(topic).setPartitions(List.of(0, 1)));
        frames.add(frame(ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 3, new org.apache.kafka.common.message.AddPartitionsToTxnRequestData()
                .setV3AndBelowTransactionalId("fuzz-txn").setV3AndBelowProducerId(1).setV3AndBelowProducerEpoch((short) 0).setV3AndBelowTopics(addTopics)));
        frames.add(frame(ApiKeys.END_TXN, (short) 3, new org.apache.kafka.common.message.EndTxnRequestData()
                .setTransactionalId("fuzz-txn").setProducerId(1).setProducerEpoch((short) 0).setCommitted(true)));
        var marker = new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(424242)
                .setProducerEpoch((short) 0).setTransactionResult(false).setCoordinatorEpoch(0);
        marker.topics().add(new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(topic).setPartitionIndexes(List.of(0)));
        frames.add(frame(ApiKeys.WRITE_TXN_MARKERS, (short) 1, new org.apache.kafka.common.message.WriteTxnMarkersRequestData().setMarkers(List.of(marker))));
        var describe = new org.apache.kafka.common.message.DescribeProducersRequestData();
        describe.topics().add(new org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest().setName(topic).setPartitionIndexes(List.of(0, 1)));
        frames.add(frame(ApiKeys.DESCRIBE_PRODUCERS, (short) 0, describe));
        frames.add(frame(ApiKeys.LIST_TRANSACTIONS, (short) 1, new org.apache.kafka.common.message.ListTransactionsRequestData()));
        frames.add(frame(ApiKeys.DESCRIBE_TRANSACTIONS, (short) 0, new org.apache.kafka.common.message.DescribeTransactionsRequestData()
                .setTransactionalIds(List.of("fuzz-txn"))));
        var commitTopic = new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(topic);
        commitTopic.partitions().add(new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                .setPartitionIndex(0).setCommittedOffset(1));
        frames.add(frame(ApiKeys.TXN_OFFSET_COMMIT, (short) 3, new org.apache.kafka.common.message.TxnOffsetCommitRequestData()
                .setTransactionalId("fuzz-txn").setGroupId("fuzz-group").setProducerId(1).setProducerEpoch((short) 0)
                .setTopics(List.of(commitTopic))));
        // The ACL APIs: a creation, a filter, a describe (answered SECURITY_DISABLED here, so only their parsing is fuzzed).
        var acl = org.apache.kafka.common.requests.CreateAclsRequest.aclCreation(new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(org.apache.kafka.common.resource.ResourceType.TOPIC, topic,
                        org.apache.kafka.common.resource.PatternType.PREFIXED),
                new org.apache.kafka.common.acl.AccessControlEntry("User:fuzz", "*", org.apache.kafka.common.acl.AclOperation.READ,
                        org.apache.kafka.common.acl.AclPermissionType.ALLOW)));
        frames.add(frame(ApiKeys.CREATE_ACLS, (short) 3, new org.apache.kafka.common.message.CreateAclsRequestData().setCreations(List.of(acl))));
        frames.add(frame(ApiKeys.DELETE_ACLS, (short) 3, new org.apache.kafka.common.message.DeleteAclsRequestData().setFilters(List.of(
                org.apache.kafka.common.requests.DeleteAclsRequest.deleteAclsFilter(org.apache.kafka.common.acl.AclBindingFilter.ANY)))));
        frames.add(frame(ApiKeys.DESCRIBE_ACLS, (short) 3, new org.apache.kafka.common.message.DescribeAclsRequestData()
                .setResourceTypeFilter((byte) 1).setPatternTypeFilter((byte) 1).setOperation((byte) 1).setPermissionType((byte) 1)));
        return frames;
    }

    private static byte[] frame(ApiKeys api, short version, org.apache.kafka.common.protocol.ApiMessage body) {
        return RawKafkaConnection.bytes(RawKafkaConnection.frame(api, version, 1, body));
    }

    record FuzzStats(int frames, int connections, int closedByBroker, int leftOpen, long responseBytes) {}

    private static FuzzStats runFuzz(Random master, List<byte[]> seeds, int frameBudget, Duration timeBudget) throws Exception {
        Instant deadline = Instant.now().plus(timeBudget);
        AtomicInteger frames = new AtomicInteger();
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger closedByBroker = new AtomicInteger();
        AtomicInteger leftOpen = new AtomicInteger();
        AtomicLong responseBytes = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(master.nextLong());
                workers.add(pool.submit(() -> {
                    while (frames.get() < frameBudget && Instant.now().isBefore(deadline) && broker.isAlive()) {
                        connections.incrementAndGet();
                        fuzzOneConnection(random, seeds, frames, frameBudget, closedByBroker, leftOpen, responseBytes);
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) worker.get(timeBudget.toSeconds() + 120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        return new FuzzStats(frames.get(), connections.get(), closedByBroker.get(), leftOpen.get(), responseBytes.get());
    }

    private static void fuzzOneConnection(Random random, List<byte[]> seeds, AtomicInteger frames, int frameBudget,
                                          AtomicInteger closedByBroker, AtomicInteger leftOpen, AtomicLong responseBytes) {
        int colon = broker.bootstrap().lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(broker.bootstrap().substring(0, colon),
                    Integer.parseInt(broker.bootstrap().substring(colon + 1))), 30_000);
            int count = 1 + random.nextInt(random.nextBoolean() ? 3 : 40);
            try {
                for (int i = 0; i < count && frames.get() < frameBudget; i++) {
                    byte[] frame = random.nextInt(10) == 0 ? seeds.get(random.nextInt(seeds.size())) // some valid ones
                            : mutate(random, seeds);
                    socket.getOutputStream().write(frame);
                    frames.incrementAndGet();
                }
                socket.getOutputStream().flush();
            } catch (IOException e) {
                closedByBroker.incrementAndGet(); // the broker closed mid-send: a legitimate answer
                return;
            }
            if (random.nextBoolean()) return; // abrupt close, possibly with responses unread
            // Half-close and drain until the broker closes its side (it must: the peer sent EOF).
            socket.shutdownOutput();
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            try {
                int read;
                while ((read = in.read(buffer)) >= 0) responseBytes.addAndGet(read);
                closedByBroker.incrementAndGet();
            } catch (SocketTimeoutException e) {
                leftOpen.incrementAndGet();
            } catch (IOException e) {
                closedByBroker.incrementAndGet();
            }
        } catch (IOException e) {
            // connect failed: counted by the caller's liveness checks, not here
        }
    }

    /** One mutated copy of a random seed frame: 1 to 4 mutations stacked. */
    static byte[] mutate(Random random, List<byte[]> seeds) {
        byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
        int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            frame = switch (random.nextInt(9)) {
                case 0 -> flipBits(random, frame);
                case 1 -> overwriteBytes(random, frame);
                case 2 -> truncate(random, frame, true);
                case 3 -> truncate(random, frame, false);
                case 4 -> editSizePrefix(random, frame);
                case 5 -> editInnerLength(random, frame);
                case 6 -> insertBytes(random, frame);
                case 7 -> splice(random, frame, seeds.get(random.nextInt(seeds.size())));
                default -> randomFrame(random);
            };
        }
        return frame;
    }

    private static byte[] flipBits(Random random, byte[] frame) {
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips && frame.length > 4; i++) {
            int at = 4 + random.nextInt(frame.length - 4);
            frame[at] ^= (byte) (1 << random.nextInt(8));
        }
        return frame;
    }

    private static byte[] overwriteBytes(Random random, byte[] frame) {
        int n = 1 + random.nextInt(6);
        for (int i = 0; i < n && frame.length > 4; i++) frame[4 + random.nextInt(frame.length - 4)] = (byte) random.nextInt(256);
        return frame;
    }

    /** Cuts the frame short, fixing the size prefix to match (a short but well-framed request) or not. */
    private static byte[] truncate(Random random, byte[] frame, boolean fixPrefix) {
        if (frame.length <= 5) return frame;
        byte[] cut = Arrays.copyOf(frame, 4 + random.nextInt(frame.length - 4));
        if (fixPrefix) ByteBuffer.wrap(cut).putInt(0, cut.length - 4);
        return cut;
    }

    private static final int[] EDGE_INTS = {-1, 0, 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7fff, 0xffff, 0x10000, 100 * 1024 * 1024 + 1};

    private static byte[] editSizePrefix(Random random, byte[] frame) {
        int size = ByteBuffer.wrap(frame).getInt(0);
        int edited = switch (random.nextInt(3)) {
            case 0 -> EDGE_INTS[random.nextInt(EDGE_INTS.length)];
            case 1 -> size + random.nextInt(33) - 16;
            default -> random.nextInt(Math.max(1, frame.length * 2));
        };
        ByteBuffer.wrap(frame).putInt(0, edited);
        return frame;
    }

    /** Overwrites an int16 or int32 somewhere inside (an array length, a string length, a count...). */
    private static byte[] editInnerLength(Random random, byte[] frame) {
        if (frame.length < 10) return frame;
        int at = 4 + random.nextInt(frame.length - 8);
        int value = EDGE_INTS[random.nextInt(EDGE_INTS.length)];
        if (random.nextBoolean()) ByteBuffer.wrap(frame).putShort(at, (short) value);
        else ByteBuffer.wrap(frame).putInt(at, value);
        return frame;
    }

    private static byte[] insertBytes(Random random, byte[] frame) {
        int at = 4 + random.nextInt(Math.max(1, frame.length - 4));
        byte[] extra = new byte[1 + random.nextInt(32)];
        random.nextBytes(extra);
        byte[] out = new byte[frame.length + extra.length];
        System.arraycopy(frame, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(frame, at, out, at + extra.length, frame.length - at);
        if (random.nextBoolean()) ByteBuffer.wrap(out).putInt(0, out.length - 4);
        return out;
    }

    /** The head of one frame joined to the tail of another, size prefix fixed. */
    private static byte[] splice(Random random, byte[] a, byte[] b) {
        int cutA = 4 + random.nextInt(Math.max(1, a.length - 4));
        int cutB = 4 + random.nextInt(Math.max(1, b.length - 4));
        byte[] out = new byte[cutA + (b.length - cutB)];
        System.arraycopy(a, 0, out, 0, cutA);
        System.arraycopy(b, cutB, out, cutA, b.length - cutB);
        ByteBuffer.wrap(out).putInt(0, out.length - 4);
        return out;
    }

    /** Random bytes behind a size prefix that matches them. */
    private static byte[] randomFrame(Random random) {
        byte[] out = new byte[4 + random.nextInt(200)];
        random.nextBytes(out);
        ByteBuffer.wrap(out).putInt(0, out.length - 4);
        if (out.length >= 8 && random.nextBoolean()) {
            ByteBuffer.wrap(out).putShort(4, (short) random.nextInt(80)); // a plausible api key
            ByteBuffer.wrap(out).putShort(6, (short) random.nextInt(20)); // and version
        }
        return out;
    }

    /** Produces {@code count} numbered records with acks=all and returns their values in order. */
    private static List<String> produceAcknowledged(int count) throws Exception {
        List<String> values = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            for (int i = 0; i < count; i++) {
                String value = "before-fuzz-" + i;
                producer.send(new ProducerRecord<>(topic, 0, null, value.getBytes(StandardCharsets.UTF_8))).get(2, TimeUnit.MINUTES);
                values.add(value);
            }
        }
        return values;
    }

    private static List<String> readValues(String topic, int atLeast) {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> all = KafkaClients.readAll(broker.bootstrap(), topic);
        List<String> values = all.get(0).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
        assertThat(values.size()).isGreaterThanOrEqualTo(atLeast);
        return values;
    }

    /** A normal client still gets through: Java producer and consumer, new connections. */
    private static void assertServes(String context) throws Exception {
        String value = "after-" + System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(broker.bootstrap())) {
            producer.send(new ProducerRecord<>(topic, 1, null, value.getBytes(StandardCharsets.UTF_8))).get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new AssertionError("a normal producer could not write after fuzzing (" + context + ")\n" + broker.logTail(60), e);
        }
        List<ConsumerRecord<byte[], byte[]>> partition1 = KafkaClients.readAll(broker.bootstrap(), topic).get(1);
        assertThat(partition1).as("partition 1 read back (%s)", context)
                .anySatisfy(r -> assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo(value));
    }
}
