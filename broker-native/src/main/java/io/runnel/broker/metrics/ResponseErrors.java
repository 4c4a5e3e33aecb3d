package io.runnel.broker.metrics;

import java.util.Map;

import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.*;

/**
 * The error codes a response carries, counted the way Kafka's own {@code RequestMetrics} counts
 * them ({@code AbstractResponse.errorCounts()}: top-level code plus one per topic, partition or
 * group entry). Pure: no state, any thread.
 */
final class ResponseErrors {
    private ResponseErrors() {}

    /** Error code counts of {@code response} (an API's response data), {@link Errors#NONE} included; empty for APIs not listed. */
    static Map<Errors, Integer> count(ApiKeys api, short version, ApiMessage response) {
        return switch (api) {
            case PRODUCE -> new ProduceResponse((ProduceResponseData) response).errorCounts();
            case FETCH -> fetchErrors((FetchResponseData) response);
            case LIST_OFFSETS -> new ListOffsetsResponse((ListOffsetsResponseData) response).errorCounts();
            case METADATA -> new MetadataResponse((MetadataResponseData) response, version).errorCounts();
            case OFFSET_COMMIT -> new OffsetCommitResponse((OffsetCommitResponseData) response).errorCounts();
            case OFFSET_FETCH -> new OffsetFetchResponse((OffsetFetchResponseData) response, version).errorCounts();
            case FIND_COORDINATOR -> new FindCoordinatorResponse((FindCoordinatorResponseData) response).errorCounts();
            case JOIN_GROUP -> new JoinGroupResponse((JoinGroupResponseData) response, version).errorCounts();
            case HEARTBEAT -> new HeartbeatResponse((HeartbeatResponseData) response).errorCounts();
            case LEAVE_GROUP -> new LeaveGroupResponse((LeaveGroupResponseData) response).errorCounts();
            case SYNC_GROUP -> new SyncGroupResponse((SyncGroupResponseData) response).errorCounts();
            case DESCRIBE_GROUPS -> new DescribeGroupsResponse((DescribeGroupsResponseData) response).errorCounts();
            case LIST_GROUPS -> new ListGroupsResponse((ListGroupsResponseData) response).errorCounts();
            case API_VERSIONS -> new ApiVersionsResponse((ApiVersionsResponseData) response).errorCounts();
            case CREATE_TOPICS -> new CreateTopicsResponse((CreateTopicsResponseData) response).errorCounts();
            case DELETE_TOPICS -> new DeleteTopicsResponse((DeleteTopicsResponseData) response).errorCounts();
            case DELETE_RECORDS -> new DeleteRecordsResponse((DeleteRecordsResponseData) response).errorCounts();
            case INIT_PRODUCER_ID -> new InitProducerIdResponse((InitProducerIdResponseData) response).errorCounts();
            case OFFSET_FOR_LEADER_EPOCH -> new OffsetsForLeaderEpochResponse((OffsetForLeaderEpochResponseData) response).errorCounts();
            case DESCRIBE_CONFIGS -> new DescribeConfigsResponse((DescribeConfigsResponseData) response).errorCounts();
            case ALTER_CONFIGS -> new AlterConfigsResponse((AlterConfigsResponseData) response).errorCounts();
            case DESCRIBE_LOG_DIRS -> new DescribeLogDirsResponse((DescribeLogDirsResponseData) response).errorCounts();
            case CREATE_PARTITIONS -> new CreatePartitionsResponse((CreatePartitionsResponseData) response).errorCounts();
            case DELETE_GROUPS -> new DeleteGroupsResponse((DeleteGroupsResponseData) response).errorCounts();
            case INCREMENTAL_ALTER_CONFIGS -> new IncrementalAlterConfigsResponse((IncrementalAlterConfigsResponseData) response).errorCounts();
            case OFFSET_DELETE -> new OffsetDeleteResponse((OffsetDeleteResponseData) response).errorCounts();
            case DESCRIBE_CLUSTER -> new DescribeClusterResponse((DescribeClusterResponseData) response).errorCounts();
            case CONSUMER_GROUP_HEARTBEAT -> new ConsumerGroupHeartbeatResponse((ConsumerGroupHeartbeatResponseData) response).errorCounts();
            case CONSUMER_GROUP_DESCRIBE -> new ConsumerGroupDescribeResponse((ConsumerGroupDescribeResponseData) response).errorCounts();
            case DESCRIBE_TOPIC_PARTITIONS -> new DescribeTopicPartitionsResponse((DescribeTopicPartitionsResponseData) response).errorCounts();
            case ALTER_USER_SCRAM_CREDENTIALS -> new AlterUserScramCredentialsResponse((AlterUserScramCredentialsResponseData) response).errorCounts();
            case DESCRIBE_USER_SCRAM_CREDENTIALS -> new DescribeUserScramCredentialsResponse((DescribeUserScramCredentialsResponseData) response).errorCounts();
            default -> Map.of();
        };
    }

    /** As {@code FetchResponse.errorCounts()}, whose constructor from data is not public. */
    private static Map<Errors, Integer> fetchErrors(FetchResponseData data) {
        Map<Errors, Integer> counts = new java.util.EnumMap<>(Errors.class);
        counts.merge(Errors.forCode(data.errorCode()), 1, Integer::sum);
        for (FetchResponseData.FetchableTopicResponse topic : data.responses()) {
            for (FetchResponseData.PartitionData p : topic.partitions()) counts.merge(Errors.forCode(p.errorCode()), 1, Integer::sum);
        }
        return counts;
    }
}
