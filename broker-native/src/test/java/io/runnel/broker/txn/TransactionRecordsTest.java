package io.runnel.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.coordinator.transaction.generated.TransactionLogValue;
import org.junit.jupiter.api.Test;

/**
 * The {@code __transaction_state} format: what Runnel writes decodes to the same metadata, reads
 * as Kafka's own generated schemas read it (record type 0, value v0, null partitions when Empty),
 * and a v1 value written by a Kafka at transaction version 2 still loads.
 */
class TransactionRecordsTest {
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_3 = new TopicPartition("orders", 3);
    static final TopicPartition PAYMENTS_1 = new TopicPartition("payments", 1);

    static Record record(byte[] key, byte[] value) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(1L, key, value));
        return records.records().iterator().next();
    }

    @Test
    void anOngoingTransactionRoundTripsWithItsPartitionsGroupedByTopic() {
        TransactionMetadata ongoing = new TransactionMetadata("t1", 1000, -1, (short) 3, (short) -1, 60_000, TransactionState.ONGOING,
                Set.of(ORDERS_0, PAYMENTS_1, ORDERS_3), 1_700_000_000_000L, 1_700_000_000_500L);
        byte[] value = TransactionRecords.value(ongoing);

        TransactionRecords.Decoded decoded = TransactionRecords.decode(record(TransactionRecords.key("t1"), value));
        assertThat(decoded.transactionalId()).isEqualTo("t1");
        assertThat(decoded.metadata()).isEqualTo(ongoing);

        ByteBuffer buffer = ByteBuffer.wrap(value);
        assertThat(buffer.getShort()).isZero(); // value version 0, as Kafka below transaction version 2
        TransactionLogValue kafka = new TransactionLogValue(new ByteBufferAccessor(buffer), (short) 0);
        assertThat(kafka.transactionStatus()).isEqualTo((byte) 1);
        assertThat(kafka.transactionPartitions()).hasSize(2);
    }

    @Test
    void everyWritableStateRoundTrips() {
        for (TransactionState state : List.of(TransactionState.EMPTY, TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT,
                TransactionState.COMPLETE_COMMIT, TransactionState.COMPLETE_ABORT)) {
            Set<TopicPartition> partitions = state.isPrepare() ? Set.of(ORDERS_0) : Set.of();
            TransactionMetadata m = new TransactionMetadata("t-" + state, 5, -1, (short) 0, (short) -1, 1_000, state, partitions, -1, 42);
            assertThat(TransactionRecords.decode(record(TransactionRecords.key(m.transactionalId()), TransactionRecords.value(m))).metadata())
                    .isEqualTo(m);
        }
    }

    @Test
    void anEmptyIdIsWrittenWithNullPartitionsAsKafkaWritesIt() {
        TransactionMetadata empty = TransactionMetadata.fresh("t1", 7, 1_000, 5).initWithEpoch((short) 0, (short) -1, 1_000, 5);
        ByteBuffer buffer = ByteBuffer.wrap(TransactionRecords.value(empty));
        assertThat(new TransactionLogValue(new ByteBufferAccessor(buffer), buffer.getShort()).transactionPartitions()).isNull();
    }

    @Test
    void theKeyIsRecordTypeZeroThenTheId() {
        ByteBuffer key = ByteBuffer.wrap(TransactionRecords.key("t1"));
        assertThat(key.getShort()).isZero();
        assertThat(key.getShort()).isEqualTo((short) 2); // the string's length
    }

    @Test
    void aTombstoneDecodesToNoMetadata() {
        TransactionRecords.Decoded decoded = TransactionRecords.decode(record(TransactionRecords.key("gone"), null));
        assertThat(decoded.transactionalId()).isEqualTo("gone");
        assertThat(decoded.metadata()).isNull();
    }

    @Test
    void aVersionOneValueLoadsWithItsPreviousProducerId() {
        TransactionLogValue v1 = new TransactionLogValue().setProducerId(9).setPreviousProducerId(8).setProducerEpoch((short) 0)
                .setTransactionTimeoutMs(1_000).setTransactionStatus(TransactionState.COMPLETE_ABORT.id()).setTransactionPartitions(List.of())
                .setTransactionLastUpdateTimestampMs(3).setTransactionStartTimestampMs(2).setClientTransactionVersion((short) 2);
        TransactionMetadata m = TransactionRecords.decode(record(TransactionRecords.key("t1"), MessageUtil.toVersionPrefixedBytes((short) 1, v1))).metadata();
        assertThat(m.producerId()).isEqualTo(9);
        assertThat(m.previousProducerId()).isEqualTo(8);
        assertThat(m.state()).isEqualTo(TransactionState.COMPLETE_ABORT);
    }

    @Test
    void transitionsOutsideKafkasTableAreRefused() {
        TransactionMetadata empty = TransactionMetadata.fresh("t1", 7, 1_000, 5).initWithEpoch((short) 0, (short) -1, 1_000, 5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> empty.prepareEnd(true, 6)).isInstanceOf(IllegalStateException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> empty.complete(6)).isInstanceOf(IllegalStateException.class);
        TransactionMetadata ongoing = empty.addPartitions(List.of(ORDERS_0), 6);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ongoing.dead(7)).isInstanceOf(IllegalStateException.class);
        assertThat(ongoing.prepareFencedAbort(7).producerEpoch()).isEqualTo((short) 1);
        assertThat(ongoing.prepareFencedAbort(7).state()).isEqualTo(TransactionState.PREPARE_ABORT);
    }
}
