package io.runnel.broker.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * ListPartitionReassignments (what {@code kafka-reassign-partitions --verify/--list} sends): the
 * partitions being moved, with their replicas and those being added and removed. Served by the
 * active controller. Stateless.
 */
public final class ListPartitionReassignmentsHandler implements ApiHandler {
    private final MetadataController controller;

    public ListPartitionReassignmentsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ListPartitionReassignmentsRequestData data = (ListPartitionReassignmentsRequestData) request;
        Map<String, List<Integer>> wanted = null;
        if (data.topics() != null) {
            wanted = new LinkedHashMap<>();
            for (var t : data.topics()) wanted.put(t.name(), t.partitionIndexes());
        }
        return controller.listPartitionReassignments(wanted).handle((moving, error) -> {
            ListPartitionReassignmentsResponseData response = new ListPartitionReassignmentsResponseData();
            if (error != null) {
                Errors code = ControllerErrors.of(error);
                return response.setErrorCode(code.code()).setErrorMessage(code.message());
            }
            moving.forEach((topic, partitions) -> {
                OngoingTopicReassignment t = new OngoingTopicReassignment().setName(topic);
                partitions.forEach((id, p) -> t.partitions().add(new OngoingPartitionReassignment().setPartitionIndex(id)
                        .setReplicas(p.replicas()).setAddingReplicas(p.addingReplicas()).setRemovingReplicas(p.removingReplicas())));
                response.topics().add(t);
            });
            return response;
        });
    }
}
