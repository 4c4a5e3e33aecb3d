package io.runnel.broker.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * The embedded broker's metadata quorum as Kafka's Admin client (and so {@code kafka-metadata-quorum
 * describe}) sees it: one voter that leads, its log end offset moving with every metadata write,
 * and a leader epoch that grows across restarts (each start is a new election).
 */
class DescribeMetadataQuorumTest {
    @TempDir
    Path dataDir;

    @Test
    void theEmbeddedBrokerIsAQuorumOfOneThatLeadsAndReportsItsOffsets() throws Exception {
        long firstEpoch;
        try (RunningBroker broker = new RunningBroker(dataDir);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            QuorumInfo before = admin.describeMetadataQuorum().quorumInfo().get();
            assertThat(before.leaderId()).isEqualTo(1);
            assertThat(before.voters()).extracting(QuorumInfo.ReplicaState::replicaId).containsExactly(1);
            assertThat(before.observers()).isEmpty();
            admin.createTopics(java.util.List.of(new NewTopic("described", 3, (short) 1))).all().get();
            QuorumInfo after = admin.describeMetadataQuorum().quorumInfo().get();
            assertThat(after.highWatermark()).isGreaterThan(before.highWatermark());
            assertThat(after.voters().get(0).logEndOffset()).isEqualTo(after.highWatermark());
            firstEpoch = after.leaderEpoch();
        }
        try (RunningBroker broker = new RunningBroker(dataDir);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            QuorumInfo restarted = admin.describeMetadataQuorum().quorumInfo().get();
            assertThat(restarted.leaderEpoch()).isGreaterThan(firstEpoch);
            assertThat(admin.listTopics().names().get()).contains("described");
        }
    }
}
