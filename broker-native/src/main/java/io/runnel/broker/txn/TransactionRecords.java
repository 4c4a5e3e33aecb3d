package io.runnel.broker.txn;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.coordinator.transaction.generated.TransactionLogKey;
import org.apache.kafka.coordinator.transaction.generated.TransactionLogValue;

/**
 * The records of {@code __transaction_state}, byte for byte as Kafka writes them at transaction
 * version 0/1, so that Kafka's tools read a Runnel transaction log and the other way round: the
 * key is a 2-byte record type (0, the only one) followed by {@code TransactionLogKey} v0; the value
 * a 2-byte version followed by {@code TransactionLogValue} at that version (Runnel writes v0, reads
 * v0 and v1); a null value is a tombstone, written when an id expires. The partitions are null in
 * an Empty value, as Kafka writes it. Stateless.
 */
final class TransactionRecords {
    /** Kafka's value version below transaction version 2 (v1, flexible, carries KIP-890's tagged fields). */
    static final short VALUE_VERSION = 0;
    static final short KEY_TYPE = 0;

    private TransactionRecords() {}

    /** One decoded record: the id, and its metadata or null for a tombstone. */
    record Decoded(String transactionalId, TransactionMetadata metadata) {}

    static byte[] key(String transactionalId) {
        return MessageUtil.toCoordinatorTypePrefixedBytes(new TransactionLogKey().setTransactionalId(transactionalId));
    }

    static byte[] value(TransactionMetadata m) {
        if (m.state() == TransactionState.DEAD || m.state() == TransactionState.PREPARE_EPOCH_FENCE)
            throw new IllegalStateException(m.transactionalId() + ": " + m.state().kafkaName() + " is never written");
        TransactionLogValue value = new TransactionLogValue().setProducerId(m.producerId()).setProducerEpoch(m.producerEpoch())
                .setTransactionTimeoutMs(m.timeoutMs()).setTransactionStatus(m.state().id())
                .setTransactionLastUpdateTimestampMs(m.lastUpdateTimestampMs()).setTransactionStartTimestampMs(m.startTimestampMs())
                .setTransactionPartitions(m.state() == TransactionState.EMPTY ? null : partitionsByTopic(m.partitions()));
        return MessageUtil.toVersionPrefixedBytes(VALUE_VERSION, value);
    }

    private static List<TransactionLogValue.PartitionsSchema> partitionsByTopic(Set<TopicPartition> partitions) {
        Map<String, List<Integer>> byTopic = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition());
        List<TransactionLogValue.PartitionsSchema> schemas = new ArrayList<>();
        byTopic.forEach((topic, ids) -> schemas.add(new TransactionLogValue.PartitionsSchema().setTopic(topic).setPartitionIds(ids)));
        return schemas;
    }

    /** Decodes one record; throws on bytes Kafka's transaction coordinator could not have written. */
    static Decoded decode(Record record) {
        if (!record.hasKey()) throw new IllegalStateException("record without a key at offset " + record.offset());
        ByteBuffer key = record.key();
        short type = key.getShort();
        if (type != KEY_TYPE) throw new IllegalStateException("unknown record type " + type + " at offset " + record.offset());
        String transactionalId = new TransactionLogKey(new ByteBufferAccessor(key), (short) 0).transactionalId();
        if (!record.hasValue()) return new Decoded(transactionalId, null);
        ByteBuffer buffer = record.value();
        short version = buffer.getShort();
        if (version < TransactionLogValue.LOWEST_SUPPORTED_VERSION || version > TransactionLogValue.HIGHEST_SUPPORTED_VERSION)
            throw new IllegalStateException("unknown value version " + version + " at offset " + record.offset());
        TransactionLogValue v = new TransactionLogValue(new ByteBufferAccessor(buffer), version);
        Set<TopicPartition> partitions = new LinkedHashSet<>();
        if (v.transactionPartitions() != null) {
            for (TransactionLogValue.PartitionsSchema p : v.transactionPartitions()) {
                for (int id : p.partitionIds()) partitions.add(new TopicPartition(p.topic(), id));
            }
        }
        TransactionState state = TransactionState.fromId(v.transactionStatus());
        return new Decoded(transactionalId, new TransactionMetadata(transactionalId, v.producerId(),
                version >= 1 ? v.previousProducerId() : RecordBatch.NO_PRODUCER_ID, v.producerEpoch(), RecordBatch.NO_PRODUCER_EPOCH,
                v.transactionTimeoutMs(), state, partitions, v.transactionStartTimestampMs(), v.transactionLastUpdateTimestampMs()));
    }
}
