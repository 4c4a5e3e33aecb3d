package io.runnel.broker.group;

import static io.runnel.broker.group.RawGroups.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Thousands of groups, each with a member that joined, synced, committed and heartbeats, are
 * served side by side: every step of every group answers without error, and ListGroups sees
 * them all Stable; a KIP-848 group of a thousand members settles. (Throughput is for benchmarks;
 * this proves nothing stalls, leaks or floods the log.)
 */
class ManyGroupsTest {
    static final String TOPIC = "many-groups-topic";
    static final int GROUPS = 2_000;
    static final int CLIENTS = 8;
    @TempDir
    Path dataDir;

    @Test
    void twoThousandGroupsWithAMemberEachDoNotStallTheCoordinator() throws Exception {
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, java.util.Map.of("offsets.topic.num.partitions", "8"));
             RawKafkaClient admin = new RawKafkaClient(broker.host(), broker.port())) {
            CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
            create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(1).setReplicationFactor((short) 1));
            admin.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
            findCoordinator(admin, "any");

            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<CompletableFuture<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < CLIENTS; w++) {
                int worker = w;
                workers.add(CompletableFuture.supplyAsync(() -> {
                    try (RawKafkaClient client = new RawKafkaClient(broker.host(), broker.port())) {
                        int ok = 0;
                        for (int g = worker; g < GROUPS; g += CLIENTS) {
                            String group = "many-" + g;
                            Joined joined = joinNew(client, group, null, TOPIC);
                            if (joined.response().errorCode() != 0) continue;
                            if (sync(client, group, joined, null, assignment(new TopicPartition(TOPIC, 0))).errorCode() != 0) continue;
                            if (commit(client, group, joined.generation(), joined.memberId(), TOPIC, 0, g) != Errors.NONE) continue;
                            if (heartbeat(client, group, joined.generation(), joined.memberId(), null) != Errors.NONE) continue;
                            ok++;
                        }
                        return ok;
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, pool));
            }
            int ok = workers.stream().mapToInt(CompletableFuture::join).sum();
            pool.shutdown();
            assertThat(ok).isEqualTo(GROUPS);

            var listed = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, ApiKeys.LIST_GROUPS.latestVersion(),
                    new ListGroupsRequestData().setStatesFilter(List.of("Stable")));
            assertThat(listed.errorCode()).isZero();
            assertThat(listed.groups()).filteredOn(g -> g.groupId().startsWith("many-")).hasSize(GROUPS);
        }
    }
    @Test
    void aConsumerProtocolGroupOfAThousandMembersSettlesWithEveryPartitionOwnedOnceAndNoRecordStormInTheLog() throws Exception {
        int members = 1_000;
        int partitions = 64;
        String group = "kip848-big";
        try (GroupTestBroker broker = new GroupTestBroker(dataDir, java.util.Map.of("offsets.topic.num.partitions", "2"));
             RawKafkaClient client = new RawKafkaClient(broker.host(), broker.port())) {
            CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
            create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(partitions).setReplicationFactor((short) 1));
            client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
            findCoordinator(client, "any");
            org.apache.kafka.common.Uuid topicId = broker.controller().image().topic(TOPIC).id();

            java.util.Map<String, Integer> epochs = new java.util.LinkedHashMap<>();
            java.util.Map<String, List<Integer>> owned = new java.util.HashMap<>();
            for (int m = 0; m < members; m++) {
                String id = "member-" + m;
                var r = consumerHeartbeat(client, new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(id).setMemberEpoch(0)
                        .setRebalanceTimeoutMs(60_000).setSubscribedTopicNames(List.of(TOPIC)).setTopicPartitions(List.of()));
                assertThat(r.errorCode()).as("join of %s", id).isZero();
                epochs.put(id, r.memberEpoch());
                owned.put(id, partitionsOf(r, List.of()));
            }
            // Every member heartbeats, reporting what it owns, until the group is Stable.
            long deadline = System.nanoTime() + 120_000_000_000L;
            String state = "";
            while (!state.equals("Stable") && System.nanoTime() < deadline) {
                Thread.sleep(1_100); // past group.consumer.assignment.interval.ms, so a new target is due
                for (String id : epochs.keySet()) {
                    var r = consumerHeartbeat(client, new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(id).setMemberEpoch(epochs.get(id))
                            .setTopicPartitions(List.of(new ConsumerGroupHeartbeatRequestData.TopicPartitions().setTopicId(topicId).setPartitions(owned.get(id)))));
                    assertThat(r.errorCode()).as("heartbeat of %s", id).isZero();
                    epochs.put(id, r.memberEpoch());
                    owned.put(id, partitionsOf(r, owned.get(id)));
                }
                state = describe(client, group).groupState();
            }
            assertThat(state).isEqualTo("Stable");
            List<Integer> all = new ArrayList<>();
            owned.values().forEach(all::addAll);
            assertThat(all).as("every partition owned exactly once").hasSize(partitions).doesNotHaveDuplicates();
            assertThat(describe(client, group).members()).hasSize(members);

            // A target per join would be ~members^2/2 records; batching keeps the log near a few records per member.
            var offsetsPartition = new TopicPartition(GroupConfig.OFFSETS_TOPIC, broker.groups().partitionFor(group));
            long records = broker.running().broker().replicaManager().partition(offsetsPartition).logEndOffset();
            assertThat(records).isLessThan(20L * members);
        }
    }

    static org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData consumerHeartbeat(RawKafkaClient client,
                                                                                      ConsumerGroupHeartbeatRequestData request) throws Exception {
        return (org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData) client.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT,
                ApiKeys.CONSUMER_GROUP_HEARTBEAT.latestVersion(), request);
    }

    /** The partitions a response assigns, or the ones owned before when it carries no assignment. */
    static List<Integer> partitionsOf(org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData r, List<Integer> before) {
        if (r.assignment() == null) return before;
        List<Integer> out = new ArrayList<>();
        r.assignment().topicPartitions().forEach(t -> out.addAll(t.partitions()));
        return out;
    }

    static org.apache.kafka.common.message.ConsumerGroupDescribeResponseData.DescribedGroup describe(RawKafkaClient client, String group) throws Exception {
        var response = (org.apache.kafka.common.message.ConsumerGroupDescribeResponseData) client.send(ApiKeys.CONSUMER_GROUP_DESCRIBE,
                ApiKeys.CONSUMER_GROUP_DESCRIBE.latestVersion(),
                new org.apache.kafka.common.message.ConsumerGroupDescribeRequestData().setGroupIds(List.of(group)));
        return response.groups().get(0);
    }
}
