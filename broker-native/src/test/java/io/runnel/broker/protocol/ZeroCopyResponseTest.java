package io.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.channel.FileRegion;
import io.runnel.broker.log.FileSlice;
import io.runnel.broker.log.LogConfig;
import io.runnel.broker.log.PartitionLog;

/**
 * Zero-copy fetch responses: a response whose records are a range of a segment file goes out as
 * buffer, file region, buffer, and those parts put together are byte for byte the response encoded
 * from the same records in memory; a slice stays sendable after its segment is deleted.
 */
class ZeroCopyResponseTest {
    @TempDir
    Path tmp;

    static FetchResponseData fetchResponse(Uuid topicId, org.apache.kafka.common.record.internal.BaseRecords records) {
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        FetchResponseData.FetchableTopicResponse topic = new FetchResponseData.FetchableTopicResponse().setTopicId(topicId);
        topic.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(0).setHighWatermark(42).setRecords(records));
        topic.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(1).setHighWatermark(0)
                .setRecords(MemoryRecords.EMPTY));
        response.responses().add(topic);
        return response;
    }

    /** Writes every part the way the socket would, file regions through transferTo. */
    static byte[] flatten(EncodedResponse encoded) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WritableByteChannel channel = Channels.newChannel(out);
        for (Object part : encoded.parts()) {
            if (part instanceof ByteBuf buf) {
                byte[] bytes = new byte[buf.readableBytes()];
                buf.getBytes(buf.readerIndex(), bytes);
                out.write(bytes);
            } else {
                FileRegion region = (FileRegion) part;
                while (region.transferred() < region.count()) region.transferTo(channel, region.transferred());
            }
        }
        encoded.release();
        return out.toByteArray();
    }

    @Test
    void aFileSliceResponseIsByteForByteTheInMemoryResponseAndStaysSendableAfterItsSegmentIsDeleted() throws Exception {
        PartitionLog log = PartitionLog.open(tmp.resolve("t-0"), LogConfig.defaults(), true, Time.SYSTEM);
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1_000L + i, ("k" + i).getBytes(),
                    ("value-" + i).getBytes())), 0);
        }
        FileSlice slice = log.readSlice(5, 1 << 20, Long.MAX_VALUE, true);
        MemoryRecords inMemory = log.read(5, 1 << 20, Long.MAX_VALUE, true).records();
        assertThat(slice.sizeInBytes()).isEqualTo(inMemory.sizeInBytes()).isPositive();

        Uuid topicId = Uuid.randomUuid();
        short version = ApiKeys.FETCH.latestVersion();
        short headerVersion = ApiKeys.FETCH.responseHeaderVersion(version);
        EncodedResponse zeroCopy = ResponseEncoder.encode(9, headerVersion, fetchResponse(topicId, new FileSliceRecords(slice)), version);
        EncodedResponse copied = ResponseEncoder.encode(9, headerVersion, fetchResponse(topicId, inMemory), version);
        assertThat(zeroCopy.parts()).hasSize(3).element(1).isInstanceOf(FileRegion.class);
        int bufferedBytes = zeroCopy.sizeInBytes() - slice.sizeInBytes();
        assertThat(((ByteBuf) zeroCopy.parts().get(0)).unwrap().capacity()).as("the buffer holds only the bytes around the file range")
                .isEqualTo(bufferedBytes);
        assertThat(copied.parts()).hasSize(1);
        assertThat(zeroCopy.sizeInBytes()).isEqualTo(copied.sizeInBytes());
        byte[] expected = flatten(copied);
        assertThat(ByteBuffer.wrap(expected).getInt()).isEqualTo(expected.length - 4);

        // The segment goes (as with retention or topic deletion) while the response is queued.
        EncodedResponse queued = ResponseEncoder.encode(9, headerVersion, fetchResponse(topicId, new FileSliceRecords(slice)), version);
        log.deleteFiles();
        assertThat(flatten(queued)).isEqualTo(expected);
        assertThat(flatten(zeroCopy)).isEqualTo(expected);
    }

    @Test
    void forTlsConnectionsAFileSliceIsCopiedIntoTheResponseBuffer() throws Exception {
        PartitionLog log = PartitionLog.open(tmp.resolve("t-1"), LogConfig.defaults(), true, Time.SYSTEM);
        for (int i = 0; i < 20; i++) {
            log.appendAsLeader(MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1_000L + i, ("k" + i).getBytes(),
                    ("value-" + i).getBytes())), 0);
        }
        FileSlice slice = log.readSlice(3, 1 << 20, Long.MAX_VALUE, true);
        MemoryRecords inMemory = log.read(3, 1 << 20, Long.MAX_VALUE, true).records();
        Uuid topicId = Uuid.randomUuid();
        short version = ApiKeys.FETCH.latestVersion();
        short headerVersion = ApiKeys.FETCH.responseHeaderVersion(version);
        EncodedResponse copiedFromFile = ResponseEncoder.encode(9, headerVersion, fetchResponse(topicId, new FileSliceRecords(slice)), version, false);
        EncodedResponse copied = ResponseEncoder.encode(9, headerVersion, fetchResponse(topicId, inMemory), version);
        assertThat(copiedFromFile.parts()).hasSize(1).noneMatch(part -> part instanceof FileRegion);
        assertThat(flatten(copiedFromFile)).isEqualTo(flatten(copied));
        log.close();
    }
}
