package io.runnel.broker.api;

import java.util.concurrent.CompletionException;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.protocol.Errors;
import org.jboss.logging.Logger;

/**
 * The Kafka error code for a failed controller operation: the code of the Kafka exception it
 * failed with (NOT_CONTROLLER, STALE_BROKER_EPOCH, ...); anything else is our bug, logged and
 * answered UNKNOWN_SERVER_ERROR. Stateless.
 */
final class ControllerErrors {
    private static final Logger LOG = Logger.getLogger(ControllerErrors.class);

    private ControllerErrors() {
    }

    static Errors of(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ApiException) return Errors.forException(cause);
        LOG.errorf(cause, "Controller operation failed");
        return Errors.UNKNOWN_SERVER_ERROR;
    }
}
