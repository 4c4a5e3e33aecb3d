package io.runnel.e2e.badinput;

import static io.runnel.e2e.support.Pause.sleep;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.E2eSettings.BrokerKind;
import io.runnel.e2e.support.RawKafkaConnection;
import io.runnel.e2e.support.Requests;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input over raw sockets: hand-built frames (valid ones from kafka-clients' message classes,
 * then broken). Each case checks the answer Apache Kafka 4.4 gives (an error code, or a closed
 * connection), that the broker's log names the problem where the broker is expected to log it, and
 * that afterwards the broker still serves: a connection opened before the bad input and a fresh
 * one both produce and fetch, and the healthy topic's log is unchanged by the rejected request.
 *
 * <p>What Kafka 4.4.0 does (checked with -Drunnel.e2e.broker=kafka), and so what Runnel must do:
 * negative, zero or over-maximum size prefixes, unknown API keys, unsupported versions of any API
 * but ApiVersions, and an acks=0 produce that fails: the connection is closed. ApiVersions at an
 * unsupported version: a v0 response with UNSUPPORTED_VERSION (35) and the ApiVersions range.
 * A bad CRC: CORRUPT_MESSAGE (2). Magic v0/v1 batches: INVALID_RECORD (87). A missing topic or
 * partition: UNKNOWN_TOPIC_OR_PARTITION (3).
 */
class MalformedRequestsIT {
    private static String healthy; // "healthy", made unique when the broker is external
    private static final int MAX_REQUEST_BYTES = 100 * 1024 * 1024; // socket.request.max.bytes default
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30); // hang guard
    private static BrokerProcess broker;

    private RawKafkaConnection bystander;
    private long healthyEndBefore;
    private long logMark;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = BrokerProcess.start("bad-input");
        healthy = broker.topic("healthy");
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            CreateTopicsResponse created = connection.request(ApiKeys.CREATE_TOPICS, Requests.CREATE_TOPICS_V,
                    Requests.createTopics(healthy, 2));
            for (CreateTopicsResponseData.CreatableTopicResult result : created.data().topics()) {
                assertThat(Errors.forCode(result.errorCode())).as("creating %s", result.name()).isEqualTo(Errors.NONE);
            }
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @BeforeEach
    void openBystander() throws IOException {
        bystander = RawKafkaConnection.open(broker.bootstrap());
        produceAndFetch(bystander); // the connection is proven live before the bad input
        healthyEndBefore = latestOffset(bystander, 1);
        logMark = broker.isExternal() ? 0 : broker.logMark();
    }

    @AfterEach
    void brokerStillServes() throws IOException {
        assertThat(broker.isAlive()).as("broker process alive\n" + broker.logTail(40)).isTrue();
        // Partition 1 of the healthy topic is where rejected produces were aimed: nothing landed.
        try (RawKafkaConnection fresh = RawKafkaConnection.open(broker.bootstrap())) {
            assertThat(latestOffset(fresh, 1)).as("end offset of %s-1 after a rejected request", healthy).isEqualTo(healthyEndBefore);
            produceAndFetch(fresh);
        }
        produceAndFetch(bystander);
        bystander.close();
    }

    @Test
    void negativeSizePrefixClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 18, 0, 3});
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
        assertLogNames("size.{0,40}-1\\b", "size.{0,40}-1\\b");
    }

    @Test
    void zeroSizePrefixClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(new byte[] {0, 0, 0, 0});
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
    }

    @Test
    void sizePrefixOverTheMaximumRequestSizeClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            // Only the prefix: a broker must refuse before reading (or buffering) 100 MiB.
            connection.send(ByteBuffer.allocate(4).putInt(0, MAX_REQUEST_BYTES + 1).array());
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
        assertLogNames("size.{0,40}" + (MAX_REQUEST_BYTES + 1), "size.{0,40}" + (MAX_REQUEST_BYTES + 1));
    }

    @Test
    void frameTooShortForARequestHeaderClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(new byte[] {0, 0, 0, 3, 0, 18, 0});
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
    }

    @Test
    void truncatedBodyFollowedByCloseLeavesTheBrokerServing() throws IOException {
        byte[] frame = RawKafkaConnection.bytes(RawKafkaConnection.frame(ApiKeys.PRODUCE, Requests.PRODUCE_V, 1,
                Requests.produce(healthy, 1, (short) -1, Requests.records(20))));
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(Arrays.copyOf(frame, frame.length / 2));
            connection.shutdownOutput();
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed after the client's half-close").isTrue();
        }
        // Kafka logs nothing for a peer that disconnects mid-request.
        assertLogNames("truncat|partial|incomplete|unread|mid-request", null);
    }

    @Test
    void unknownApiKeyClosesTheConnection() throws IOException {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey((short) 1000).setRequestApiVersion((short) 0)
                .setCorrelationId(7).setClientId(RawKafkaConnection.CLIENT_ID);
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(RawKafkaConnection.frame(header, (short) 1, Requests.apiVersions(), (short) 0));
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
        assertLogNames("api.?key.{0,30}1000", "api.?key.{0,30}1000");
    }

    @Test
    void apiVersionsAtAnUnsupportedVersionAnswersV0WithUnsupportedVersion() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            // KIP-511: the broker answers a too-new ApiVersions with a v0 response listing its range.
            connection.send(RawKafkaConnection.frame(ApiKeys.API_VERSIONS, (short) 99, Requests.API_VERSIONS_V, 5,
                    Requests.apiVersions()));
            ApiVersionsResponse response = (ApiVersionsResponse) connection.readResponse(ApiKeys.API_VERSIONS, (short) 0, 5);
            assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.UNSUPPORTED_VERSION);
            ApiVersionsResponseData.ApiVersion own = response.data().apiKeys().find(ApiKeys.API_VERSIONS.id);
            assertThat(own).as("the ApiVersions range in the answer: %s", response.data()).isNotNull();
            assertThat(own.minVersion()).isZero();
            assertThat(own.maxVersion()).isGreaterThanOrEqualTo((short) 3);
            // The connection stays usable: the client retries at a version from that range.
            ApiVersionsResponse retry = connection.request(ApiKeys.API_VERSIONS, Requests.API_VERSIONS_V, Requests.apiVersions());
            assertThat(Errors.forCode(retry.data().errorCode())).isEqualTo(Errors.NONE);
        }
    }

    @Test
    void metadataAtAnUnsupportedVersionClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(RawKafkaConnection.frame(ApiKeys.METADATA, (short) 99, Requests.METADATA_V, 5, Requests.metadata()));
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
        assertLogNames("version.{0,30}99", "version.{0,30}99");
    }

    @Test
    void produceAtAVersionKafka4RemovedClosesTheConnection() throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            // Produce v0-v2 were removed in Kafka 4.0 (KIP-896); the body is v3's, the header says v2.
            connection.send(RawKafkaConnection.frame(ApiKeys.PRODUCE, (short) 2, (short) 3, 5,
                    Requests.produce(healthy, 1, (short) 1, Requests.records(2))));
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
        assertLogNames("version.{0,30}\\b2\\b", "version.{0,30}\\b2\\b");
    }

    @Test
    void produceOfABatchWithABadCrcGetsCorruptMessage() throws IOException {
        MemoryRecords records = Requests.records(5);
        ByteBuffer bytes = records.buffer();
        int last = bytes.limit() - 1;
        bytes.put(last, (byte) (bytes.get(last) ^ 0x5a)); // inside the CRC-covered part: the last value byte
        assertThat(produceError(healthy, 1, bytes)).isEqualTo(Errors.CORRUPT_MESSAGE);
        assertLogNames("crc|corrupt", null);
    }

    @Test
    void produceOfAMagicV0BatchGetsInvalidRecord() throws IOException {
        assertThat(produceError(healthy, 1, Requests.records(RecordBatch.MAGIC_VALUE_V0, 3).buffer())).isEqualTo(Errors.INVALID_RECORD);
        assertLogNames("magic", null);
    }

    @Test
    void produceOfAMagicV1BatchGetsInvalidRecord() throws IOException {
        assertThat(produceError(healthy, 1, Requests.records(RecordBatch.MAGIC_VALUE_V1, 3).buffer())).isEqualTo(Errors.INVALID_RECORD);
        assertLogNames("magic", null);
    }

    @Test
    void produceToAMissingTopicGetsUnknownTopicOrPartition() throws IOException {
        assertThat(produceError("no-such-topic", 0, Requests.records(3).buffer())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void produceToAMissingPartitionGetsUnknownTopicOrPartition() throws IOException {
        assertThat(produceError(healthy, 7, Requests.records(3).buffer())).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void acksZeroProduceThatFailsClosesTheConnection() throws IOException {
        // With acks=0 there is no response to carry the error, so Kafka closes the connection
        // to make the client refresh its metadata.
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            connection.send(RawKafkaConnection.frame(ApiKeys.PRODUCE, Requests.PRODUCE_V, 9,
                    Requests.produce("no-such-topic", 0, (short) 0, Requests.records(3))));
            assertThat(connection.closedByBroker(CLOSE_WAIT)).as("connection closed").isTrue();
        }
    }

    private static Errors produceError(String topic, int partition, ByteBuffer records) throws IOException {
        try (RawKafkaConnection connection = RawKafkaConnection.open(broker.bootstrap())) {
            ProduceResponse response = connection.request(ApiKeys.PRODUCE, Requests.PRODUCE_V,
                    Requests.produce(topic, partition, (short) -1, records));
            ProduceResponseData.PartitionProduceResponse partitionResponse =
                    response.data().responses().iterator().next().partitionResponses().get(0);
            assertThat(partitionResponse.index()).isEqualTo(partition);
            return Errors.forCode(partitionResponse.errorCode());
        }
    }

    /** Produces one record to partition 0 of the healthy topic and fetches it back. */
    private static void produceAndFetch(RawKafkaConnection connection) throws IOException {
        String value = "alive-" + System.nanoTime();
        MemoryRecords one = MemoryRecords.withRecords(org.apache.kafka.common.compress.Compression.NONE,
                new org.apache.kafka.common.record.internal.SimpleRecord(value.getBytes(StandardCharsets.UTF_8)));
        ProduceResponse produced = connection.request(ApiKeys.PRODUCE, Requests.PRODUCE_V,
                Requests.produce(healthy, 0, (short) -1, one));
        ProduceResponseData.PartitionProduceResponse ack = produced.data().responses().iterator().next().partitionResponses().get(0);
        assertThat(Errors.forCode(ack.errorCode())).as("produce to %s-0", healthy).isEqualTo(Errors.NONE);

        FetchResponse fetched = connection.request(ApiKeys.FETCH, Requests.FETCH_V, Requests.fetch(healthy, 0, ack.baseOffset()));
        FetchResponseData.PartitionData data = fetched.data().responses().get(0).partitions().get(0);
        assertThat(Errors.forCode(data.errorCode())).isEqualTo(Errors.NONE);
        Record first = ((MemoryRecords) data.records()).records().iterator().next();
        assertThat(first.offset()).isEqualTo(ack.baseOffset());
        assertThat(StandardCharsets.UTF_8.decode(first.value()).toString()).isEqualTo(value);
    }

    private static long latestOffset(RawKafkaConnection connection, int partition) throws IOException {
        ListOffsetsResponse response = connection.request(ApiKeys.LIST_OFFSETS, Requests.LIST_OFFSETS_V,
                Requests.latestOffset(healthy, partition));
        var partitionResponse = response.data().topics().get(0).partitions().get(0);
        assertThat(Errors.forCode(partitionResponse.errorCode())).isEqualTo(Errors.NONE);
        return partitionResponse.offset();
    }

    /**
     * Asserts that the broker log, after this test began, gains a line matching the pattern for
     * this broker (case-insensitive); null means this broker is not expected to log the case.
     * Polls briefly (a hang guard) since logging may trail the close.
     */
    private void assertLogNames(String runnelPattern, String kafkaPattern) {
        if (broker.isExternal()) return;
        String regex = broker.kind() == BrokerKind.RUNNEL ? runnelPattern : kafkaPattern;
        if (regex == null) return;
        Pattern pattern = Pattern.compile("(?i)" + regex);
        Instant deadline = Instant.now().plusSeconds(10);
        String log;
        do {
            log = broker.logSince(logMark);
            if (log.lines().anyMatch(l -> pattern.matcher(l).find())) return;
            sleep(100);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("the broker log has no line matching /" + pattern + "/ after the bad input; it gained:\n"
                + (log.length() > 4000 ? log.substring(log.length() - 4000) : log) + "\n(log: " + broker.logFile() + ")");
    }

}
