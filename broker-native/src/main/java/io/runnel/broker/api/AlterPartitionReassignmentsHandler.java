package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * AlterPartitionReassignments (what {@code kafka-reassign-partitions --execute} and
 * Admin.alterPartitionReassignments send): starts, replaces or (null replicas) cancels moving
 * partitions between brokers. Served by the active controller; elsewhere NOT_CONTROLLER, which
 * the admin client retries there. Stateless.
 */
public final class AlterPartitionReassignmentsHandler implements ApiHandler {
    private final MetadataController controller;

    public AlterPartitionReassignmentsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterPartitionReassignmentsRequestData data = (AlterPartitionReassignmentsRequestData) request;
        List<MetadataController.Reassignment> wanted = new ArrayList<>();
        for (var topic : data.topics())
            for (var p : topic.partitions()) wanted.add(new MetadataController.Reassignment(topic.name(), p.partitionIndex(), p.replicas()));
        return controller.alterPartitionReassignments(wanted).handle((results, error) -> {
            AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                    .setAllowReplicationFactorChange(data.allowReplicationFactorChange());
            if (error != null) {
                Errors code = ControllerErrors.of(error);
                return response.setErrorCode(code.code()).setErrorMessage(code.message());
            }
            Map<String, ReassignableTopicResponse> topics = new LinkedHashMap<>();
            for (MetadataController.PartitionResult r : results) {
                topics.computeIfAbsent(r.topic(), name -> {
                    ReassignableTopicResponse t = new ReassignableTopicResponse().setName(name);
                    response.responses().add(t);
                    return t;
                }).partitions().add(new ReassignablePartitionResponse().setPartitionIndex(r.partition()).setErrorCode(r.error().code())
                        .setErrorMessage(r.error() == Errors.NONE ? null : r.message() != null ? r.message() : r.error().message()));
            }
            return response;
        });
    }
}
