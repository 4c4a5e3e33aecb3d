package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.resource.ResourceType;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicResult;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.security.Authorization;

/** CreatePartitions: grows topics; each topic succeeds or fails on its own. */
public final class CreatePartitionsHandler implements ApiHandler {
    private final MetadataController controller;
    private final Authorization authorization;

    public CreatePartitionsHandler(MetadataController controller) {
        this(controller, Authorization.disabled());
    }

    /** With authorization: a topic needs ALTER, else TOPIC_AUTHORIZATION_FAILED. */
    public CreatePartitionsHandler(MetadataController controller, Authorization authorization) {
        this.controller = controller;
        this.authorization = authorization;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        CreatePartitionsRequestData data = (CreatePartitionsRequestData) request;
        List<CompletableFuture<TopicResult>> results = new ArrayList<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic topic : data.topics()) {
            List<List<Integer>> assignments = topic.assignments() == null ? null
                    : topic.assignments().stream().map(CreatePartitionsRequestData.CreatePartitionsAssignment::brokerIds).toList();
            if (!authorization.allowed(context, AclOperation.ALTER, ResourceType.TOPIC, topic.name())) {
                results.add(CompletableFuture.completedFuture(TopicResult.error(topic.name(), Errors.TOPIC_AUTHORIZATION_FAILED, null)));
                continue;
            }
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
