package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * The classic rebalance rules, one scenario each, over raw sockets: session expiry, the rebalance
 * timeout, the initial rebalance delay and {@code group.max.size}. No test asserts on durations;
 * waits poll for an outcome with a generous deadline.
 */
class RebalanceTest {
    static final String TOPIC = "rebalance-topic";
    @TempDir
    Path dataDir;

    private static void createTopic(RawKafkaClient client) throws Exception {
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
        client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
        findCoordinator(client, "any");
    }

    private static Joined joinWith(RawKafkaClient client, String group, String memberId, int sessionMs, int rebalanceMs) throws Exception {
        JoinGroupRequestData request = joinRequest(group, memberId, null, "consumer", subscription(TOPIC))
                .setSessionTimeoutMs(sessionMs).setRebalanceTimeoutMs(rebalanceMs);
        var first = join(client, request);
        if (first.errorCode() != Errors.MEMBER_ID_REQUIRED.code()) return new Joined(first);
        return new Joined(join(client, request.setMemberId(first.memberId())));
    }

    private static String state(RawKafkaClient client, String group) throws Exception {
        var described = (DescribeGroupsResponseData) client.send(ApiKeys.DESCRIBE_GROUPS, ApiKeys.DESCRIBE_GROUPS.latestVersion(),
                new DescribeGroupsRequestData().setGroups(List.of(group)));
        return described.groups().get(0).groupState();
    }

    private static <T> CompletableFuture<T> async(ThrowingSupplier<T> s) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return s.get();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, r -> new Thread(r, "raw-client").start()); // its own thread: the common pool may have one
    }

    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

    @Test
    void aMemberThatStopsHeartbeatingIsRemovedWhenItsSessionTimesOut() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir); RawKafkaClient client = new RawKafkaClient(broker.host(), broker.port())) {
            createTopic(client);
            Joined member = joinWith(client, "silent", "", 500, 1_000);
            assertThat(sync(client, "silent", member, null, assignment(new TopicPartition(TOPIC, 0))).errorCode()).isZero();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!state(client, "silent").equals("Empty") && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(state(client, "silent")).isEqualTo("Empty");
            assertThat(heartbeat(client, "silent", member.generation(), member.memberId(), null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        }
    }

    @Test
    void aMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsDroppedFromTheNextGeneration() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir);
             RawKafkaClient a = new RawKafkaClient(broker.host(), broker.port());
             RawKafkaClient b = new RawKafkaClient(broker.host(), broker.port())) {
            createTopic(a);
            Joined first = joinWith(a, "slow", "", 30_000, 500);
            assertThat(sync(a, "slow", first, null, assignment(new TopicPartition(TOPIC, 0))).errorCode()).isZero();
            // B joins; A keeps its session alive but never rejoins.
            CompletableFuture<Joined> second = async(() -> joinWith(b, "slow", "", 30_000, 500));
            while (!second.isDone()) {
                Errors e = heartbeat(a, "slow", first.generation(), first.memberId(), null);
                assertThat(e).isIn(Errors.NONE, Errors.REBALANCE_IN_PROGRESS, Errors.UNKNOWN_MEMBER_ID);
                Thread.sleep(20);
            }
            Joined joined = second.join();
            assertThat(joined.generation()).isEqualTo(first.generation() + 1);
            assertThat(joined.isLeader()).isTrue();
            assertThat(joined.response().members()).extracting(m -> m.memberId()).containsExactly(joined.memberId());
            assertThat(heartbeat(a, "slow", first.generation(), first.memberId(), null)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        }
    }

    @Test
    void membersArrivingDuringTheInitialRebalanceDelayShareTheFirstGeneration() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, Map.of("group.initial.rebalance.delay.ms", "1000"));
             RawKafkaClient a = new RawKafkaClient(broker.host(), broker.port());
             RawKafkaClient b = new RawKafkaClient(broker.host(), broker.port())) {
            createTopic(a);
            CompletableFuture<Joined> first = async(() -> joinWith(a, "delayed", "", 30_000, 10_000));
            CompletableFuture<Joined> second = async(() -> joinWith(b, "delayed", "", 30_000, 10_000));
            Joined ja = first.join();
            Joined jb = second.join();
            assertThat(ja.generation()).isEqualTo(jb.generation()).isEqualTo(1);
            Joined leader = ja.isLeader() ? ja : jb;
            assertThat(leader.response().members()).hasSize(2);
        }
    }

    @Test
    void theMemberBeyondGroupMaxSizeIsRefused() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, Map.of("group.max.size", "1"));
             RawKafkaClient client = new RawKafkaClient(broker.host(), broker.port())) {
            createTopic(client);
            Joined first = joinWith(client, "small", "", 30_000, 1_000);
            assertThat(sync(client, "small", first, null, assignment(new TopicPartition(TOPIC, 0))).errorCode()).isZero();
            var refused = join(client, joinRequest("small", "", null, "consumer", subscription(TOPIC)));
            assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED);
            assertThat(heartbeat(client, "small", first.generation(), first.memberId(), null)).isEqualTo(Errors.NONE);
        }
    }
}
