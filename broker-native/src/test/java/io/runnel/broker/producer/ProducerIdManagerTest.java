package io.runnel.broker.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.metadata.QuorumMetadataLog;
import io.runnel.broker.metadata.MetadataController;

/** Producer ids from blocks in the real metadata log: unique under concurrency, across blocks and restarts. */
class ProducerIdManagerTest {
    @TempDir
    Path dir;

    private MetadataController controller() {
        MetadataController c = new MetadataController(BrokerConfig.from(Map.of()), "c", QuorumMetadataLog.singleNode(1, "c", dir, BrokerConfig.QUORUM_DEFAULTS, Time.SYSTEM));
        c.start().join();
        return c;
    }

    @Test
    void concurrentCallersAcrossSeveralBlocksGetDistinctIds() throws Exception {
        int calls = MetadataController.PRODUCER_ID_BLOCK_SIZE * 3 + 17;
        Set<Long> ids = new HashSet<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (MetadataController c = controller()) {
            ProducerIdManager manager = new ProducerIdManager(c);
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < calls; i++) futures.add(CompletableFuture.supplyAsync(manager::nextProducerId, pool).thenCompose(f -> f));
            for (CompletableFuture<Long> f : futures) ids.add(f.get());
        } finally {
            pool.shutdown();
        }
        assertThat(ids).hasSize(calls);
        assertThat(ids).allSatisfy(id -> assertThat(id).isNotNegative());
    }

    @Test
    void idsAfterARestartAreNewerThanAnyHandedOutBefore() throws Exception {
        long before;
        try (MetadataController c = controller()) {
            before = new ProducerIdManager(c).nextProducerId().get();
        }
        try (MetadataController c = controller()) {
            assertThat(new ProducerIdManager(c).nextProducerId().get()).isGreaterThanOrEqualTo(before + MetadataController.PRODUCER_ID_BLOCK_SIZE);
        }
    }
}
