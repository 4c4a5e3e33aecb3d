package io.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.RequestHeader;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;


/**
 * The request path's codec: decoding a Produce request frame (the broker's own {@link RequestDecoder}
 * over kafka-clients' generated messages) and encoding a Fetch response into a pooled direct buffer
 * ({@link ResponseEncoder}), for a batch of {@code records} records of {@code recordBytes} each.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestCodecBench {
    @Param({"1024"})
    int recordBytes;
    @Param({"16"})
    int records;

    private RequestDecoder decoder;
    private ByteBuffer produceFrame;
    private FetchResponseData fetchResponse;

    @Setup(Level.Trial)
    public void setUp() {
        ApiHandler unused = (context, request) -> CompletableFuture.completedFuture(null);
        decoder = new RequestDecoder(new SupportedApis(Map.of(ApiKeys.PRODUCE, unused, ApiKeys.FETCH, unused)));
        MemoryRecords batch = batch(records, recordBytes);
        short produceVersion = ApiKeys.PRODUCE.latestVersion();
        ProduceRequestData produce = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName("bench").setTopicId(Uuid.randomUuid());
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(batch));
        produce.topicData().add(topic);
        RequestHeader header = new RequestHeader(ApiKeys.PRODUCE, produceVersion, "bench", 7);
        ByteBuffer headerBytes = MessageUtil.toByteBufferAccessor(header.data(), header.headerVersion()).buffer();
        ByteBuffer bodyBytes = MessageUtil.toByteBufferAccessor(produce, produceVersion).buffer();
        produceFrame = ByteBuffer.allocate(headerBytes.remaining() + bodyBytes.remaining());
        produceFrame.put(headerBytes).put(bodyBytes).flip();

        fetchResponse = new FetchResponseData().setSessionId(0);
        FetchResponseData.FetchableTopicResponse fetched = new FetchResponseData.FetchableTopicResponse().setTopicId(Uuid.randomUuid());
        fetched.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(0).setHighWatermark(1_000_000)
                .setRecords(batch(records * 16, recordBytes)));
        fetchResponse.responses().add(fetched);
    }

    static MemoryRecords batch(int count, int bytes) {
        SimpleRecord[] rs = new SimpleRecord[count];
        byte[] value = new byte[bytes];
        for (int i = 0; i < count; i++) rs[i] = new SimpleRecord(1_700_000_000_000L + i, ("key-" + i).getBytes(), value);
        return MemoryRecords.withRecords(Compression.NONE, rs);
    }

    @Benchmark
    public Object decodeProduce() {
        return decoder.decode(produceFrame.duplicate());
    }

    @Benchmark
    public int encodeFetchResponse() {
        EncodedResponse encoded = ResponseEncoder.encode(7, ApiKeys.FETCH.responseHeaderVersion(ApiKeys.FETCH.latestVersion()), fetchResponse,
                ApiKeys.FETCH.latestVersion());
        encoded.release();
        return encoded.sizeInBytes();
    }
}
