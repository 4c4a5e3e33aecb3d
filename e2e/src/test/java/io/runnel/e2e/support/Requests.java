package io.runnel.e2e.support;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.ListOffsetsRequest;

/**
 * Valid request bodies, built with kafka-clients' generated message classes, at versions every
 * Kafka 4.x broker accepts and that still name topics (Produce and Fetch switch to topic ids at
 * v13). The raw-socket suites send these as they are, or break them.
 */
public final class Requests {
    public static final short API_VERSIONS_V = 3;
    public static final short METADATA_V = 12;
    public static final short CREATE_TOPICS_V = 7;
    public static final short PRODUCE_V = 11;
    public static final short FETCH_V = 12;
    public static final short LIST_OFFSETS_V = 8;

    private Requests() {}

    public static ApiVersionsRequestData apiVersions() {
        return new ApiVersionsRequestData().setClientSoftwareName("runnel-e2e").setClientSoftwareVersion("1.0");
    }

    public static MetadataRequestData metadata(String... topics) {
        MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false);
        for (String topic : topics) data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        return data;
    }

    public static CreateTopicsRequestData createTopics(String topic, int partitions) {
        CreateTopicsRequestData data = new CreateTopicsRequestData().setTimeoutMs(30_000);
        data.topics().add(new CreateTopicsRequestData.CreatableTopic()
                .setName(topic).setNumPartitions(partitions).setReplicationFactor((short) 1));
        return data;
    }

    /** A v2 batch of {@code count} records "key-i" -> "value-i" (offsets from 0, as a client sends). */
    public static MemoryRecords records(int count) {
        return records(RecordBatch.MAGIC_VALUE_V2, count);
    }

    public static MemoryRecords records(byte magic, int count) {
        SimpleRecord[] records = new SimpleRecord[count];
        long now = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            records[i] = new SimpleRecord(now, ("key-" + i).getBytes(StandardCharsets.UTF_8),
                    ("value-" + i).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(magic, Compression.NONE, records);
    }

    public static ProduceRequestData produce(String topic, int partition, short acks, ByteBuffer records) {
        return produce(topic, partition, acks, MemoryRecords.readableRecords(records.duplicate()));
    }

    public static ProduceRequestData produce(String topic, int partition, short acks, MemoryRecords records) {
        ProduceRequestData.TopicProduceDataCollection topics = new ProduceRequestData.TopicProduceDataCollection();
        topics.add(new ProduceRequestData.TopicProduceData()
                .setName(topic)
                .setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                        .setIndex(partition)
                        .setRecords(records))));
        return new ProduceRequestData().setAcks(acks).setTimeoutMs(30_000).setTopicData(topics);
    }

    public static FetchRequestData fetch(String topic, int partition, long offset) {
        return new FetchRequestData()
                .setReplicaId(-1)
                .setMaxWaitMs(100)
                .setMinBytes(1)
                .setMaxBytes(1 << 20)
                .setIsolationLevel((byte) 0)
                .setSessionId(0)
                .setSessionEpoch(-1)
                .setTopics(List.of(new FetchRequestData.FetchTopic()
                        .setTopic(topic)
                        .setPartitions(List.of(new FetchRequestData.FetchPartition()
                                .setPartition(partition)
                                .setFetchOffset(offset)
                                .setLogStartOffset(-1)
                                .setPartitionMaxBytes(1 << 20)))));
    }

    public static ListOffsetsRequestData listOffsets(String topic, int partition, long timestamp) {
        return new ListOffsetsRequestData()
                .setReplicaId(-1)
                .setIsolationLevel((byte) 0)
                .setTopics(List.of(new ListOffsetsRequestData.ListOffsetsTopic()
                        .setName(topic)
                        .setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition()
                                .setPartitionIndex(partition)
                                .setTimestamp(timestamp)))));
    }

    public static ListOffsetsRequestData latestOffset(String topic, int partition) {
        return listOffsets(topic, partition, ListOffsetsRequest.LATEST_TIMESTAMP);
    }
}
