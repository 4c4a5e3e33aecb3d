package io.runnel.broker.protocol;

import java.nio.ByteBuffer;

import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Serializes a response (size prefix, header, body) with kafka-clients' generated codecs straight
 * into a pooled direct buffer: the socket write then needs no heap-to-direct copy and no garbage
 * is left per response. The caller owns the returned buffer (Netty releases it once written).
 * Stateless.
 */
public final class ResponseEncoder {
    private ResponseEncoder() {}

    public static ByteBuf encode(int correlationId, short headerVersion, ApiMessage body, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        int size = 4 + header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuf buffer = ByteBufAllocator.DEFAULT.directBuffer(size, size);
        try {
            ByteBuffer target = buffer.nioBuffer(0, size);
            target.putInt(size - 4);
            ByteBufferAccessor accessor = new ByteBufferAccessor(target);
            header.write(accessor, cache, headerVersion);
            body.write(accessor, cache, version);
            if (target.hasRemaining()) throw new IllegalStateException("response size mismatch for " + body.getClass().getSimpleName());
            buffer.writerIndex(size);
            return buffer;
        } catch (RuntimeException e) {
            buffer.release();
            throw e;
        }
    }
}
