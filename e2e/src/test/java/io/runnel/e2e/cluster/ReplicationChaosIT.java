package io.runnel.e2e.cluster;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.DeliveryCheck;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.NamespacedNetwork;
import io.runnel.e2e.support.NodeNetwork;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.ReplicaLogs;
import io.runnel.e2e.support.Requests;
import io.runnel.e2e.support.RunnelCluster;
import io.runnel.e2e.support.VerifiableConsumerProcess;
import io.runnel.e2e.support.VerifiableConsumerProcess.AssignmentChange;
import io.runnel.e2e.support.VerifiableConsumerProcess.Consumed;
import io.runnel.e2e.support.VerifiableProducerProcess;
import io.runnel.e2e.support.VerifiableProducerProcess.Ack;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.DescribeQuorumRequest;
import org.apache.kafka.common.requests.DescribeQuorumResponse;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentest4j.TestAbortedException;

/**
 * Partition replication through real failures of broker processes, with Kafka's own clients
 * watching: three Runnel brokers ({@link RunnelCluster}), a topic of three partitions with three
 * replicas each and {@code min.insync.replicas=2}, and, for the whole run, Kafka's
 * VerifiableProducer ({@code acks=-1}, idempotent, unlimited retries, 200 records/s) and
 * VerifiableConsumer (a consumer group) as separate processes, each printing every record it had
 * acknowledged or consumed ({@link VerifiableProducerProcess}, {@link VerifiableConsumerProcess}).
 *
 * <p>The disruptions, one at a time, in this order:
 * <ol>
 *   <li>SIGKILL of the leader of partition 0, restarted once the others have taken over;</li>
 *   <li>the leader of partition 1 cut off from the other two brokers (each broker runs in a
 *       network namespace of its own, {@link NamespacedNetwork}; packets between the cut-off
 *       broker and the others are dropped silently) for longer than {@code replica.lag.time.max.ms},
 *       while the clients still reach all three: the old leader stays reachable and believes it
 *       leads until the cut is healed. Skipped, with the reason, where network namespaces cannot
 *       be made (not root); the brokers then run on loopback and the other scenarios still run;</li>
 *   <li>SIGSTOP of the leader of partition 2 until the others have fenced it (past
 *       {@code broker.session.timeout.ms}), then SIGCONT;</li>
 *   <li>a rolling restart: each broker in turn stopped (SIGTERM: controlled shutdown) and started
 *       again, the next one only once every partition has three in-sync replicas again.</li>
 * </ol>
 * During each, the producer must get further acknowledgements from the remaining two replicas
 * (two in-sync replicas satisfy {@code min.insync.replicas}).
 *
 * <p>After each disruption, once every partition has three in-sync replicas again, a checkpoint:
 * <ul>
 *   <li>every partition acknowledges new records (none is stuck), and the producer gave up on no
 *       send;</li>
 *   <li>every record acknowledged so far is consumed, at its acknowledged partition and offset,
 *       exactly once (a redelivery of the same offset after a rebalance is not a second copy) and
 *       in order ({@link DeliveryCheck} says precisely what that means);</li>
 *   <li>the three replicas of each partition hold identical batches (offsets, leader epoch, CRC,
 *       producer id and sequence) below the high watermark the leader reports in ListOffsets,
 *       read from each broker's segment files ({@link ReplicaLogs});</li>
 *   <li>and how long leadership took to leave the disrupted broker is measured (from the
 *       disruption until every other broker names a new leader, in a higher leader epoch, for each
 *       partition it led) and printed with the new leaders and epochs, and whether the broker was
 *       also the active controller (then a quorum election comes first). Only a hang guard is
 *       asserted, never a speed.</li>
 * </ul>
 * At the end the producer is stopped (it waits for every send to be answered), the consumer
 * catches up, and the whole of each partition is compared across its replicas and against what
 * was acknowledged and consumed. Two more tests feed the checks hand-made faults, so a check that
 * could not fail would be noticed.
 *
 * <p>Who says what: cluster state (leaders, ISR, fencing, high watermarks) is asked of one node at
 * a time over raw connections to its client port with a one-second timeout, so a frozen or
 * cut-off node never stalls the test and "node 2 names node 3 leader" means node 2's metadata
 * says so. Durations are printed (in the failsafe report's output), never asserted as speed. The
 * scenarios share one cluster and one producer and consumer, so each starts by undoing what a
 * failed predecessor may have left (a cut, a paused or dead broker).
 *
 * <p>Runnel only ({@link RunnelCluster}): under {@code -Drunnel.e2e.broker=kafka} (or an external
 * {@code -Drunnel.e2e.bootstrap}) every scenario is skipped with that reason; the two tests of the
 * checks themselves still run. The network partition needs root, as {@link NamespacedNetwork} says.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationChaosIT {
    private static final String TOPIC = "chaos";
    private static final int PARTITIONS = 3;
    private static final List<Integer> ALL = List.of(1, 2, 3);
    private static final int MIN_INSYNC_REPLICAS = 2;
    private static final long SESSION_TIMEOUT_MS = 3_000;
    private static final long HEARTBEAT_INTERVAL_MS = 500;
    private static final long REPLICA_LAG_TIME_MAX_MS = 5_000;
    private static final int MESSAGES_PER_SECOND = 200;
    /** Acknowledgements the producer must get while a broker is out, to show the other two carry on. */
    private static final int PROGRESS_WHILE_DISRUPTED = 200;
    /** Acknowledgements every partition must get after a disruption, to show none is stuck. */
    private static final int PROGRESS_PER_PARTITION = 20;
    /** Hang guard for leadership to leave a disrupted broker: a session timeout, an election or two, far exceeded. */
    private static final Duration LEADERSHIP_GUARD = Duration.ofSeconds(30);
    /** Hang guard for recovery (three in-sync replicas again), for the consumer to catch up, for producer progress. */
    private static final Duration RECOVERY_GUARD = Duration.ofSeconds(90);
    /** Socket timeout of each question to one node: a frozen or cut-off node answers nothing. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration PATIENCE = KafkaClients.PATIENCE;

    private static RunnelCluster cluster;
    private static NamespacedNetwork network;
    private static VerifiableProducerProcess producer;
    private static VerifiableConsumerProcess consumer;
    /** Why there is no cluster (Apache Kafka or an external broker chosen), for each scenario's skip. */
    private static String noClusterReason;
    /** Why the brokers run on loopback (no network namespaces), for the partition scenario's skip. */
    private static String noNetworkReason;
    /** One line per leadership move measured, printed at the end. */
    private static final List<String> moves = new ArrayList<>();

    /** One partition as one node's Metadata describes it. */
    private record PartitionView(int leader, int leaderEpoch, Set<Integer> replicas, Set<Integer> isr) {}

    /**
     * Leadership left broker {@code from} after {@code millis}: {@code before} holds the partitions
     * it led as they were, {@code after} every partition as the others then described it.
     */
    private record Move(int from, Map<Integer, PartitionView> before, Map<Integer, PartitionView> after, long millis) {}

    @BeforeAll
    static void startClusterAndClients() throws Exception {
        if (E2eSettings.brokerKind() != E2eSettings.BrokerKind.RUNNEL || E2eSettings.externalBootstrap().isPresent()) {
            noClusterReason = "Runnel only: ReplicationChaosIT launches, kills, pauses and partitions Runnel's own broker processes "
                    + "(-Drunnel.e2e.broker=" + System.getProperty("runnel.e2e.broker") + ", -Drunnel.e2e.bootstrap="
                    + E2eSettings.externalBootstrap().orElse("") + ")";
            return;
        }
        try {
            network = NamespacedNetwork.create(ALL, E2eSettings.newDir("replication-chaos-network"));
        } catch (NamespacedNetwork.Unavailable e) {
            noNetworkReason = "the brokers run on loopback, so the partition scenario cannot cut links: " + e.getMessage();
            System.out.println("ReplicationChaosIT: " + noNetworkReason);
        }
        try {
            cluster = RunnelCluster.builder("replication-chaos")
                    .network(network != null ? network : NodeNetwork.LOOPBACK)
                    .config("broker.session.timeout.ms", Long.toString(SESSION_TIMEOUT_MS))
                    .config("broker.heartbeat.interval.ms", Long.toString(HEARTBEAT_INTERVAL_MS))
                    .config("replica.lag.time.max.ms", Long.toString(REPLICA_LAG_TIME_MAX_MS))
                    .config("min.insync.replicas", Integer.toString(MIN_INSYNC_REPLICAS))
                    .config("default.replication.factor", "3")
                    .config("offsets.topic.replication.factor", "3")
                    .config("offsets.topic.num.partitions", "3")
                    .config("group.initial.rebalance.delay.ms", "0")
                    .start();
        } catch (TestAbortedException e) {
            noClusterReason = e.getMessage();
            return;
        }
        System.out.println("ReplicationChaosIT: " + cluster + ", files in " + cluster.dir());
        try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", Integer.toString(MIN_INSYNC_REPLICAS)))))
                    .all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        awaitInSync("the new topic");

        Path clientDir = cluster.dir().resolve("clients");
        consumer = VerifiableConsumerProcess.start(cluster.bootstrap(), TOPIC, "chaos-readers", Map.of(
                "session.timeout.ms", "10000",
                "heartbeat.interval.ms", "1000",
                "request.timeout.ms", "10000",
                "metadata.max.age.ms", "3000"), clientDir);
        producer = VerifiableProducerProcess.start(cluster.bootstrap(), TOPIC, MESSAGES_PER_SECOND, 60, Map.of(
                "enable.idempotence", "true",
                "acks", "all",
                "retries", Integer.toString(Integer.MAX_VALUE),
                // One batch per partition in flight at a time. With more, Kafka's producer can have batches of one partition
                // in flight to the old leader and the new one at once across a leader change; a batch retried after its
                // request to the old leader timed out then reaches the new leader behind more than the 5 batches a broker
                // remembers per producer, and is refused with OUT_OF_ORDER_SEQUENCE_NUMBER (Kafka's brokers do the same)
                // until delivery.timeout.ms: the partition stalls. That is the client's limit, not what this test is about.
                "max.in.flight.requests.per.connection", "1",
                // Far beyond any outage here: a send is given up only if something is badly wrong.
                "delivery.timeout.ms", "600000",
                // Short, so a request stuck at a frozen or cut-off broker is retried elsewhere within seconds.
                "request.timeout.ms", "8000",
                "metadata.max.age.ms", "3000",
                "linger.ms", "5"), clientDir);
        awaitProducerProgress(PROGRESS_WHILE_DISRUPTED, "the producer's first acknowledgements");
        awaitCondition(() -> consumer.consumedCount() > 0, RECOVERY_GUARD, "the consumer's first records", consumer::describe);
    }

    @AfterAll
    static void stopEverything() {
        if (!moves.isEmpty()) System.out.println("ReplicationChaosIT: leadership moves\n  " + String.join("\n  ", moves));
        try {
            if (producer != null) producer.close();
            if (consumer != null) consumer.close();
            if (cluster != null) cluster.close();
        } finally {
            if (network != null) network.close();
        }
    }

    @Test
    @Order(1)
    void sigkillOfALeaderAndItsRestartLoseNoAcknowledgedRecordAndLeaveIdenticalReplicas() {
        assumeCluster();
        restoreCluster();
        awaitInSync("before the SIGKILL");
        int victim = leaderOf(0);
        Move move = disruptAndAwaitNewLeaders(victim, cluster.othersThan(victim), "SIGKILL of broker " + victim
                + activeControllerNote(victim), () -> cluster.kill(victim));
        awaitProducerProgress(PROGRESS_WHILE_DISRUPTED, "acknowledgements while broker " + victim + " is dead");
        cluster.restart(victim);
        awaitInSync("after broker " + victim + " restarted");
        checkpoint("SIGKILL and restart of broker " + victim, move);
    }

    @Test
    @Order(2)
    void aLeaderCutOffFromTheOtherBrokersIsReplacedAndRejoinsWithoutLosingAcknowledgedRecords() {
        assumeCluster();
        restoreCluster();
        Assumptions.assumeTrue(network != null, noNetworkReason);
        awaitInSync("before the network partition");
        int victim = leaderOf(1);
        List<Integer> peers = cluster.othersThan(victim);
        long cutAtNanos = System.nanoTime();
        Move move;
        try {
            move = disruptAndAwaitNewLeaders(victim, peers, "broker " + victim + " cut off from " + peers + activeControllerNote(victim),
                    () -> network.cut(victim, peers));
            awaitProducerProgress(PROGRESS_WHILE_DISRUPTED, "acknowledgements while broker " + victim + " is cut off");
            // Past replica.lag.time.max.ms, so the cut-off leader has tried to shrink its ISR on its own side of the cut.
            sleepUntil(cutAtNanos + TimeUnit.MILLISECONDS.toNanos(REPLICA_LAG_TIME_MAX_MS + 2_000));
            System.out.printf("ReplicationChaosIT: during the cut (%s), broker %d itself names: %s; the others name: %s%n",
                    network.describeCuts(), victim, partitionsSeenBy(victim).orElse(null), partitionsSeenBy(peers.get(0)).orElse(null));
        } finally {
            network.healAll();
        }
        awaitInSync("after the cut of broker " + victim + " healed");
        checkpoint("network partition of broker " + victim, move);
    }

    @Test
    @Order(3)
    void aBrokerPausedPastItsSessionTimeoutIsFencedAndCatchesUpWithoutLosingAcknowledgedRecords() {
        assumeCluster();
        restoreCluster();
        awaitInSync("before the SIGSTOP");
        int victim = leaderOf(2);
        List<Integer> others = cluster.othersThan(victim);
        Move move;
        try {
            move = disruptAndAwaitNewLeaders(victim, others, "SIGSTOP of broker " + victim + activeControllerNote(victim),
                    () -> cluster.pause(victim));
            awaitCondition(() -> others.stream().allMatch(id -> brokersSeenBy(id).map(b -> !b.contains(victim)).orElse(false)),
                    LEADERSHIP_GUARD, "paused broker " + victim + " fenced by " + others, () -> cluster.logTails(30));
            awaitProducerProgress(PROGRESS_WHILE_DISRUPTED, "acknowledgements while broker " + victim + " is paused");
        } finally {
            cluster.resume(victim);
        }
        awaitInSync("after broker " + victim + " resumed");
        checkpoint("SIGSTOP past the session timeout and SIGCONT of broker " + victim, move);
    }

    @Test
    @Order(4)
    void aRollingRestartOfEveryBrokerLosesNoAcknowledgedRecordAndLeavesIdenticalReplicas() {
        assumeCluster();
        restoreCluster();
        Move last = null;
        for (int id : ALL) {
            awaitInSync("before the restart of broker " + id);
            last = disruptAndAwaitNewLeaders(id, cluster.othersThan(id), "SIGTERM (controlled shutdown) of broker " + id
                    + activeControllerNote(id), () -> cluster.stop(id));
            awaitProducerProgress(PROGRESS_WHILE_DISRUPTED, "acknowledgements while broker " + id + " is stopped");
            cluster.restart(id);
        }
        awaitInSync("after the rolling restart");
        checkpoint("rolling restart of brokers " + ALL, last);
    }

    @Test
    @Order(5)
    void afterAllDisruptionsEveryAcknowledgedRecordIsInEveryReplicaOnceAndInOrder() throws IOException {
        assumeCluster();
        restoreCluster();
        awaitInSync("before the producer stops");
        producer.stop();
        assertThat(producer.shutdownComplete()).as("VerifiableProducer closed its producer (every send answered)\n%s", producer.describe())
                .isTrue();
        assertThat(producer.errors()).as("sends the producer gave up on\n%s", producer.describe()).isEmpty();
        List<Ack> acked = producer.acked();
        assertThat(producer.summary()).as("VerifiableProducer's summary: every record it sent acknowledged\n%s", producer.describe())
                .contains(new VerifiableProducerProcess.Summary(acked.size(), acked.size()));
        DeliveryCheck.Report consumed = awaitAllConsumed(acked, "at the end");
        consumer.stop();

        // With nothing more produced, every replica must end where the high watermark is, and agree entirely.
        Map<Integer, Long> highWatermarks = new TreeMap<>();
        awaitCondition(() -> {
            highWatermarks.clear();
            for (int p = 0; p < PARTITIONS; p++) {
                Optional<Long> hw = highWatermark(p);
                if (hw.isEmpty()) return false;
                highWatermarks.put(p, hw.get());
                for (int id : ALL) {
                    List<ReplicaLogs.Batch> batches = ReplicaLogs.read(ReplicaLogs.partitionDir(cluster.dataDir(id), TOPIC, p));
                    long end = batches.isEmpty() ? 0 : batches.get(batches.size() - 1).lastOffset() + 1;
                    if (end != hw.get()) return false;
                }
            }
            return true;
        }, RECOVERY_GUARD, "every replica's log ending at its partition's high watermark", () -> "high watermarks " + highWatermarks);
        List<Consumed> logRecords = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            Map<Integer, List<ReplicaLogs.Batch>> replicas = new TreeMap<>();
            for (int id : ALL) replicas.put(id, ReplicaLogs.read(ReplicaLogs.partitionDir(cluster.dataDir(id), TOPIC, p)));
            List<String> problems = ReplicaLogs.compareBelow(highWatermarks.get(p), replicas);
            assertThat(problems).as("partition %d's replicas, whole logs (%s)%s", p, replicaDirs(p), ReplicaLogs.describe(problems)).isEmpty();
            int partition = p;
            ReplicaLogs.values(ReplicaLogs.partitionDir(cluster.dataDir(ALL.get(0)), TOPIC, p))
                    .forEach((offset, value) -> logRecords.add(new Consumed(partition, offset, value)));
        }
        // The replicated log itself, read like one consumer assignment per partition: every acknowledged record once, in order.
        List<VerifiableConsumerProcess.Event> logAsRead = new ArrayList<>();
        logAsRead.add(new AssignmentChange(true, List.of(0, 1, 2)));
        logAsRead.addAll(logRecords);
        DeliveryCheck.Report inLog = DeliveryCheck.check(acked, logAsRead);
        assertThat(inLog.problems()).as("the acknowledged records against the replicated log\n%s", inLog.details()).isEmpty();
        assertThat(inLog.unread()).as("acknowledged records missing from the replicated log\n%s", inLog.details()).isEmpty();
        // Everything consumed is in the log, where and as it was consumed.
        Set<Consumed> inTheLog = Set.copyOf(logRecords);
        List<Consumed> consumedNotInLog = consumer.events().stream().filter(e -> e instanceof Consumed).map(e -> (Consumed) e)
                .filter(r -> !inTheLog.contains(r)).distinct().limit(20).toList();
        assertThat(consumedNotInLog).as("records the consumer read that the final log does not hold there").isEmpty();
        System.out.printf("ReplicationChaosIT: at the end: %s; log: %s; high watermarks %s; %d records in the log, %d of them never acknowledged%n",
                consumed.summary(), inLog.summary(), highWatermarks, logRecords.size(), inLog.readUnacked());
    }

    /**
     * The delivery check on hand-made event lists: a lost acknowledged record, an acknowledged
     * offset that later holds another value, a duplicate, a consumer going back without a
     * rebalance, and records out of the producer's order are each reported; a redelivery after a
     * rebalance and a read-but-unacknowledged record are not.
     */
    @Test
    @Order(6)
    void theDeliveryCheckReportsLostDuplicatedRewrittenAndReorderedRecords() {
        List<Ack> acked = List.of(new Ack(0, 0, "0", "k"), new Ack(0, 1, "1", "k"), new Ack(1, 0, "2", "k"), new Ack(1, 1, "3", "k"));
        VerifiableConsumerProcess.Event assigned = new AssignmentChange(true, List.of(0, 1));
        VerifiableConsumerProcess.Event revoked = new AssignmentChange(false, List.of(0, 1));
        DeliveryCheck.Report clean = DeliveryCheck.check(acked, List.of(assigned, new Consumed(0, 0, "0"), new Consumed(1, 0, "2"),
                revoked, assigned, new Consumed(0, 0, "0"), new Consumed(0, 1, "1"), new Consumed(1, 1, "3"), new Consumed(1, 2, "4")));
        assertThat(clean.problems()).as(clean.details()).isEmpty();
        assertThat(clean.unread()).isEmpty();
        assertThat(clean.redelivered()).isEqualTo(1);
        assertThat(clean.readUnacked()).isEqualTo(1);

        DeliveryCheck.Report lost = DeliveryCheck.check(acked, List.of(assigned, new Consumed(0, 0, "0"), new Consumed(1, 0, "2")));
        assertThat(lost.problems()).isEmpty();
        assertThat(lost.unread()).containsExactly(acked.get(1), acked.get(3));

        DeliveryCheck.Report rewritten = DeliveryCheck.check(acked, List.of(assigned, new Consumed(0, 0, "0"), new Consumed(0, 1, "5"),
                new Consumed(1, 0, "2"), new Consumed(1, 1, "3")));
        assertThat(rewritten.problems()).anySatisfy(p -> assertThat(p).contains("acknowledged value 1").contains("was lost"));

        DeliveryCheck.Report ackedTwice = DeliveryCheck.check(List.of(new Ack(0, 0, "0", "k"), new Ack(0, 0, "1", "k")), List.of());
        assertThat(ackedTwice.problems()).anySatisfy(p -> assertThat(p).contains("acknowledged for value 0 and later for value 1"));

        DeliveryCheck.Report duplicate = DeliveryCheck.check(acked, List.of(assigned, new Consumed(0, 0, "0"), new Consumed(0, 1, "1"),
                new Consumed(0, 2, "1"), new Consumed(1, 0, "2"), new Consumed(1, 1, "3")));
        assertThat(duplicate.problems()).anySatisfy(p -> assertThat(p).contains("value 1 was read at partition 0 offset 1 and again"));

        DeliveryCheck.Report wentBack = DeliveryCheck.check(acked, List.of(assigned, new Consumed(0, 0, "0"), new Consumed(0, 1, "1"),
                new Consumed(0, 0, "0"), new Consumed(1, 0, "2"), new Consumed(1, 1, "3")));
        assertThat(wentBack.problems()).anySatisfy(p -> assertThat(p).contains("offset 0 (value 0) read after offset 1 with no rebalance"));

        DeliveryCheck.Report reordered = DeliveryCheck.check(List.of(new Ack(0, 0, "7", "k"), new Ack(0, 1, "6", "k")),
                List.of(assigned, new Consumed(0, 0, "7"), new Consumed(0, 1, "6")));
        assertThat(reordered.problems()).anySatisfy(p -> assertThat(p).startsWith("acknowledged records of partition 0 out of the producer's order"))
                .anySatisfy(p -> assertThat(p).startsWith("read records of partition 0 out of the producer's order"));

        DeliveryCheck.Report readChanged = DeliveryCheck.check(List.of(), List.of(assigned, new Consumed(0, 0, "0"), revoked, assigned,
                new Consumed(0, 0, "9")));
        assertThat(readChanged.problems()).anySatisfy(p -> assertThat(p).contains("was read as value 0 and later as value 9"));
    }

    /**
     * The replica comparison on hand-made segment files: identical replicas pass; a batch with
     * another leader epoch, a batch with other records (CRC), and a replica that stops short of
     * the high watermark are each reported; a difference above the high watermark is not.
     */
    @Test
    @Order(7)
    void theReplicaComparisonReportsDivergentAndShortReplicas() throws IOException {
        Path dir = E2eSettings.newDir("replica-compare-check");
        Path a = segment(dir.resolve("a"), batch(0, 1, "v0", "v1"), batch(2, 1, "v2"), batch(3, 2, "v3"));
        Path same = segment(dir.resolve("same"), batch(0, 1, "v0", "v1"), batch(2, 1, "v2"), batch(3, 2, "v3"));
        Path otherEpoch = segment(dir.resolve("epoch"), batch(0, 1, "v0", "v1"), batch(2, 2, "v2"), batch(3, 2, "v3"));
        Path otherRecords = segment(dir.resolve("records"), batch(0, 1, "v0", "x1"), batch(2, 1, "v2"), batch(3, 2, "v3"));
        Path shorter = segment(dir.resolve("short"), batch(0, 1, "v0", "v1"), batch(2, 1, "v2"));
        Path divergentTail = segment(dir.resolve("tail"), batch(0, 1, "v0", "v1"), batch(2, 1, "v2"), batch(3, 3, "other"));

        assertThat(ReplicaLogs.read(a)).extracting(ReplicaLogs.Batch::baseOffset).containsExactly(0L, 2L, 3L);
        assertThat(ReplicaLogs.values(a)).containsExactly(Map.entry(0L, "v0"), Map.entry(1L, "v1"), Map.entry(2L, "v2"), Map.entry(3L, "v3"));
        assertThat(ReplicaLogs.compareBelow(4, Map.of(1, ReplicaLogs.read(a), 2, ReplicaLogs.read(same)))).isEmpty();
        assertThat(ReplicaLogs.compareBelow(3, Map.of(1, ReplicaLogs.read(a), 2, ReplicaLogs.read(divergentTail))))
                .as("above the high watermark replicas may differ").isEmpty();
        assertThat(ReplicaLogs.compareBelow(4, Map.of(1, ReplicaLogs.read(a), 2, ReplicaLogs.read(otherEpoch))))
                .singleElement().asString().contains("differ below the high watermark 4 at their batch #1").contains("epoch 2");
        assertThat(ReplicaLogs.compareBelow(4, Map.of(1, ReplicaLogs.read(a), 2, ReplicaLogs.read(otherRecords))))
                .singleElement().asString().contains("at their batch #0");
        assertThat(ReplicaLogs.compareBelow(4, Map.of(1, ReplicaLogs.read(a), 2, ReplicaLogs.read(shorter))))
                .anySatisfy(p -> assertThat(p).contains("broker 2 holds offsets up to 2 only, below the high watermark 4"));
    }

    // ---- disruptions and what the cluster says about them

    /**
     * Runs {@code disruption} on broker {@code victim} and waits until every one of
     * {@code observers} names a leader other than the victim (in a higher leader epoch) for each
     * partition the victim led; records and returns how long that took from the disruption's start.
     * A watcher thread polls from just before the disruption, so a disruption that blocks (a
     * SIGTERM waits for the process to exit) does not inflate the time.
     */
    private static Move disruptAndAwaitNewLeaders(int victim, List<Integer> observers, String what, Runnable disruption) {
        Map<Integer, PartitionView> before = agreedPartitions(observers);
        Map<Integer, PartitionView> led = before.entrySet().stream().filter(e -> e.getValue().leader() == victim)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (x, y) -> x, TreeMap::new));
        long startNanos = System.nanoTime();
        long[] movedAtNanos = {0};
        Map<Integer, Map<Integer, PartitionView>> lastAnswers = new TreeMap<>();
        CompletableFuture<Map<Integer, PartitionView>> moved = CompletableFuture.supplyAsync(() -> {
            long deadline = startNanos + LEADERSHIP_GUARD.toNanos();
            while (System.nanoTime() < deadline) {
                Map<Integer, PartitionView> agreed = null;
                boolean done = true;
                for (int id : observers) {
                    Map<Integer, PartitionView> view = partitionsSeenBy(id).orElse(Map.of());
                    synchronized (lastAnswers) {
                        lastAnswers.put(id, view);
                    }
                    for (var entry : led.entrySet()) {
                        PartitionView now = view.get(entry.getKey());
                        done &= now != null && now.leader() >= 0 && now.leader() != victim && now.leaderEpoch() > entry.getValue().leaderEpoch();
                    }
                    if (agreed == null) agreed = view;
                }
                if (done) {
                    movedAtNanos[0] = System.nanoTime();
                    return agreed;
                }
                sleep(50);
            }
            return null;
        });
        disruption.run();
        Map<Integer, PartitionView> after;
        try {
            after = moved.get(LEADERSHIP_GUARD.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("watching leadership after " + what, e);
        }
        if (after == null) {
            synchronized (lastAnswers) {
                fail("after " + what + ", leadership of " + led.keySet() + " did not leave broker " + victim + " within the hang guard of "
                        + LEADERSHIP_GUARD + "; before: " + led + "; last answers of " + observers + ": " + lastAnswers + "\n"
                        + cluster.logTails(40));
            }
        }
        // When the watcher saw it, not now: the disruption itself may have taken longer (a SIGTERM waits for the exit).
        long millis = TimeUnit.NANOSECONDS.toMillis(movedAtNanos[0] - startNanos);
        Move move = new Move(victim, led, after, millis);
        String line = what + ": " + (led.isEmpty() ? "it led no partition of " + TOPIC : "leadership of partitions " + led.keySet()
                + " moved in " + millis + " ms: " + led.keySet().stream().map(p -> "p" + p + " " + victim + "(epoch " + led.get(p).leaderEpoch()
                + ") -> " + after.get(p).leader() + "(epoch " + after.get(p).leaderEpoch() + ")").collect(Collectors.joining(", ")));
        moves.add(line);
        System.out.println("ReplicationChaosIT: " + line);
        return move;
    }

    /** " (the active controller)" when {@code id} leads the metadata quorum: its failure costs a quorum election too. */
    private static String activeControllerNote(int id) {
        for (int asked : cluster.runningIds()) {
            try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(asked), PROBE_TIMEOUT)) {
                DescribeQuorumResponse response = connection.request(ApiKeys.DESCRIBE_QUORUM, (short) 2,
                        DescribeQuorumRequest.singletonRequest(new TopicPartition("__cluster_metadata", 0)));
                DescribeQuorumResponseData.PartitionData partition = response.data().topics().get(0).partitions().get(0);
                return partition.leaderId() == id ? " (the active controller)" : " (not the active controller, node " + partition.leaderId() + " is)";
            } catch (IOException | RuntimeException e) {
                // ask the next one
            }
        }
        return "";
    }

    /** The leader of {@code partition} that every running node names. */
    private static int leaderOf(int partition) {
        return agreedPartitions(cluster.runningIds()).get(partition).leader();
    }

    /** Polls {@code nodes} until all describe every partition of the topic alike, with a leader; returns that description. */
    private static Map<Integer, PartitionView> agreedPartitions(List<Integer> nodes) {
        Map<Integer, Optional<Map<Integer, PartitionView>>> answers = new TreeMap<>();
        long deadline = System.nanoTime() + RECOVERY_GUARD.toNanos();
        while (System.nanoTime() < deadline) {
            for (int id : nodes) answers.put(id, partitionsSeenBy(id));
            Set<Optional<Map<Integer, PartitionView>>> distinct = Set.copyOf(answers.values());
            if (distinct.size() == 1) {
                Optional<Map<Integer, PartitionView>> agreed = distinct.iterator().next();
                if (agreed.isPresent() && agreed.get().size() == PARTITIONS && agreed.get().values().stream().allMatch(v -> v.leader() >= 0)) {
                    return agreed.get();
                }
            }
            sleep(100);
        }
        return fail("nodes " + nodes + " did not agree on the leaders of " + TOPIC + " within " + RECOVERY_GUARD + ": " + answers + "\n"
                + cluster.logTails(40));
    }

    /** Waits until every node names the same leaders and every partition has all three replicas in its ISR. */
    private static void awaitInSync(String when) {
        Map<Integer, Optional<Map<Integer, PartitionView>>> answers = new TreeMap<>();
        long startNanos = System.nanoTime();
        long deadline = startNanos + RECOVERY_GUARD.toNanos();
        while (System.nanoTime() < deadline) {
            for (int id : ALL) answers.put(id, partitionsSeenBy(id));
            Set<Optional<Map<Integer, PartitionView>>> distinct = Set.copyOf(answers.values());
            if (distinct.size() == 1 && distinct.iterator().next().filter(ReplicationChaosIT::allInSync).isPresent()) {
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
                if (millis > 1_000) System.out.printf("ReplicationChaosIT: three in-sync replicas everywhere %s after %d ms%n", when, millis);
                return;
            }
            sleep(100);
        }
        fail("not every partition of " + TOPIC + " has three in-sync replicas that all nodes agree on, " + when + ", within "
                + RECOVERY_GUARD + ": " + answers + "\n" + cluster.logTails(40));
    }

    private static boolean allInSync(Map<Integer, PartitionView> partitions) {
        return partitions.size() == PARTITIONS
                && partitions.values().stream().allMatch(v -> v.leader() >= 0 && v.isr().equals(Set.copyOf(ALL)) && v.replicas().equals(Set.copyOf(ALL)));
    }

    /** Node {@code id}'s Metadata for the topic (asked on its own port), or empty if it does not answer or lacks the topic. */
    private static Optional<Map<Integer, PartitionView>> partitionsSeenBy(int id) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(id), PROBE_TIMEOUT)) {
            MetadataResponse response = connection.request(ApiKeys.METADATA, (short) 12, new MetadataRequestData()
                    .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC))).setAllowAutoTopicCreation(false));
            MetadataResponseData.MetadataResponseTopic topic = response.data().topics().find(TOPIC);
            if (topic == null || topic.errorCode() != Errors.NONE.code()) return Optional.empty();
            Map<Integer, PartitionView> partitions = new TreeMap<>();
            for (MetadataResponseData.MetadataResponsePartition p : topic.partitions()) {
                partitions.put(p.partitionIndex(), new PartitionView(p.leaderId(), p.leaderEpoch(), new TreeSet<>(p.replicaNodes()),
                        new TreeSet<>(p.isrNodes())));
            }
            return Optional.of(partitions);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // down, paused, cut off from the test, or restarting
        }
    }

    /** The unfenced brokers node {@code id} lists in DescribeCluster, or empty if it does not answer. */
    private static Optional<Set<Integer>> brokersSeenBy(int id) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(id), PROBE_TIMEOUT)) {
            DescribeClusterResponse response = connection.request(ApiKeys.DESCRIBE_CLUSTER, (short) 1, new DescribeClusterRequestData());
            if (response.data().errorCode() != Errors.NONE.code()) return Optional.empty();
            return Optional.of(response.data().brokers().stream().map(b -> b.brokerId()).collect(Collectors.toCollection(TreeSet::new)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The high watermark of {@code partition} as its leader reports it (ListOffsets, latest, read uncommitted). */
    private static Optional<Long> highWatermark(int partition) {
        Map<Integer, PartitionView> partitions = partitionsSeenBy(cluster.runningIds().get(0)).orElse(Map.of());
        PartitionView view = partitions.get(partition);
        if (view == null || view.leader() < 0) return Optional.empty();
        try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(view.leader()), PROBE_TIMEOUT)) {
            ListOffsetsResponse response = connection.request(ApiKeys.LIST_OFFSETS, Requests.LIST_OFFSETS_V, Requests.latestOffset(TOPIC, partition));
            ListOffsetsResponseData.ListOffsetsPartitionResponse answer = response.data().topics().get(0).partitions().get(0);
            return answer.errorCode() == Errors.NONE.code() ? Optional.of(answer.offset()) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    // ---- the checkpoint after each disruption

    /**
     * Every acknowledgement so far consumed exactly once and in order, no send given up, and the
     * replicas of every partition identical below the high watermark.
     */
    private static void checkpoint(String after, Move move) {
        assertThat(producer.isAlive()).as("the producer runs throughout\n%s", producer.describe()).isTrue();
        assertThat(consumer.isAlive()).as("the consumer runs throughout\n%s", consumer.describe()).isTrue();
        assertThat(producer.errors()).as("sends the producer gave up on, after %s\n%s", after, producer.describe()).isEmpty();
        awaitEveryPartitionAcknowledging("after " + after);
        DeliveryCheck.Report report = awaitAllConsumed(producer.acked(), "after " + after);

        Map<Integer, Long> highWatermarks = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            int partition = p;
            Map<Integer, PartitionView> before = agreedPartitions(ALL);
            assertThat(before.get(p).isr()).as("partition %d's ISR when its replicas are compared, after %s", p, after)
                    .isEqualTo(Set.copyOf(ALL));
            long hw = awaitValue(() -> highWatermark(partition), "the high watermark of partition " + p);
            highWatermarks.put(p, hw);
            Map<Integer, List<ReplicaLogs.Batch>> replicas = new TreeMap<>();
            for (int id : ALL) replicas.put(id, ReplicaLogs.read(ReplicaLogs.partitionDir(cluster.dataDir(id), TOPIC, p)));
            List<String> problems = ReplicaLogs.compareBelow(hw, replicas);
            assertThat(problems).as("partition %d's replicas below the high watermark %d after %s (%s; ISR before the read %s, after %s)%s",
                    p, hw, after, replicaDirs(p), before.get(p).isr(), agreedPartitions(ALL).get(p).isr(), ReplicaLogs.describe(problems))
                    .isEmpty();
        }
        System.out.printf("ReplicationChaosIT: checkpoint after %s: %s; replicas identical below the high watermarks %s%s%n", after,
                report.summary(), highWatermarks, move == null ? "" : "; leadership moved in " + move.millis() + " ms");
    }

    /** Waits until the consumer has read every one of {@code acked}; fails at once on any delivery problem. */
    private static DeliveryCheck.Report awaitAllConsumed(List<Ack> acked, String when) {
        long deadline = System.nanoTime() + RECOVERY_GUARD.toNanos();
        DeliveryCheck.Report report;
        while (true) {
            report = DeliveryCheck.check(acked, consumer.events());
            assertThat(report.problems()).as("delivery %s\n%s\n%s", when, report.details(), consumer.describe()).isEmpty();
            if (report.unread().isEmpty()) return report;
            if (System.nanoTime() > deadline) break;
            sleep(500);
        }
        return fail("acknowledged records not consumed " + when + " within the hang guard of " + RECOVERY_GUARD
                + " (lost, or the consumer is stuck)\n" + report.details() + "\n" + consumer.describe() + "\n" + cluster.logTails(30));
    }

    /**
     * Waits until the producer has new acknowledgements from every partition: each is writable
     * again, and no partition's sends are stuck behind one the brokers keep refusing.
     */
    private static void awaitEveryPartitionAcknowledging(String when) {
        Map<Integer, Long> before = acknowledgedPerPartition();
        Map<Integer, Long> now = new TreeMap<>(before);
        awaitCondition(() -> {
            now.putAll(acknowledgedPerPartition());
            for (int p = 0; p < PARTITIONS; p++) {
                if (now.getOrDefault(p, 0L) < before.getOrDefault(p, 0L) + PROGRESS_PER_PARTITION) return false;
            }
            return true;
        }, RECOVERY_GUARD, "new acknowledgements (" + PROGRESS_PER_PARTITION + ") from every partition " + when,
                () -> "acknowledgements per partition before " + before + ", now " + now + "\n" + producer.describe() + "\n" + cluster.logTails(30));
    }

    private static Map<Integer, Long> acknowledgedPerPartition() {
        return producer.acked().stream().collect(Collectors.groupingBy(Ack::partition, TreeMap::new, Collectors.counting()));
    }

    private static void awaitProducerProgress(int more, String what) {
        int target = producer.ackedCount() + more;
        awaitCondition(() -> producer.ackedCount() >= target, RECOVERY_GUARD, what + " (" + more + " more)",
                () -> producer.describe() + "\n" + cluster.logTails(30));
    }

    private static String replicaDirs(int partition) {
        return ALL.stream().map(id -> ReplicaLogs.partitionDir(cluster.dataDir(id), TOPIC, partition).toString())
                .collect(Collectors.joining(", "));
    }

    /**
     * Undoes whatever an earlier scenario left behind when it failed half-way (a cut, a paused or
     * dead broker), so that each scenario starts from three running, connected brokers.
     */
    private static void restoreCluster() {
        if (network != null) network.healAll();
        for (int id : ALL) {
            if (cluster.isPaused(id)) cluster.resume(id);
        }
        List<Integer> down = ALL.stream().filter(id -> !cluster.isAlive(id)).toList();
        if (!down.isEmpty()) cluster.startNodes(down);
    }

    private static void assumeCluster() {
        if (noClusterReason != null) throw new TestAbortedException(noClusterReason); // the reason as it is, not wrapped again
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, Duration guard, String what,
                                       java.util.function.Supplier<String> diagnosis) {
        long deadline = System.nanoTime() + guard.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("no " + what + " within the hang guard of " + guard + "\n" + diagnosis.get());
            sleep(100);
        }
    }

    private static long awaitValue(java.util.function.Supplier<Optional<Long>> probe, String what) {
        long deadline = System.nanoTime() + RECOVERY_GUARD.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> value = probe.get();
            if (value.isPresent()) return value.get();
            sleep(100);
        }
        return fail("no answer for " + what + " within " + RECOVERY_GUARD + "\n" + cluster.logTails(30));
    }

    private static Path segment(Path dir, MemoryRecords... batches) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("00000000000000000000.log");
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            for (MemoryRecords batch : batches) channel.write(batch.buffer().duplicate());
        }
        return dir;
    }

    private static MemoryRecords batch(long baseOffset, int leaderEpoch, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = new SimpleRecord(1_000L, null, values[i].getBytes());
        return MemoryRecords.withRecords(baseOffset, Compression.NONE, leaderEpoch, records);
    }

    private static void sleepUntil(long nanos) {
        long remaining = nanos - System.nanoTime();
        if (remaining > 0) sleep(TimeUnit.NANOSECONDS.toMillis(remaining) + 1);
    }

}
