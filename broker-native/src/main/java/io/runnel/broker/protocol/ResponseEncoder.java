package io.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Writable;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.DefaultFileRegion;

/**
 * Serializes a response (size prefix, header, body) with kafka-clients' generated codecs straight
 * into a pooled direct buffer: the socket write then needs no heap-to-direct copy and no garbage
 * is left per response. Record sets that are ranges of segment files ({@link FileSliceRecords})
 * are not copied at all: the buffer is cut around them and they go out as file regions, i.e.
 * {@code sendfile} from the page cache. Stateless.
 */
public final class ResponseEncoder {
    private ResponseEncoder() {}

    public static EncodedResponse encode(int correlationId, short headerVersion, ApiMessage body, short version) {
        return encode(correlationId, headerVersion, body, version, true);
    }

    /**
     * @param fileRegions false on TLS connections: the bytes must pass through the TLS engine, so
     *                    {@link FileSliceRecords} are read into the buffer here (positional reads,
     *                    usually from the page cache, on the calling event loop, as Kafka's network
     *                    threads do for TLS) instead of being sent with {@code sendfile}
     */
    public static EncodedResponse encode(int correlationId, short headerVersion, ApiMessage body, short version, boolean fileRegions) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ResponseHeaderData header = new ResponseHeaderData().setCorrelationId(correlationId);
        int size = 4 + header.size(cache, headerVersion) + body.size(cache, version);
        // The buffer holds only what is not sent from files: a fetch of 8 partitions of 1 MiB needs a few hundred bytes
        // here, not 8 MiB (which the pool cannot serve, so it would be allocated and zeroed per response).
        Parts out = new Parts(size, fileRegions ? size - fileBytes(body) : size, fileRegions);
        try {
            out.writeInt(size - 4);
            header.write(out, cache, headerVersion);
            body.write(out, cache, version);
            return out.finish(body);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    /** The bytes of a Fetch response's records that are ranges of segment files; 0 for any other response. */
    private static int fileBytes(ApiMessage body) {
        if (!(body instanceof FetchResponseData fetch)) return 0;
        int bytes = 0;
        for (FetchResponseData.FetchableTopicResponse topic : fetch.responses())
            for (FetchResponseData.PartitionData partition : topic.partitions())
                if (partition.records() instanceof FileSliceRecords file) bytes += file.sizeInBytes();
        return bytes;
    }

    /**
     * A {@link Writable} over one pooled direct buffer that holds every byte except the file
     * ranges; each file range cuts it, and {@link #finish} returns the slices and regions in order.
     */
    private static final class Parts implements Writable {
        private final int size;
        private final boolean fileRegions;
        private final ByteBuf buffer;
        private final List<Object> parts = new ArrayList<>();
        private int cutAt;
        private int fileBytes;

        /** @param bufferBytes the bytes of {@code size} that are written into the buffer rather than sent as file regions */
        Parts(int size, int bufferBytes, boolean fileRegions) {
            this.size = size;
            this.fileRegions = fileRegions;
            this.buffer = ByteBufAllocator.DEFAULT.directBuffer(bufferBytes, bufferBytes);
        }

        @Override public void writeByte(byte val) { buffer.writeByte(val); }
        @Override public void writeShort(short val) { buffer.writeShort(val); }
        @Override public void writeInt(int val) { buffer.writeInt(val); }
        @Override public void writeLong(long val) { buffer.writeLong(val); }
        @Override public void writeDouble(double val) { buffer.writeDouble(val); }
        @Override public void writeByteArray(byte[] arr) { buffer.writeBytes(arr); }
        @Override public void writeByteBuffer(ByteBuffer buf) { buffer.writeBytes(buf.duplicate()); }

        @Override
        public void writeUuid(Uuid uuid) {
            buffer.writeLong(uuid.getMostSignificantBits());
            buffer.writeLong(uuid.getLeastSignificantBits());
        }

        @Override
        public void writeUnsignedVarint(int i) {
            while ((i & 0xffffff80) != 0) {
                buffer.writeByte((byte) ((i & 0x7f) | 0x80));
                i >>>= 7;
            }
            buffer.writeByte((byte) i);
        }

        @Override
        public void writeVarint(int i) {
            writeUnsignedVarint((i << 1) ^ (i >> 31));
        }

        @Override
        public void writeVarlong(long i) {
            long v = (i << 1) ^ (i >> 63);
            while ((v & 0xffffffffffffff80L) != 0L) {
                buffer.writeByte((byte) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            buffer.writeByte((byte) v);
        }

        @Override
        public void writeRecords(BaseRecords records) {
            if (records instanceof FileSliceRecords file) {
                if (file.sizeInBytes() == 0) return;
                if (!fileRegions) {
                    copy(file);
                    return;
                }
                cut();
                parts.add(new SegmentRegion(file.slice().channel(), file.slice().position(), file.sizeInBytes()));
                fileBytes += file.sizeInBytes();
            } else if (records instanceof MemoryRecords memory) {
                writeByteBuffer(memory.buffer());
            } else {
                throw new UnsupportedOperationException("cannot write records of type " + records.getClass().getName());
            }
        }

        private void copy(FileSliceRecords file) {
            long position = file.slice().position();
            int remaining = file.sizeInBytes();
            try {
                while (remaining > 0) {
                    int read = buffer.writeBytes(file.slice().channel(), position, remaining);
                    // The slice ends at a batch boundary the log already wrote; a short file here is a deleted or truncated segment.
                    if (read < 0) throw new IllegalStateException("segment ended " + remaining + " bytes before the fetched range");
                    position += read;
                    remaining -= read;
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("reading fetched records for a TLS connection", e);
            }
        }

        private void cut() {
            int end = buffer.writerIndex();
            if (end > cutAt) parts.add(buffer.retainedSlice(cutAt, end - cutAt));
            cutAt = end;
        }

        EncodedResponse finish(ApiMessage body) {
            if (buffer.writerIndex() + fileBytes != size)
                throw new IllegalStateException("response size mismatch for " + body.getClass().getSimpleName());
            if (parts.isEmpty()) return new EncodedResponse(List.of(buffer), size); // the common case: one buffer, no slicing
            cut();
            buffer.release(); // the slices hold their own references
            return new EncodedResponse(List.copyOf(parts), size);
        }

        void release() {
            for (Object part : parts) io.netty.util.ReferenceCountUtil.safeRelease(part);
            if (buffer.refCnt() > 0) buffer.release();
        }
    }

    /** A file region over a segment's channel, which the segment owns: releasing the region must not close it. */
    private static final class SegmentRegion extends DefaultFileRegion {
        SegmentRegion(java.nio.channels.FileChannel channel, long position, long count) {
            super(channel, position, count);
        }

        @Override
        protected void deallocate() {
            // The segment closes its channel (after a grace period once deleted); not every response that read it.
        }
    }
}
