package io.runnel.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.requests.FetchResponse;

/**
 * The record batches a partition holds, with the codec each is stored in, read two ways: as the
 * broker serves them ({@link #fetched}: raw Fetch requests from offset 0, the batches exactly as
 * they come over the wire, which clients never show) and as they lie in the broker's segment files
 * ({@link #onDisk}: {@code <topic>-<partition>/<base offset>.log} in Kafka's format, the layout
 * Runnel and Kafka share, opened with kafka-clients' {@link FileRecords}).
 */
public final class StoredBatches {
    /** A hang guard for {@link #fetched}: far more Fetch round trips than a test partition needs. */
    private static final int MAX_FETCHES = 1_000;

    private StoredBatches() {}

    /**
     * One batch: its codec, the batch header fields that recompression must carry over (max
     * timestamp, producer id, base sequence), and its records, decompressed.
     */
    public record Batch(long baseOffset, CompressionType compression, long maxTimestamp, long producerId, int baseSequence,
                        List<StoredRecord> records) {}

    /** One record of a batch; headers as "key=value" strings in order. */
    public record StoredRecord(long offset, long timestamp, String key, String value, List<String> headers) {}

    /** Every batch of the partition from offset 0 up to its high watermark, as Fetch returns them. */
    public static List<Batch> fetched(String bootstrap, String topic, int partition) {
        List<Batch> batches = new ArrayList<>();
        long next = 0;
        try (RawKafkaConnection connection = RawKafkaConnection.open(bootstrap)) {
            for (int fetches = 0; fetches < MAX_FETCHES; fetches++) {
                FetchResponse response = connection.request(ApiKeys.FETCH, Requests.FETCH_V, Requests.fetch(topic, partition, next));
                FetchResponseData.PartitionData data = response.data().responses().get(0).partitions().get(0);
                assertThat(Errors.forCode(data.errorCode())).as("Fetch %s-%d at offset %d", topic, partition, next)
                        .isEqualTo(Errors.NONE);
                for (RecordBatch batch : FetchResponse.recordsOrFail(data).batches()) {
                    if (batch.lastOffset() < next) continue; // a batch already seen, served again
                    batches.add(batch(batch));
                    next = batch.nextOffset();
                }
                if (next >= data.highWatermark()) return batches;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("fetching " + topic + "-" + partition + " from " + bootstrap, e);
        }
        throw new AssertionError("fetching " + topic + "-" + partition + " made no progress past offset " + next
                + " in " + MAX_FETCHES + " Fetch requests");
    }

    /** Every batch in the partition's segment files under a broker's data dir, segment by segment. */
    public static List<Batch> onDisk(Path dataDir, String topic, int partition) {
        Path partitionDir = dataDir.resolve(topic + "-" + partition);
        assertThat(partitionDir).as("the partition's directory in the broker's data dir").isDirectory();
        List<Batch> batches = new ArrayList<>();
        try (Stream<Path> files = Files.list(partitionDir)) {
            // Segment names are 20-digit zero-padded base offsets, so name order is log order.
            for (Path segment : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                try (FileRecords records = FileRecords.open(segment.toFile())) {
                    for (RecordBatch batch : records.batches()) batches.add(batch(batch));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the segments of " + partitionDir, e);
        }
        return batches;
    }

    /** The records of all batches, in log order. */
    public static List<StoredRecord> records(List<Batch> batches) {
        return batches.stream().flatMap(b -> b.records().stream()).toList();
    }

    private static Batch batch(RecordBatch batch) {
        batch.ensureValid(); // the CRC covers the compressed bytes as stored
        List<StoredRecord> records = new ArrayList<>();
        for (Record record : batch) {
            List<String> headers = Arrays.stream(record.headers())
                    .map(h -> h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8)).collect(Collectors.toList());
            records.add(new StoredRecord(record.offset(), record.timestamp(), text(record.key()), text(record.value()), headers));
        }
        return new Batch(batch.baseOffset(), batch.compressionType(), batch.maxTimestamp(), batch.producerId(),
                batch.baseSequence(), records);
    }

    private static String text(ByteBuffer buffer) {
        return buffer == null ? null : StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
    }
}
