package io.runnel.broker.protocol;

/**
 * Completes a handler's stage when Kafka's answer is to close the connection rather than respond
 * (e.g. a failed produce with acks=0, where the client expects no response). The message names
 * the problem for the broker log.
 */
public final class CloseConnectionException extends RuntimeException {
    public CloseConnectionException(String message) {
        super(message, null, false, false);
    }
}
