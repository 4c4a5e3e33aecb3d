package io.runnel.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.log.LogManager;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.ReplicaManager;

/**
 * Which replica a request reaches right after the metadata changes: the image decides, even while
 * the replica's I/O thread has not yet taken the role the image gives it (a topic created a moment
 * ago, or a leader elected, must not answer NOT_LEADER_OR_FOLLOWER to the next produce).
 */
class PartitionLookupTest {
    private static final int NODE_ID = 1;
    private static final String TOPIC = "orders";

    @TempDir
    Path dataDir;
    private IoThreadPool ioThreads;
    private ReplicaManager replicas;
    private final CountDownLatch ioThreadHeld = new CountDownLatch(1);

    @BeforeEach
    void startReplicaManager() throws Exception {
        BrokerConfig config = BrokerConfig.from(Map.of("node.id", Integer.toString(NODE_ID), "log.dirs", dataDir.toString()));
        Files.createDirectories(dataDir);
        ioThreads = new IoThreadPool(1);
        replicas = new ReplicaManager(config, new LogManager(List.of(dataDir), Time.SYSTEM), ioThreads, new FetchPurgatory(),
                new BrokerMetrics(new SimpleMeterRegistry()), Time.SYSTEM);
        // The partition's I/O thread is busy (recovering, flushing): roles it is given wait in its queue.
        ioThreads.executorFor(new TopicPartition(TOPIC, 0)).execute(() -> {
            try {
                ioThreadHeld.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @AfterEach
    void stop() {
        ioThreadHeld.countDown();
        replicas.close();
        ioThreads.close();
    }

    @Test
    void aPartitionTheImageJustMadeLocalLeaderIsServedBeforeItsThreadAppliedTheRole() {
        MetadataImage image = publishTopicLedBy(NODE_ID);

        PartitionLookup.Resolved resolved = PartitionLookup.resolve(image, replicas, TOPIC, null, 0);

        assertThat(resolved.error()).isEqualTo(Errors.NONE);
        assertThat(resolved.partition().isLeader()).as("the replica's own view, not yet applied").isFalse();
    }

    @Test
    void aPartitionTheImageGivesAnotherLeaderIsNotLeaderOrFollower() {
        MetadataImage image = publishTopicLedBy(2);

        assertThat(PartitionLookup.resolve(image, replicas, TOPIC, null, 0).error()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aTopicTheImageDoesNotKnowIsUnknown() {
        MetadataImage image = publishTopicLedBy(NODE_ID);

        assertThat(PartitionLookup.resolve(image, replicas, "other", null, 0).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(PartitionLookup.resolve(image, replicas, TOPIC, null, 1).error()).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    private MetadataImage publishTopicLedBy(int leaderId) {
        Uuid topicId = Uuid.randomUuid();
        MetadataImage empty = MetadataImage.empty("test-cluster");
        MetadataImage image = empty.apply(List.of(
                new ApiMessageAndVersion(new TopicRecord().setName(TOPIC).setTopicId(topicId), (short) 0),
                new ApiMessageAndVersion(new PartitionRecord().setTopicId(topicId).setPartitionId(0)
                        .setReplicas(List.of(NODE_ID, 2)).setIsr(List.of(NODE_ID, 2)).setLeader(leaderId)
                        .setLeaderEpoch(0).setPartitionEpoch(0), (short) 0)), 1);
        replicas.onImage(empty, image);
        return image;
    }
}
