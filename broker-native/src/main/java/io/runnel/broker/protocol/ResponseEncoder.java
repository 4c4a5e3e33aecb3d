package io.runnel.broker.protocol;

import java.nio.ByteBuffer;

import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

/** Serializes a response (size prefix, header, body) with kafka-clients' generated codecs. Stateless. */
public final class ResponseEncoder {
    private ResponseEncoder() {}

    @SuppressWarnings("deprecation") // Buffer.buffer(ByteBuf) wraps without copying; its replacement copies
    public static Buffer encode(int correlationId, short headerVersion, ApiMessage body, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        int headerSize = header.size(cache, headerVersion);
        int bodySize = body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(4 + headerSize + bodySize);
        buffer.putInt(headerSize + bodySize);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        if (buffer.hasRemaining()) throw new IllegalStateException("response size mismatch for " + body.getClass().getSimpleName());
        buffer.flip();
        return Buffer.buffer(Unpooled.wrappedBuffer(buffer));
    }
}
