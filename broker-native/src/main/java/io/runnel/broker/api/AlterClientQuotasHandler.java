package io.runnel.broker.api;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.AlterClientQuotasRequestData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterClientQuotasRequest;
import org.apache.kafka.common.requests.AlterClientQuotasResponse;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * AlterClientQuotas ({@code kafka-configs --alter --entity-type users|clients|ips --add-config
 * producer_byte_rate=…}, Admin.alterClientQuotas): sets and removes client quotas in the cluster
 * metadata, with Kafka's validation ({@link io.runnel.broker.metadata.ClientQuotaAlterations}) and
 * {@code validate_only}. Served by the active controller, forwarded there from other brokers. Stateless.
 */
public final class AlterClientQuotasHandler implements ApiHandler {
    private final MetadataController controller;

    public AlterClientQuotasHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterClientQuotasRequest parsed = new AlterClientQuotasRequest((AlterClientQuotasRequestData) request, context.apiVersion());
        return controller.alterClientQuotas(parsed.entries(), parsed.validateOnly()).handle((results, error) -> {
            // No top-level error in the response: as Kafka, every entity gets it (NOT_CONTROLLER, which clients retry).
            if (error != null) return parsed.getErrorResponse(0, ControllerErrors.of(error).exception()).data();
            return AlterClientQuotasResponse.fromQuotaEntities(results, 0).data();
        });
    }
}
