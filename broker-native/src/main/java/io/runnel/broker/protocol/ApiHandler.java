package io.runnel.broker.protocol;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.protocol.ApiMessage;

/**
 * Serves one Kafka API. Called on the connection's event loop with the decoded request body; must
 * not block: disk and metadata work go to their own threads and come back as a stage. A stage
 * completing with {@code null} means "send no response" (produce with acks=0).
 */
@FunctionalInterface
public interface ApiHandler {
    CompletionStage<? extends ApiMessage> handle(RequestContext context, ApiMessage request);
}
