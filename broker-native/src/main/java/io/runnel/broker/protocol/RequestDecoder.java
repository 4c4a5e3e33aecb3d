package io.runnel.broker.protocol;

import java.nio.ByteBuffer;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Turns one request frame (without its size prefix) into a header and a decoded body, or says
 * precisely why it cannot. Record bytes inside a produce request are not copied: the decoded
 * {@code MemoryRecords} are slices of {@code frame}. Stateless.
 */
public final class RequestDecoder {

    /** The outcome: a request to serve, a response to send as-is, or a reason to close the connection. */
    public sealed interface Decoded {}

    public record Request(RequestHeader header, ApiMessage body) implements Decoded {}

    /** Answered without a handler: ApiVersions at a version we do not know (Kafka answers in v0). */
    public record ImmediateResponse(int correlationId, ApiMessage body, short version) implements Decoded {}

    public record Invalid(String reason) implements Decoded {}

    private final SupportedApis apis;

    public RequestDecoder(SupportedApis apis) {
        this.apis = apis;
    }

    public Decoded decode(ByteBuffer frame) {
        if (frame.remaining() < 8) return new Invalid("request of " + frame.remaining() + " bytes is shorter than a request header");
        short apiKeyId = frame.getShort(frame.position());
        short version = frame.getShort(frame.position() + 2);
        int correlationId = frame.getInt(frame.position() + 4);
        if (!ApiKeys.hasId(apiKeyId)) return new Invalid("unknown API key " + apiKeyId);
        ApiKeys key = ApiKeys.forId(apiKeyId);
        if (!apis.supports(key, version)) {
            if (key == ApiKeys.API_VERSIONS) {
                // KIP-511: a client newer than us learns our versions from a v0 answer.
                return new ImmediateResponse(correlationId, new ApiVersionsResponseData()
                        .setErrorCode(Errors.UNSUPPORTED_VERSION.code()).setApiKeys(apis.versions()), (short) 0);
            }
            return new Invalid(apis.handler(key) == null ? "API " + key.name + " is not supported"
                    : key.name + " version " + version + " is not supported (supported: " + key.oldestVersion() + "-" + key.latestVersion() + ")");
        }
        try {
            RequestHeader header = RequestHeader.parse(frame);
            ApiMessage body = key.messageType.newRequest();
            body.read(new ByteBufferAccessor(frame), version);
            return new Request(header, body);
        } catch (RuntimeException e) {
            return new Invalid("malformed " + key.name + " v" + version + " request (correlation id " + correlationId + "): " + e);
        }
    }
}
