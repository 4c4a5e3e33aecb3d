package io.runnel.broker.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * ElectLeaders (what {@code kafka-leader-election} and Admin.electLeaders send): a preferred
 * election gives partitions back to their first replica; an unclean one gives leaderless
 * partitions any live replica. Served by the active controller. Stateless.
 */
public final class ElectLeadersHandler implements ApiHandler {
    private final MetadataController controller;

    public ElectLeadersHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ElectLeadersRequestData data = (ElectLeadersRequestData) request;
        boolean unclean = context.apiVersion() >= 1 && data.electionType() == ElectionType.UNCLEAN.value;
        Map<String, List<Integer>> partitions = null;
        if (data.topicPartitions() != null) {
            partitions = new LinkedHashMap<>();
            for (ElectLeadersRequestData.TopicPartitions t : data.topicPartitions()) partitions.put(t.topic(), t.partitions());
        }
        return controller.electLeaders(unclean, partitions).handle((results, error) -> {
            ElectLeadersResponseData response = new ElectLeadersResponseData();
            if (error != null) return response.setErrorCode(ControllerErrors.of(error).code());
            Map<String, ReplicaElectionResult> topics = new LinkedHashMap<>();
            for (MetadataController.PartitionResult r : results) {
                topics.computeIfAbsent(r.topic(), name -> {
                    ReplicaElectionResult t = new ReplicaElectionResult().setTopic(name);
                    response.replicaElectionResults().add(t);
                    return t;
                }).partitionResult().add(new ElectLeadersResponseData.PartitionResult().setPartitionId(r.partition())
                        .setErrorCode(r.error().code()).setErrorMessage(r.error() == Errors.NONE ? null : r.message()));
            }
            return response;
        });
    }
}
