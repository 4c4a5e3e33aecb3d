package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metadata.TopicResult;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/** DeleteTopics by name (all versions) or by topic id (v6+). */
public final class DeleteTopicsHandler implements ApiHandler {
    private final MetadataController controller;

    public DeleteTopicsHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DeleteTopicsRequestData data = (DeleteTopicsRequestData) request;
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        List<String> names = new ArrayList<>(data.topicNames());
        for (DeleteTopicsRequestData.DeleteTopicState state : data.topics()) {
            if (state.name() != null) {
                names.add(state.name());
            } else {
                TopicImage topic = controller.image().topic(state.topicId());
                if (topic == null) {
                    response.responses().add(new DeletableTopicResult().setTopicId(state.topicId())
                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()).setErrorMessage(Errors.UNKNOWN_TOPIC_ID.message()));
                } else {
                    names.add(topic.name());
                }
            }
        }
        return controller.deleteTopics(names).thenApply(results -> {
            for (TopicResult r : results) {
                response.responses().add(new DeletableTopicResult().setName(r.name())
                        .setTopicId(r.topic() != null ? r.topic().id() : Uuid.ZERO_UUID)
                        .setErrorCode(r.error().code()).setErrorMessage(r.message()));
            }
            return response;
        });
    }
}
