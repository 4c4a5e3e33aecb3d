package io.runnel.broker.metrics;

import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.jboss.logging.Logger;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * Wraps an API's handler and counts the error codes of each response it answers with
 * ({@code runnel_request_errors_total}). Adds no thread hop: counting runs where the handler's
 * stage completes.
 */
final class ErrorCountingHandler implements ApiHandler {
    private static final Logger LOG = Logger.getLogger(ErrorCountingHandler.class);
    private final ApiKeys api;
    private final ApiHandler delegate;
    private final BrokerMetrics metrics;

    ErrorCountingHandler(ApiKeys api, ApiHandler delegate, BrokerMetrics metrics) {
        this.api = api;
        this.delegate = delegate;
        this.metrics = metrics;
    }

    @Override
    public CompletionStage<? extends ApiMessage> handle(RequestContext context, ApiMessage request) {
        return delegate.handle(context, request).whenComplete((response, error) -> {
            if (response == null) return;
            try {
                metrics.recordErrors(api, ResponseErrors.count(api, context.apiVersion(), response));
            } catch (RuntimeException e) {
                // Counting must never fail the request it observes (whenComplete would fail the stage).
                LOG.warnf(e, "Cannot count the error codes of a %s response", api.name);
            }
        });
    }
}
