package io.runnel.broker.protocol;

import java.util.List;

import io.netty.util.ReferenceCountUtil;

/**
 * A response ready for the socket: its parts in order, each a pooled {@link io.netty.buffer.ByteBuf}
 * or a {@link io.netty.channel.FileRegion} (record bytes sent straight from a segment file). Whoever
 * holds it writes every part (Netty releases each once written) or calls {@link #release()}.
 */
public record EncodedResponse(List<Object> parts, int sizeInBytes) {
    public void release() {
        for (Object part : parts) ReferenceCountUtil.safeRelease(part);
    }
}
