package io.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.junit.jupiter.api.Test;

/** Decoding of request frames: valid requests, and the precise reason for each kind of bad one. */
class RequestDecoderTest {
    private final RequestDecoder decoder = new RequestDecoder(new SupportedApis(Map.of(
            ApiKeys.API_VERSIONS, (c, r) -> null,
            ApiKeys.METADATA, (c, r) -> null)));

    private static ByteBuffer frame(ApiKeys key, short version, ApiMessage body) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(42).setClientId("test");
        short headerVersion = key.requestHeaderVersion(version);
        ByteBuffer buffer = ByteBuffer.allocate(header.size(cache, headerVersion) + body.size(cache, version));
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        return buffer.flip();
    }

    @Test
    void decodesEveryAdvertisedVersionOfMetadata() {
        for (short v = ApiKeys.METADATA.oldestVersion(); v <= ApiKeys.METADATA.latestVersion(); v++) {
            // v0 has no "all topics" null; an empty list meant all topics there.
            var decoded = decoder.decode(frame(ApiKeys.METADATA, v, new MetadataRequestData().setTopics(v == 0 ? java.util.List.of() : null)));
            assertThat(decoded).as("v%d", v).isInstanceOf(RequestDecoder.Request.class);
            assertThat(((RequestDecoder.Request) decoded).header().correlationId()).isEqualTo(42);
        }
    }

    @Test
    void apiVersionsAtAnUnknownVersionIsAnsweredInV0WithOurVersions() {
        ByteBuffer frame = frame(ApiKeys.API_VERSIONS, ApiKeys.API_VERSIONS.latestVersion(), new ApiVersionsRequestData());
        frame.putShort(2, (short) (ApiKeys.API_VERSIONS.latestVersion() + 1));
        var decoded = decoder.decode(frame);
        assertThat(decoded).isInstanceOf(RequestDecoder.ImmediateResponse.class);
        var immediate = (RequestDecoder.ImmediateResponse) decoded;
        assertThat(immediate.version()).isZero();
        assertThat(immediate.correlationId()).isEqualTo(42);
        ApiVersionsResponseData body = (ApiVersionsResponseData) immediate.body();
        assertThat(body.errorCode()).isEqualTo(Errors.UNSUPPORTED_VERSION.code());
        assertThat(body.apiKeys()).hasSize(2);
    }

    @Test
    void unsupportedVersionOfAnotherApiIsInvalid() {
        ByteBuffer frame = frame(ApiKeys.METADATA, ApiKeys.METADATA.latestVersion(), new MetadataRequestData());
        frame.putShort(2, (short) 99);
        assertThat(decoder.decode(frame)).isInstanceOfSatisfying(RequestDecoder.Invalid.class,
                invalid -> assertThat(invalid.reason()).contains("Metadata", "version 99"));
    }

    @Test
    void unknownAndUnservedApiKeysAreInvalid() {
        ByteBuffer unknown = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
        unknown.putShort(0, (short) 999);
        assertThat(decoder.decode(unknown)).isInstanceOfSatisfying(RequestDecoder.Invalid.class,
                invalid -> assertThat(invalid.reason()).contains("unknown API key 999"));
        ByteBuffer unserved = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
        unserved.putShort(0, ApiKeys.JOIN_GROUP.id);
        assertThat(decoder.decode(unserved)).isInstanceOfSatisfying(RequestDecoder.Invalid.class,
                invalid -> assertThat(invalid.reason()).contains("JoinGroup", "not supported"));
    }

    @Test
    void truncatedBodiesAndTinyFramesAreInvalid() {
        ByteBuffer whole = frame(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(java.util.List.of(
                new MetadataRequestData.MetadataRequestTopic().setName("some-topic"))));
        for (int length : new int[] {0, 3, 7, 12, whole.remaining() - 3}) {
            ByteBuffer cut = whole.duplicate().limit(length);
            assertThat(decoder.decode(cut)).as("length %d", length).isInstanceOf(RequestDecoder.Invalid.class);
        }
    }
}
