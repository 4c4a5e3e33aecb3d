package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * DescribeClientQuotas ({@code kafka-configs --describe --entity-type users|clients|ips},
 * Admin.describeClientQuotas): the quotas whose entity matches the filter, with Kafka's filter
 * semantics (per entity type: an exact name, the default, or any; strict or not) and errors,
 * answered by any broker from its own metadata image, as Kafka's brokers answer it from theirs.
 * Stateless.
 */
public final class DescribeClientQuotasHandler implements ApiHandler {
    private final MetadataController controller;

    public DescribeClientQuotasHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        return CompletableFuture.completedFuture(controller.image().clientQuotas().describe((DescribeClientQuotasRequestData) request));
    }
}
