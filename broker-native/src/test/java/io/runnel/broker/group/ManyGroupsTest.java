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
 * them all Stable. (Throughput is for benchmarks; this proves nothing stalls or leaks.)
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
}
