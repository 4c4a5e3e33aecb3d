package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicResult;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** CreatePartitions: grows topics; each topic succeeds or fails on its own. */
public final class CreatePartitionsHandler implements ApiHandler {
    private final MetadataController controller;

    public CreatePartitionsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        CreatePartitionsRequestData data = (CreatePartitionsRequestData) request;
        List<CompletableFuture<TopicResult>> results = new ArrayList<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic topic : data.topics()) {
            List<List<Integer>> assignments = topic.assignments() == null ? null
                    : topic.assignments().stream().map(CreatePartitionsRequestData.CreatePartitionsAssignment::brokerIds).toList();
            results.add(controller.createPartitions(topic.name(), topic.count(), assignments, data.validateOnly()));
        }
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApply(v -> {
            CreatePartitionsResponseData response = new CreatePartitionsResponseData();
            for (CompletableFuture<TopicResult> f : results) {
                TopicResult r = f.join();
                response.results().add(new CreatePartitionsTopicResult().setName(r.name()).setErrorCode(r.error().code())
                        .setErrorMessage(r.message()));
            }
            return response;
        });
    }
}
