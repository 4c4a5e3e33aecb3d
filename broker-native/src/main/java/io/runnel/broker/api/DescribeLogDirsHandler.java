package io.runnel.broker.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * DescribeLogDirs: each log dir with the partitions it holds, their sizes, and the dir's total and
 * usable bytes (what {@code kafka-log-dirs} and disk-aware tooling read). Sizes are the ones each
 * partition's thread last published; the file-store query is one cheap statfs per dir.
 */
public final class DescribeLogDirsHandler implements ApiHandler {
    private final BrokerConfig config;
    private final ReplicaManager replicas;

    public DescribeLogDirsHandler(BrokerConfig config, ReplicaManager replicas) {
        this.config = config;
        this.replicas = replicas;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeLogDirsRequestData data = (DescribeLogDirsRequestData) request;
        Map<Path, Map<String, List<Partition>>> byDir = new LinkedHashMap<>();
        for (Path dir : config.logDirs()) byDir.put(dir.toAbsolutePath(), new LinkedHashMap<>());
        for (Partition p : replicas.partitions()) {
            if (!wanted(data, p.topicPartition())) continue;
            byDir.computeIfAbsent(p.logDir(), d -> new LinkedHashMap<>())
                    .computeIfAbsent(p.topicPartition().topic(), t -> new ArrayList<>()).add(p);
        }
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData().setErrorCode(Errors.NONE.code());
        byDir.forEach((dir, topics) -> {
            DescribeLogDirsResult result = new DescribeLogDirsResult().setLogDir(dir.toString()).setErrorCode(Errors.NONE.code());
            topics.forEach((topic, partitions) -> result.topics().add(new DescribeLogDirsTopic().setName(topic).setPartitions(
                    partitions.stream().map(p -> new DescribeLogDirsPartition().setPartitionIndex(p.topicPartition().partition())
                            .setPartitionSize(p.sizeInBytes()).setOffsetLag(0).setIsFutureKey(false)).toList())));
            try {
                FileStore store = Files.getFileStore(dir);
                result.setTotalBytes(store.getTotalSpace()).setUsableBytes(store.getUsableSpace());
            } catch (IOException e) {
                result.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code()).setTotalBytes(-1).setUsableBytes(-1);
            }
            response.results().add(result);
        });
        return CompletableFuture.completedFuture(response);
    }

    private static boolean wanted(DescribeLogDirsRequestData data, TopicPartition tp) {
        if (data.topics() == null) return true; // null: every partition
        var topic = data.topics().find(tp.topic());
        return topic != null && topic.partitions().contains(tp.partition());
    }
}
