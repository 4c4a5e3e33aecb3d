package io.runnel.e2e.cluster;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.MetadataLogLeaders;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.RunnelCluster;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeQuorumResponseData;
import org.apache.kafka.common.message.LeaderChangeMessage;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.DescribeQuorumRequest;
import org.apache.kafka.common.requests.DescribeQuorumResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.opentest4j.TestAbortedException;

/**
 * A three-node Runnel cluster, each node a separate broker process and a voter of the metadata
 * quorum ({@link RunnelCluster}), driven through failures of real processes: SIGKILL of the
 * quorum leader, SIGSTOP of a follower past its session timeout. What it covers is the metadata
 * quorum and broker liveness; record replication through such failures is ReplicationChaosIT's.
 *
 * <p>The scenarios, in order, on one cluster (so the last can check the elections of the others):
 * <ol>
 *   <li>the three nodes form one quorum: Kafka's own kafka-metadata-quorum reports three voters
 *       and a leader, and every node and the Admin client list brokers 1, 2, 3;</li>
 *   <li>SIGKILL of the leader: the survivors elect a new leader in a higher epoch, a topic can be
 *       created, the killed broker is fenced once its session times out, and when restarted it
 *       rejoins (listed again) and sees the topic;</li>
 *   <li>SIGSTOP of a follower past {@code broker.session.timeout.ms}: it is fenced; SIGCONT: it
 *       is unfenced;</li>
 *   <li>after all that, every node's copy of the metadata log, read with kafka-clients' record
 *       classes: for each epoch, all nodes name one and the same leader (Raft's election safety),
 *       and every election the scenarios saw is there with the leader they saw;</li>
 *   <li>and the log check itself, on hand-made segments: it reports two leaders of one epoch.</li>
 * </ol>
 *
 * <p>Which node answers: quorum and cluster views are asked of one node at a time over raw
 * connections to its client port ({@link RawKafkaConnection}), so "node 2 lists broker 3" means
 * node 2's metadata says so, and a paused node is never asked (it would not answer).
 *
 * <p>Durations are measured and printed (in the failsafe report's output), never asserted as
 * speed: each wait has a hang guard far above normal. The one lower bound asserted is a
 * correctness property: no broker is fenced before its session could have expired.
 *
 * <p>Runnel only ({@link RunnelCluster}): under {@code -Drunnel.e2e.broker=kafka} the suite is
 * skipped, since it launches Runnel's cluster configuration and reads Runnel's node directories.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
    private static final String METADATA_QUORUM = "org.apache.kafka.tools.MetadataQuorumCommand";
    private static final TopicPartition METADATA_PARTITION = new TopicPartition("__cluster_metadata", 0);
    private static final List<Integer> ALL = List.of(1, 2, 3);
    /** Short, so the scenarios wait seconds for fencing, not Kafka's default 9 s. */
    private static final long SESSION_TIMEOUT_MS = 3_000;
    private static final long HEARTBEAT_INTERVAL_MS = 500;
    /** Hang guard for an election: with kafka-raft's 2 s fetch and 1 s election timeouts one takes a few seconds. */
    private static final Duration ELECTION_GUARD = Duration.ofSeconds(30);
    /** Hang guard for fencing and unfencing: the session timeout plus the election guard. */
    private static final Duration FENCING_GUARD = Duration.ofMillis(SESSION_TIMEOUT_MS).plus(ELECTION_GUARD);
    private static final Duration PATIENCE = KafkaClients.PATIENCE;

    private static RunnelCluster cluster;
    /** Every epoch → leader a node reported while the scenarios ran; a second leader for an epoch fails at once. */
    private static final Map<Integer, Integer> leadersSeen = new TreeMap<>();

    /** A node's answer to DescribeQuorum: who leads the metadata quorum, in which epoch. */
    private record Quorum(int leaderId, int epoch) {}

    /** What a SIGKILL of the leader led to. */
    private record Failover(int killed, long killedAtNanos, Quorum before, Quorum after, long electionMs) {}

    /** Why there is no cluster (Apache Kafka or an external broker chosen), for each scenario's skip. */
    private static String noClusterReason;

    @BeforeAll
    static void startCluster() {
        try {
            cluster = RunnelCluster.builder("cluster-failover")
                    .config("broker.session.timeout.ms", Long.toString(SESSION_TIMEOUT_MS))
                    .config("broker.heartbeat.interval.ms", Long.toString(HEARTBEAT_INTERVAL_MS))
                    .start();
        } catch (TestAbortedException e) {
            // Skipped per scenario rather than for the class, so the reports show each skip and its reason.
            noClusterReason = e.getMessage();
            return;
        }
        System.out.println("ClusterFailoverIT: " + cluster + ", voters " + cluster.voters() + ", files in " + cluster.dir());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Test
    @Order(1)
    void threeNodesFormOneQuorumThatKafkasMetadataQuorumToolDescribes() throws Exception {
        assumeCluster();
        Quorum quorum = awaitAgreedQuorum(ALL, q -> true, PATIENCE, "a leader all three nodes agree on");

        String status = ok(tool(METADATA_QUORUM, "--bootstrap-server", cluster.bootstrap(), "describe", "--status"));
        Map<String, String> fields = statusFields(status);
        assertThat(fields.get("ClusterId")).as(status).isEqualTo(cluster.clusterId());
        assertThat(voterIds(fields.get("CurrentVoters"))).as(status).containsExactly(1, 2, 3);
        assertThat(fields.get("CurrentObservers")).as("every node is a voter, so none observes\n" + status).isEqualTo("[]");
        int leaderId = Integer.parseInt(fields.get("LeaderId"));
        int epoch = Integer.parseInt(fields.get("LeaderEpoch"));
        assertThat(leaderId).as(status).isIn(ALL);
        assertThat(epoch).as(status).isPositive().isGreaterThanOrEqualTo(quorum.epoch());
        assertThat(Long.parseLong(fields.get("HighWatermark"))).as("the brokers' registrations are committed\n" + status).isPositive();
        seen(leaderId, epoch, "kafka-metadata-quorum describe --status");

        // One row per voter: the leader, and two followers it has heard from.
        String replication = ok(tool(METADATA_QUORUM, "--bootstrap-server", cluster.bootstrap(), "describe", "--replication"));
        Map<Integer, String> statusById = new TreeMap<>();
        replication.lines().skip(1).map(String::trim).filter(l -> !l.isEmpty()).forEach(l -> {
            String[] columns = l.split("\\s+");
            statusById.put(Integer.parseInt(columns[0]), columns[columns.length - 1]);
        });
        Map<Integer, String> expected = new TreeMap<>();
        for (int id : ALL) expected.put(id, id == leaderId ? "Leader" : "Follower");
        assertThat(statusById).as(replication).isEqualTo(expected);

        for (int id : ALL) {
            assertThat(brokersSeenBy(id)).as("the brokers node %d lists (DescribeCluster to its own port)", id)
                    .contains(Set.of(1, 2, 3));
        }
        try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
            DescribeClusterResult described = admin.describeCluster();
            assertThat(described.clusterId().get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(cluster.clusterId());
            assertThat(ids(described.nodes().get(PATIENCE.toSeconds(), TimeUnit.SECONDS))).containsExactly(1, 2, 3);
        }
    }

    @Test
    @Order(2)
    void sigkillOfTheQuorumLeaderElectsANewLeaderFencesTheKilledBrokerAndItRejoinsOnRestart() throws Exception {
        assumeCluster();
        everyNodeRunning();
        awaitBrokersSeen(ALL, Set.of(1, 2, 3), PATIENCE, "all three brokers registered and unfenced before the kill");
        Failover failover = killLeaderAndAwaitNewLeader();
        int killed = failover.killed();
        List<Integer> survivors = cluster.othersThan(killed);

        // Kafka's tool, bootstrapped from the survivors, sees the new leader.
        String status = ok(tool(METADATA_QUORUM, "--bootstrap-server", cluster.bootstrap(survivors), "describe", "--status"));
        Map<String, String> fields = statusFields(status);
        assertThat(Integer.parseInt(fields.get("LeaderId"))).as(status).isIn(survivors);
        assertThat(Integer.parseInt(fields.get("LeaderEpoch"))).as(status).isGreaterThan(failover.before().epoch());
        seen(Integer.parseInt(fields.get("LeaderId")), Integer.parseInt(fields.get("LeaderEpoch")), "kafka-metadata-quorum after the kill");

        // The new active controller takes metadata writes.
        String topic = "after-failover";
        createTopicRetrying(cluster.bootstrap(survivors), new NewTopic(topic, 3, (short) 1));
        for (int id : survivors) awaitTopicSeenBy(id, topic, 3);

        // Fenced once its session expires: the new controller starts every session afresh at its
        // election, so not before the session timeout after the kill.
        long fencedMs = awaitBrokersSeen(survivors, Set.copyOf(survivors), FENCING_GUARD,
                "broker " + killed + " fenced (left out of DescribeCluster) by the survivors");
        long fencedAfterKillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failover.killedAtNanos());
        System.out.printf("ClusterFailoverIT: killed broker %d fenced %d ms after the kill (%d ms after the election; "
                + "broker.session.timeout.ms=%d)%n", killed, fencedAfterKillMs, fencedAfterKillMs - failover.electionMs(), SESSION_TIMEOUT_MS);
        assertThat(fencedAfterKillMs).as("broker %d must not be fenced before its session could expire (waited %d ms in the fencing poll)",
                killed, fencedMs).isGreaterThanOrEqualTo(SESSION_TIMEOUT_MS);
        try (Admin admin = KafkaClients.admin(cluster.bootstrap(survivors))) {
            assertThat(ids(admin.describeCluster().nodes().get(PATIENCE.toSeconds(), TimeUnit.SECONDS)))
                    .as("Admin.describeCluster() once broker %d is fenced", killed).containsExactlyElementsOf(survivors);
        }

        // Restarted on its data: it registers again, is listed by every node, and has the topic created while it was down.
        long restartNanos = System.nanoTime();
        cluster.restart(killed);
        long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartNanos);
        long listedMs = awaitBrokersSeen(ALL, Set.of(1, 2, 3), FENCING_GUARD, "broker " + killed + " listed again after its restart");
        System.out.printf("ClusterFailoverIT: restarted broker %d ready %d ms after its launch, listed by every node %d ms later%n",
                killed, readyMs, listedMs);
        awaitTopicSeenBy(killed, topic, 3);
        try (Admin admin = KafkaClients.admin(cluster.bootstrap(killed))) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS).get(topic);
            assertThat(description.partitions()).as("topic %s through an Admin client bootstrapped from broker %d only", topic, killed)
                    .hasSize(3);
            assertThat(ids(admin.describeCluster().nodes().get(PATIENCE.toSeconds(), TimeUnit.SECONDS))).containsExactly(1, 2, 3);
        }
        // It follows the quorum of the survivors rather than starting a rival one.
        awaitAgreedQuorum(ALL, q -> q.epoch() >= failover.after().epoch(), ELECTION_GUARD, "all three agree on the leader after the restart");
    }

    @Test
    @Order(3)
    void aPausedBrokerIsFencedPastItsSessionTimeoutAndUnfencedWhenItResumes() {
        assumeCluster();
        everyNodeRunning();
        awaitBrokersSeen(ALL, Set.of(1, 2, 3), PATIENCE, "all three brokers registered and unfenced before the pause");
        Quorum before = awaitAgreedQuorum(ALL, q -> true, PATIENCE, "a leader before the pause");
        int paused = cluster.othersThan(before.leaderId()).get(0);
        List<Integer> others = cluster.othersThan(paused);

        long pausedAtNanos = System.nanoTime();
        cluster.pause(paused);
        try {
            awaitBrokersSeen(others, Set.copyOf(others), FENCING_GUARD, "paused broker " + paused + " fenced by the others");
            long fencedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedAtNanos);
            System.out.printf("ClusterFailoverIT: paused broker %d (SIGSTOP) fenced %d ms after the pause (broker.session.timeout.ms=%d, "
                    + "heartbeat every %d ms)%n", paused, fencedMs, SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS);
            // Its last heartbeat may have left up to one interval before the pause.
            assertThat(fencedMs).as("broker %d must not be fenced before its session could expire", paused)
                    .isGreaterThanOrEqualTo(SESSION_TIMEOUT_MS - HEARTBEAT_INTERVAL_MS);
            try (Admin admin = KafkaClients.admin(cluster.bootstrap(others))) {
                assertThat(ids(admin.describeCluster().nodes().get(PATIENCE.toSeconds(), TimeUnit.SECONDS)))
                        .as("Admin.describeCluster() while broker %d is paused and fenced", paused).containsExactlyElementsOf(others);
            } catch (InterruptedException | ExecutionException | TimeoutException e) {
                throw new AssertionError("describeCluster while broker " + paused + " is paused", e);
            }
            Quorum during = awaitAgreedQuorum(others, q -> true, ELECTION_GUARD, "a leader while broker " + paused + " is paused");
            System.out.printf("ClusterFailoverIT: leader %d in epoch %d before the pause, %d in epoch %d during it%n",
                    before.leaderId(), before.epoch(), during.leaderId(), during.epoch());
        } finally {
            cluster.resume(paused);
        }
        long resumedAtNanos = System.nanoTime();
        awaitBrokersSeen(ALL, Set.of(1, 2, 3), FENCING_GUARD, "broker " + paused + " unfenced after SIGCONT");
        System.out.printf("ClusterFailoverIT: resumed broker %d (SIGCONT) unfenced and listed by every node %d ms after the resume%n",
                paused, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAtNanos));
        awaitAgreedQuorum(ALL, q -> true, ELECTION_GUARD, "all three agree on the leader after the resume");
    }

    @Test
    @Order(4)
    void noTwoNodesEverNameDifferentLeadersForOneEpochInTheirMetadataLogs() {
        assumeCluster();
        everyNodeRunning();
        if (leadersSeen.size() < 2) {
            // Run on its own (-Dit.test=...#no*): make an election to check, as the failover scenario does.
            Failover failover = killLeaderAndAwaitNewLeader();
            cluster.restart(failover.killed());
        }
        awaitAgreedQuorum(ALL, q -> true, PATIENCE, "a leader all three agree on before the logs are read");
        cluster.stopAll(); // so the files are final; the leader's resignation may add one more election, which is checked too

        Map<Integer, MetadataLogLeaders.Log> logs = new TreeMap<>();
        for (int id : ALL) logs.put(id, MetadataLogLeaders.read(cluster.metadataLogDir(id)));
        String report = logs.entrySet().stream().map(e -> "node " + e.getKey() + " (" + e.getValue().batches() + " batches): "
                        + e.getValue().leaderChanges() + ", " + e.getValue().quorumState().orElse(null)).collect(Collectors.joining("\n"));
        System.out.println("ClusterFailoverIT: LEADER_CHANGE records per node\n" + report + "\nleaders seen live: " + leadersSeen);

        for (var entry : logs.entrySet()) {
            assertThat(entry.getValue().problems()).as("node %d's metadata log %s\n%s", entry.getKey(), entry.getValue().dir(), report)
                    .isEmpty();
            assertThat(entry.getValue().leadersByEpoch().values()).as("node %d names one leader per epoch\n%s", entry.getKey(), report)
                    .allSatisfy(leaders -> assertThat(leaders).hasSize(1));
        }
        assertThat(MetadataLogLeaders.leadersByEpoch(logs.values())).as("epoch → leaders named by any node's log\n%s", report)
                .allSatisfy((epoch, leaders) -> assertThat(leaders).as("epoch %d", epoch).hasSize(1));

        // The elections the scenarios saw are all in every node's log, with the leader they saw.
        assertThat(leadersSeen).as("the scenarios saw at least the first leader and one after a SIGKILL").hasSizeGreaterThanOrEqualTo(2);
        for (var log : logs.entrySet()) {
            Map<Integer, Integer> recorded = new TreeMap<>();
            for (MetadataLogLeaders.LeaderChange change : log.getValue().leaderChanges()) recorded.put(change.epoch(), change.leaderId());
            assertThat(recorded).as("node %d's LEADER_CHANGE records cover every election seen live\n%s", log.getKey(), report)
                    .containsAllEntriesOf(leadersSeen);
        }
        // Each LEADER_CHANGE names the voters that granted the leader its epoch: a majority of the three, itself among them.
        for (var log : logs.values()) {
            for (MetadataLogLeaders.LeaderChange change : log.leaderChanges()) {
                assertThat(change.grantingVoters()).as("%s in %s", change, log.dir()).contains(change.leaderId()).hasSizeGreaterThanOrEqualTo(2);
            }
        }
    }

    /**
     * The log check itself, on hand-made segment and quorum-state files: it must report two
     * leaders named for one epoch by two nodes (in LEADER_CHANGE records and in quorum-state), an
     * epoch whose first batch is not a LEADER_CHANGE, and an epoch going back. Without this, a reader that found nothing would pass the scenario above.
     */
    @Test
    @Order(5)
    void theLogCheckReportsTwoLeadersOfOneEpochAndMisshapenLogs() throws IOException {
        Path dir = E2eSettings.newDir("metadata-log-check");
        Path nodeA = segment(dir.resolve("a"), leaderChange(0, 1, 1), data(1, 1));
        Path nodeB = segment(dir.resolve("b"), leaderChange(0, 1, 2));
        // The latest epoch, known from quorum-state only (its LEADER_CHANGE not written yet): two leaders of epoch 2 as well.
        Files.writeString(nodeA.resolve("quorum-state"), "{\"clusterId\":\"\",\"leaderId\":1,\"leaderEpoch\":2,\"votedId\":-1}");
        Files.writeString(nodeB.resolve("quorum-state"), "{\"clusterId\":\"\",\"leaderId\":3,\"leaderEpoch\":2,\"votedId\":3}");
        Path nodeC = segment(dir.resolve("c"), leaderChange(0, 1, 1), data(1, 2), data(2, 1));

        MetadataLogLeaders.Log a = MetadataLogLeaders.read(nodeA);
        MetadataLogLeaders.Log b = MetadataLogLeaders.read(nodeB);
        assertThat(a.problems()).isEmpty();
        assertThat(a.leaderChanges()).extracting(MetadataLogLeaders.LeaderChange::leaderId).containsExactly(1);
        assertThat(a.leaderChanges().get(0).grantingVoters()).containsExactly(1, 2);
        assertThat(MetadataLogLeaders.leadersByEpoch(List.of(a, b))).isEqualTo(Map.of(1, Set.of(1, 2), 2, Set.of(1, 3)));

        assertThat(MetadataLogLeaders.read(nodeC).problems()).satisfiesExactly(
                p -> assertThat(p).contains("offset 1").contains("first batch of epoch 2 is not a LEADER_CHANGE"),
                p -> assertThat(p).contains("offset 2").contains("epoch 1 after epoch 2"));
    }

    private static Path segment(Path dir, MemoryRecords... batches) throws IOException {
        Files.createDirectories(dir);
        try (FileRecords file = FileRecords.open(dir.resolve("00000000000000000000.log").toFile())) {
            for (MemoryRecords batch : batches) file.append(batch);
            file.flush();
        }
        return dir;
    }

    private static MemoryRecords leaderChange(long offset, int epoch, int leaderId) {
        LeaderChangeMessage message = new LeaderChangeMessage().setVersion(ControlRecordUtils.LEADER_CHANGE_CURRENT_VERSION)
                .setLeaderId(leaderId)
                .setVoters(ALL.stream().map(id -> new LeaderChangeMessage.Voter().setVoterId(id)).toList())
                .setGrantingVoters(List.of(new LeaderChangeMessage.Voter().setVoterId(1), new LeaderChangeMessage.Voter().setVoterId(2)));
        return MemoryRecords.withLeaderChangeMessage(offset, System.currentTimeMillis(), epoch, ByteBuffer.allocate(256), message);
    }

    private static MemoryRecords data(long offset, int epoch) {
        return MemoryRecords.withRecords(offset, Compression.NONE, epoch, new SimpleRecord("k".getBytes(), "v".getBytes()));
    }

    private static void assumeCluster() {
        if (noClusterReason != null) throw new TestAbortedException(noClusterReason); // the reason as it is, not wrapped again
    }

    /** Restarts any node an earlier scenario left down (it failed half-way), so that each scenario starts from three running nodes. */
    private static void everyNodeRunning() {
        List<Integer> down = ALL.stream().filter(id -> !cluster.isAlive(id)).toList();
        if (!down.isEmpty()) cluster.startNodes(down);
    }

    /** SIGKILLs the current leader and waits until the other two agree on a new one in a higher epoch. */
    private static Failover killLeaderAndAwaitNewLeader() {
        Quorum before = awaitAgreedQuorum(ALL, q -> true, PATIENCE, "a leader before the kill");
        int killed = before.leaderId();
        List<Integer> survivors = cluster.othersThan(killed);
        long killedAtNanos = System.nanoTime();
        cluster.kill(killed);
        Quorum after = awaitAgreedQuorum(survivors, q -> q.leaderId() != killed && q.epoch() > before.epoch(), ELECTION_GUARD,
                "a new leader among " + survivors + " after SIGKILL of leader " + killed);
        long electionMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAtNanos);
        System.out.printf("ClusterFailoverIT: SIGKILL of leader %d (epoch %d): node %d leads epoch %d, agreed by %s, %d ms after the kill%n",
                killed, before.epoch(), after.leaderId(), after.epoch(), survivors, electionMs);
        return new Failover(killed, killedAtNanos, before, after, electionMs);
    }

    /**
     * Polls {@code nodes} (each asked on its own port) until all report the same leader and epoch
     * and it passes {@code acceptable}; records every leader any node reports on the way.
     */
    private static Quorum awaitAgreedQuorum(List<Integer> nodes, Predicate<Quorum> acceptable, Duration guard, String what) {
        long deadline = System.nanoTime() + guard.toNanos();
        Map<Integer, Optional<Quorum>> answers = new LinkedHashMap<>();
        while (System.nanoTime() < deadline) {
            answers.clear();
            for (int id : nodes) {
                Optional<Quorum> answer = quorumSeenBy(id);
                answer.ifPresent(q -> seen(q.leaderId(), q.epoch(), "DescribeQuorum to node " + id));
                answers.put(id, answer);
            }
            Set<Optional<Quorum>> distinct = Set.copyOf(answers.values());
            if (distinct.size() == 1) {
                Optional<Quorum> agreed = distinct.iterator().next();
                if (agreed.isPresent() && acceptable.test(agreed.get())) return agreed.get();
            }
            sleep(50);
        }
        return fail("no " + what + " within the hang guard of " + guard + "; last answers " + answers + "\n" + cluster.logTails(40));
    }

    /** Node {@code id}'s answer to DescribeQuorum on its client port (a follower forwards it to the leader, as Kafka's brokers do). */
    private static Optional<Quorum> quorumSeenBy(int id) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(id))) {
            DescribeQuorumResponse response = connection.request(ApiKeys.DESCRIBE_QUORUM, (short) 2,
                    DescribeQuorumRequest.singletonRequest(METADATA_PARTITION));
            DescribeQuorumResponseData data = response.data();
            if (data.errorCode() != Errors.NONE.code() || data.topics().isEmpty()) return Optional.empty();
            DescribeQuorumResponseData.PartitionData partition = data.topics().get(0).partitions().get(0);
            if (partition.errorCode() != Errors.NONE.code() || partition.leaderId() < 0) return Optional.empty();
            return Optional.of(new Quorum(partition.leaderId(), partition.leaderEpoch()));
        } catch (IOException e) {
            return Optional.empty(); // down, or restarting
        }
    }

    /** Records that {@code leaderId} leads {@code epoch}; fails at once if another leader was seen for that epoch. */
    private static void seen(int leaderId, int epoch, String source) {
        Integer previous = leadersSeen.putIfAbsent(epoch, leaderId);
        if (previous != null && previous != leaderId) {
            fail("two leaders of epoch " + epoch + ": " + previous + " and then " + leaderId + " (" + source + ")\n" + cluster.logTails(60));
        }
    }

    /**
     * Polls until every node of {@code observers} (each asked on its own port) lists exactly the
     * unfenced brokers {@code expected}; returns how long that took, in ms.
     */
    private static long awaitBrokersSeen(List<Integer> observers, Set<Integer> expected, Duration guard, String what) {
        long start = System.nanoTime();
        long deadline = start + guard.toNanos();
        Map<Integer, Set<Integer>> answers = new TreeMap<>();
        while (System.nanoTime() < deadline) {
            answers.clear();
            for (int id : observers) answers.put(id, brokersSeenBy(id).orElse(Set.of()));
            if (answers.values().stream().allMatch(expected::equals)) return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            sleep(50);
        }
        return fail("not " + what + " within the hang guard of " + guard + ": expected every one of nodes " + observers + " to list "
                + expected + ", they list " + answers + "\n" + cluster.logTails(40));
    }

    /** The unfenced brokers node {@code id} lists in its DescribeCluster answer, or empty if it does not answer. */
    private static Optional<Set<Integer>> brokersSeenBy(int id) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(id))) {
            DescribeClusterResponse response = connection.request(ApiKeys.DESCRIBE_CLUSTER, (short) 1, new DescribeClusterRequestData());
            if (response.data().errorCode() != Errors.NONE.code()) return Optional.empty();
            return Optional.of(response.data().brokers().stream().map(b -> b.brokerId()).collect(Collectors.toCollection(TreeSet::new)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Polls node {@code id}'s Metadata (its own port) until it has {@code topic} with {@code partitions} partitions. */
    private static void awaitTopicSeenBy(int id, String topic, int partitions) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try (RawKafkaConnection connection = RawKafkaConnection.open(cluster.bootstrap(id))) {
                MetadataResponse response = connection.request(ApiKeys.METADATA, (short) 12, new MetadataRequestData()
                        .setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(topic))).setAllowAutoTopicCreation(false));
                MetadataResponseData.MetadataResponseTopic answer = response.data().topics().find(topic);
                if (answer != null && answer.errorCode() == Errors.NONE.code() && answer.partitions().size() == partitions) return;
                last = answer == null ? "no topic entry" : Errors.forCode(answer.errorCode()) + ", " + answer.partitions().size() + " partitions";
            } catch (IOException e) {
                last = e.toString();
            }
            sleep(100);
        }
        fail("node " + id + " does not list topic " + topic + " with " + partitions + " partitions within " + PATIENCE + " (last: " + last
                + ")\n" + cluster.logTail(id, 40));
    }

    /** Creates the topic, retrying while the controller is still settling (a retriable error), up to the hang guard. */
    private static void createTopicRetrying(String bootstrap, NewTopic topic) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = KafkaClients.admin(bootstrap)) {
                admin.createTopics(List.of(topic)).all().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) return; // an earlier attempt got through
                if (!(e.getCause() instanceof RetriableException)) throw new AssertionError("creating " + topic + " on " + bootstrap, e);
                last = e.getCause();
            } catch (TimeoutException e) {
                last = e;
            }
            sleep(200);
        }
        throw new AssertionError("creating " + topic + " on " + bootstrap + " kept failing for " + PATIENCE, last);
    }

    /** The {@code Key: value} lines of {@code describe --status}. */
    private static Map<String, String> statusFields(String status) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^(\\w+):\\s+(.*)$").matcher(status);
        while (m.find()) fields.put(m.group(1), m.group(2).trim());
        assertThat(fields).as(status).containsKeys("ClusterId", "LeaderId", "LeaderEpoch", "HighWatermark", "CurrentVoters");
        return fields;
    }

    /** The ids in {@code CurrentVoters: [{"id": 1, ...}, ...]}, in order. */
    private static List<Integer> voterIds(String voters) {
        List<Integer> ids = new ArrayList<>();
        Matcher m = Pattern.compile("\"id\":\\s*(\\d+)").matcher(voters);
        while (m.find()) ids.add(Integer.parseInt(m.group(1)));
        return ids;
    }

    private static List<Integer> ids(java.util.Collection<Node> nodes) {
        return nodes.stream().map(Node::id).sorted().toList();
    }

    private static ExternalCommand.Result tool(String mainClass, String... args) {
        return ExternalCommand.kafkaTool(mainClass, args).dir(cluster.dir()).timeout(Duration.ofMinutes(3)).run();
    }

    /** The tool's stdout, after asserting it exited 0. */
    private static String ok(ExternalCommand.Result result) {
        assertThat(result.succeeded()).as(result.describe()).isTrue();
        return result.stdout();
    }

}
