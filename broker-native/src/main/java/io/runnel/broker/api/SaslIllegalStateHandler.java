package io.runnel.broker.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * SaslHandshake and SaslAuthenticate where no SASL exchange is going on: on a PLAINTEXT or SSL
 * listener, or on an authenticated SASL connection that is not re-authenticating (the exchange
 * itself is the connection's {@link io.runnel.broker.security.SaslAuthenticator}). Answers
 * ILLEGAL_SASL_STATE, as Kafka's KafkaApis does. Stateless.
 */
public final class SaslIllegalStateHandler implements ApiHandler {
    @Override
    public CompletionStage<? extends ApiMessage> handle(RequestContext context, ApiMessage request) {
        return CompletableFuture.completedFuture(switch (context.apiKey()) {
            case SASL_HANDSHAKE -> new SaslHandshakeResponseData().setErrorCode(Errors.ILLEGAL_SASL_STATE.code());
            case SASL_AUTHENTICATE -> new SaslAuthenticateResponseData().setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                    .setErrorMessage("SaslAuthenticate request received after successful authentication");
            default -> throw new IllegalArgumentException("not a SASL API: " + context.apiKey());
        });
    }
}
