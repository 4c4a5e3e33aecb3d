package io.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;

/**
 * Every version of every API the broker advertises, sent over a raw socket with realistic content
 * (topics, partitions, records), gets a well-formed answer without error. Catches responses that
 * a version cannot express (which would hang or drop clients that speak old versions).
 */
class EveryApiVersionTest {
    @TempDir
    static Path dataDir;
    static RunningBroker broker;
    static RawKafkaClient client;
    static Uuid topicId;
    static final String TOPIC = "every-version";

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dataDir);
        String[] hostPort = broker.bootstrapServers().split(":");
        client = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]));
        var created = (CreateTopicsResponseData) client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(),
                createTopic(TOPIC));
        topicId = created.topics().find(TOPIC).topicId();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        broker.close();
    }

    private static CreateTopicsRequestData createTopic(String name) {
        CreateTopicsRequestData request = new CreateTopicsRequestData().setTimeoutMs(10_000);
        request.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(1).setReplicationFactor((short) 1));
        return request;
    }

    private static List<Short> versions(ApiKeys key) {
        List<Short> versions = new java.util.ArrayList<>();
        for (short v = key.oldestVersion(); v <= key.latestVersion(); v++) versions.add(v);
        return versions;
    }

    @Test
    void apiVersionsAndDescribeCluster() throws Exception {
        for (short v : versions(ApiKeys.API_VERSIONS)) {
            var request = new ApiVersionsRequestData();
            if (v >= 3) request.setClientSoftwareName("raw-test").setClientSoftwareVersion("1.0");
            var response = (ApiVersionsResponseData) client.send(ApiKeys.API_VERSIONS, v, request);
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.apiKeys().find(ApiKeys.PRODUCE.id)).isNotNull();
            // As Kafka 4: Produce advertised from v0 though v0-v2 are refused, or librdkafka will not compress gzip/snappy/lz4.
            assertThat(response.apiKeys().find(ApiKeys.PRODUCE.id).minVersion()).isZero();
        }
        for (short v : versions(ApiKeys.DESCRIBE_LOG_DIRS)) {
            var response = (DescribeLogDirsResponseData) client.send(ApiKeys.DESCRIBE_LOG_DIRS, v, new DescribeLogDirsRequestData().setTopics(null));
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.results()).hasSize(1);
            assertThat(response.results().get(0).topics()).isNotEmpty();
        }
        for (short v : versions(ApiKeys.DESCRIBE_CLUSTER)) {
            var response = (DescribeClusterResponseData) client.send(ApiKeys.DESCRIBE_CLUSTER, v, new DescribeClusterRequestData());
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.brokers()).hasSize(1);
        }
    }

    @Test
    void metadataAndDescribeTopicPartitions() throws Exception {
        for (short v : versions(ApiKeys.METADATA)) {
            var request = new MetadataRequestData().setTopics(List.of(new MetadataRequestData.MetadataRequestTopic().setName(TOPIC)));
            var response = (MetadataResponseData) client.send(ApiKeys.METADATA, v, request);
            var topic = response.topics().find(TOPIC);
            assertThat(topic.errorCode()).as("v%d", v).isZero();
            assertThat(topic.partitions()).hasSize(1);
            assertThat(response.brokers()).hasSize(1);
        }
        for (short v : versions(ApiKeys.DESCRIBE_TOPIC_PARTITIONS)) {
            var request = new DescribeTopicPartitionsRequestData().setResponsePartitionLimit(10)
                    .setTopics(List.of(new DescribeTopicPartitionsRequestData.TopicRequest().setName(TOPIC)));
            var response = (DescribeTopicPartitionsResponseData) client.send(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, v, request);
            assertThat(response.topics().find(TOPIC).errorCode()).as("v%d", v).isZero();
        }
    }

    @Test
    void produceFetchListOffsetsAndOffsetForLeaderEpoch() throws Exception {
        for (short v : versions(ApiKeys.PRODUCE)) {
            var topicData = new ProduceRequestData.TopicProduceData().setPartitionData(List.of(new ProduceRequestData.PartitionProduceData()
                    .setIndex(0).setRecords(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(("v" + v).getBytes())))));
            if (v >= 13) topicData.setTopicId(topicId); else topicData.setName(TOPIC);
            var request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
            request.topicData().add(topicData);
            var response = (ProduceResponseData) client.send(ApiKeys.PRODUCE, v, request);
            var partition = response.responses().iterator().next().partitionResponses().get(0);
            assertThat(Errors.forCode(partition.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
        }
        for (short v : versions(ApiKeys.FETCH)) {
            var topic = new FetchRequestData.FetchTopic().setPartitions(List.of(new FetchRequestData.FetchPartition()
                    .setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20)));
            if (v >= 13) topic.setTopicId(topicId); else topic.setTopic(TOPIC);
            var request = new FetchRequestData().setMaxWaitMs(0).setMinBytes(1).setMaxBytes(1 << 20).setTopics(List.of(topic));
            var response = (FetchResponseData) client.send(ApiKeys.FETCH, v, request);
            var partition = response.responses().get(0).partitions().get(0);
            assertThat(Errors.forCode(partition.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(((MemoryRecords) partition.records()).sizeInBytes()).isPositive();
        }
        for (short v : versions(ApiKeys.LIST_OFFSETS)) {
            var request = new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(new ListOffsetsRequestData.ListOffsetsTopic()
                    .setName(TOPIC).setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1)))));
            var response = (ListOffsetsResponseData) client.send(ApiKeys.LIST_OFFSETS, v, request);
            var partition = response.topics().get(0).partitions().get(0);
            assertThat(Errors.forCode(partition.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(partition.offset()).isEqualTo(ApiKeys.PRODUCE.latestVersion() - ApiKeys.PRODUCE.oldestVersion() + 1);
        }
        for (short v : versions(ApiKeys.DELETE_RECORDS)) {
            var request = new DeleteRecordsRequestData().setTimeoutMs(10_000).setTopics(List.of(new DeleteRecordsRequestData.DeleteRecordsTopic()
                    .setName(TOPIC).setPartitions(List.of(new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(0)))));
            var response = (DeleteRecordsResponseData) client.send(ApiKeys.DELETE_RECORDS, v, request);
            var partition = response.topics().iterator().next().partitions().iterator().next();
            assertThat(Errors.forCode(partition.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(partition.lowWatermark()).isZero();
        }
        for (short v : versions(ApiKeys.OFFSET_FOR_LEADER_EPOCH)) {
            var topics = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
            topics.add(new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(TOPIC).setPartitions(List.of(
                    new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(0).setLeaderEpoch(0))));
            var request = new OffsetForLeaderEpochRequestData().setTopics(topics);
            if (v >= 3) request.setReplicaId(-1);
            var response = (OffsetForLeaderEpochResponseData) client.send(ApiKeys.OFFSET_FOR_LEADER_EPOCH, v, request);
            var partition = response.topics().iterator().next().partitions().get(0);
            assertThat(Errors.forCode(partition.errorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(partition.endOffset()).isPositive();
        }
    }

    @Test
    void topicAdministrationAndConfigs() throws Exception {
        for (short v : versions(ApiKeys.CREATE_TOPICS)) {
            String name = "created-v" + v;
            var response = (CreateTopicsResponseData) client.send(ApiKeys.CREATE_TOPICS, v, createTopic(name));
            assertThat(response.topics().find(name).errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.CREATE_PARTITIONS)) {
            String name = "created-v" + ApiKeys.CREATE_TOPICS.oldestVersion();
            var request = new CreatePartitionsRequestData().setTimeoutMs(10_000).setTopics(
                    new CreatePartitionsRequestData.CreatePartitionsTopicCollection(List.of(
                            new CreatePartitionsRequestData.CreatePartitionsTopic().setName(name).setCount(v + 2).setAssignments(null)).iterator()));
            var response = (CreatePartitionsResponseData) client.send(ApiKeys.CREATE_PARTITIONS, v, request);
            assertThat(response.results().get(0).errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.DESCRIBE_CONFIGS)) {
            var request = new DescribeConfigsRequestData().setResources(List.of(
                    new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(ConfigResource.Type.TOPIC.id()).setResourceName(TOPIC),
                    new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(ConfigResource.Type.BROKER.id()).setResourceName("1")));
            var response = (DescribeConfigsResponseData) client.send(ApiKeys.DESCRIBE_CONFIGS, v, request);
            assertThat(response.results()).allSatisfy(r -> assertThat(r.errorCode()).as("v%d", v).isZero());
            assertThat(response.results().get(0).configs()).isNotEmpty();
        }
        for (short v : versions(ApiKeys.INCREMENTAL_ALTER_CONFIGS)) {
            var resources = new IncrementalAlterConfigsRequestData.AlterConfigsResourceCollection();
            var configs = new IncrementalAlterConfigsRequestData.AlterableConfigCollection();
            configs.add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("" + (1000 + v)).setConfigOperation((byte) 0));
            resources.add(new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType(ConfigResource.Type.TOPIC.id())
                    .setResourceName(TOPIC).setConfigs(configs));
            var response = (IncrementalAlterConfigsResponseData) client.send(ApiKeys.INCREMENTAL_ALTER_CONFIGS, v,
                    new IncrementalAlterConfigsRequestData().setResources(resources));
            assertThat(response.responses().get(0).errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.ALTER_CONFIGS)) {
            var resources = new AlterConfigsRequestData.AlterConfigsResourceCollection();
            var configs = new AlterConfigsRequestData.AlterableConfigCollection();
            configs.add(new AlterConfigsRequestData.AlterableConfig().setName("retention.ms").setValue("" + (2000 + v)));
            resources.add(new AlterConfigsRequestData.AlterConfigsResource().setResourceType(ConfigResource.Type.TOPIC.id())
                    .setResourceName(TOPIC).setConfigs(configs));
            var response = (AlterConfigsResponseData) client.send(ApiKeys.ALTER_CONFIGS, v, new AlterConfigsRequestData().setResources(resources));
            assertThat(response.responses().get(0).errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.DELETE_TOPICS)) {
            String name = "to-delete-v" + v;
            client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), createTopic(name));
            var request = new DeleteTopicsRequestData().setTimeoutMs(10_000);
            if (v >= 6) request.setTopics(List.of(new DeleteTopicsRequestData.DeleteTopicState().setName(name)));
            else request.setTopicNames(List.of(name));
            var response = (DeleteTopicsResponseData) client.send(ApiKeys.DELETE_TOPICS, v, request);
            assertThat(response.responses().iterator().next().errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.INIT_PRODUCER_ID)) {
            var response = (InitProducerIdResponseData) client.send(ApiKeys.INIT_PRODUCER_ID, v, new InitProducerIdRequestData()
                    .setTransactionalId(null).setTransactionTimeoutMs(60_000));
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.producerId()).isNotNegative();
        }
    }

    @Test
    void writeTxnMarkersAndDescribeProducers() throws Exception {
        long producerId = 77_000L;
        for (short v : versions(ApiKeys.WRITE_TXN_MARKERS)) {
            var marker = new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(producerId)
                    .setProducerEpoch((short) 0).setTransactionResult(false).setCoordinatorEpoch(0);
            marker.topics().add(new org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(TOPIC)
                    .setPartitionIndexes(List.of(0)));
            var response = (org.apache.kafka.common.message.WriteTxnMarkersResponseData) client.send(ApiKeys.WRITE_TXN_MARKERS, v,
                    new org.apache.kafka.common.message.WriteTxnMarkersRequestData().setMarkers(List.of(marker)));
            assertThat(response.markers().get(0).topics().get(0).partitions().get(0).errorCode()).as("v%d", v).isZero();
        }
        for (short v : versions(ApiKeys.DESCRIBE_PRODUCERS)) {
            var request = new org.apache.kafka.common.message.DescribeProducersRequestData();
            request.topics().add(new org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest().setName(TOPIC)
                    .setPartitionIndexes(List.of(0)));
            var response = (org.apache.kafka.common.message.DescribeProducersResponseData) client.send(ApiKeys.DESCRIBE_PRODUCERS, v, request);
            var partition = response.topics().get(0).partitions().get(0);
            assertThat(partition.errorCode()).as("v%d", v).isZero();
            assertThat(partition.activeProducers()).as("the marker's producer is known").anyMatch(p -> p.producerId() == producerId);
        }
    }

    @Test
    void userScramCredentials() throws Exception {
        for (short v : versions(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS)) {
            var request = new AlterUserScramCredentialsRequestData();
            request.upsertions().add(new AlterUserScramCredentialsRequestData.ScramCredentialUpsertion().setName("user-v" + v)
                    .setMechanism((byte) 2).setIterations(4096).setSalt(new byte[]{1}).setSaltedPassword(new byte[]{2}));
            var response = (AlterUserScramCredentialsResponseData) client.send(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, v, request);
            assertThat(response.results()).singleElement().satisfies(r -> assertThat(r.errorCode()).as("v%d", v).isZero());
        }
        for (short v : versions(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS)) {
            var request = new DescribeUserScramCredentialsRequestData().setUsers(List.of(
                    new DescribeUserScramCredentialsRequestData.UserName().setName("user-v0")));
            var response = (DescribeUserScramCredentialsResponseData) client.send(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, v, request);
            assertThat(response.errorCode()).as("v%d", v).isZero();
            assertThat(response.results()).singleElement().satisfies(r -> {
                assertThat(r.errorCode()).as("v%d", v).isZero();
                assertThat(r.credentialInfos()).singleElement().satisfies(i -> assertThat(i.iterations()).isEqualTo(4096));
            });
        }
    }
}
