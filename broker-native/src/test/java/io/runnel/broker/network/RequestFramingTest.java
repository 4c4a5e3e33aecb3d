package io.runnel.broker.network;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.cluster.ClusterClients;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Frames are cut out of the byte stream wherever TCP happens to split it: several requests in one
 * read, a request across reads, a request a byte at a time. Requests are views of the bytes read,
 * not copies, so each one's records must land in the log exactly as sent, however the reads fell.
 */
class RequestFramingTest {
    static final String TOPIC = "framing";
    static final short PRODUCE_VERSION = 11;

    @TempDir
    Path dataDir;
    RunningBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new RunningBroker(dataDir);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
        }
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void requestsPackedIntoOneWriteSplitMidRequestAndDribbledByteByByteAllLandIntact() throws Exception {
        int requests = 7;
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        List<String> sent = new ArrayList<>();
        for (int r = 0; r < requests; r++) {
            String[] values = {"r" + r + "-a", "r" + r + "-b-" + "x".repeat(r * 100), "r" + r + "-c"};
            sent.addAll(List.of(values));
            ByteBuffer frame = produceFrame(r + 1, values);
            stream.write(frame.array(), 0, frame.limit());
        }
        byte[] all = stream.toByteArray();
        String[] hostPort = broker.bootstrapServers().split(":");
        Socket socket = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
        socket.setTcpNoDelay(true);
        try (RawKafkaClient raw = new RawKafkaClient(socket)) {
            // Two and a half requests at once, then all but the last few bytes, then those one at a time.
            int firstCut = frameEnd(all, 2) + 9;
            int secondCut = all.length - 5;
            raw.sendRaw(Arrays.copyOfRange(all, 0, firstCut));
            Thread.sleep(50);
            raw.sendRaw(Arrays.copyOfRange(all, firstCut, secondCut));
            for (int i = secondCut; i < all.length; i++) {
                Thread.sleep(5);
                raw.sendRaw(new byte[] {all[i]});
            }
            for (int r = 0; r < requests; r++) {
                var response = (ProduceResponseData) raw.receive(ApiKeys.PRODUCE, PRODUCE_VERSION, r + 1);
                var partition = response.responses().iterator().next().partitionResponses().get(0);
                assertThat(partition.errorCode()).as("request %d", r).isZero();
                assertThat(partition.baseOffset()).as("request %d", r).isEqualTo(3L * r);
            }
        }
        assertThat(ClusterClients.readAll(broker.bootstrapServers(), TOPIC, sent.size())).containsExactlyElementsOf(sent);
    }

    private static ByteBuffer produceFrame(int correlationId, String... values) {
        SimpleRecord[] records = new SimpleRecord[values.length];
        for (int i = 0; i < values.length; i++) records[i] = new SimpleRecord(values[i].getBytes(StandardCharsets.UTF_8));
        var request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
        var topic = new ProduceRequestData.TopicProduceData().setName(TOPIC);
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0)
                .setRecords(MemoryRecords.withRecords(Compression.NONE, records)));
        request.topicData().add(topic);
        return RawKafkaClient.encodeRequest(ApiKeys.PRODUCE, PRODUCE_VERSION, correlationId, request);
    }

    /** Where the {@code n}th size-prefixed frame (counted from 1) of {@code bytes} ends. */
    private static int frameEnd(byte[] bytes, int n) {
        int pos = 0;
        for (int i = 0; i < n; i++) pos += 4 + ByteBuffer.wrap(bytes, pos, 4).getInt();
        return pos;
    }
}
