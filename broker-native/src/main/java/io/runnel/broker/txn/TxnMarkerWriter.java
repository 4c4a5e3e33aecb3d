package io.runnel.broker.txn;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.log.AppendOrigin;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;

/**
 * Writes one transaction marker into a partition this broker leads, as Kafka's WriteTxnMarkers
 * does: a COMMIT or ABORT control batch appended with the coordinator's authority, answered once
 * the whole ISR has it (markers are written with acks=all), and for a {@code __consumer_offsets}
 * partition handed on to the group coordinator, which makes the transaction's offsets visible or
 * drops them. Stateless; any thread.
 */
public final class TxnMarkerWriter {
    private static final Logger LOG = Logger.getLogger(TxnMarkerWriter.class);
    /** How long a marker waits for the ISR; Kafka uses its request timeout. */
    static final long MARKER_REPLICATION_TIMEOUT_MS = 30_000;

    /** The group coordinator's side of a transaction that ended in one of its partitions. */
    @FunctionalInterface
    public interface OffsetsCompletion {
        CompletableFuture<Void> completeTransaction(TopicPartition offsetsPartition, long producerId, short producerEpoch, boolean commit);
    }

    private final int localBrokerId;
    private final java.util.function.Supplier<MetadataImage> image;
    private final ReplicaManager replicas;
    private final OffsetsCompletion offsets;
    private final Time time;

    public TxnMarkerWriter(int localBrokerId, java.util.function.Supplier<MetadataImage> image, ReplicaManager replicas,
                           OffsetsCompletion offsets, Time time) {
        this.localBrokerId = localBrokerId;
        this.image = image;
        this.replicas = replicas;
        this.offsets = offsets;
        this.time = time;
    }

    /** Whether this broker leads {@code tp} as of the latest metadata (the marker then goes straight to its log). */
    public boolean leads(TopicPartition tp) {
        TopicImage topic = image.get().topic(tp.topic());
        return topic != null && tp.partition() < topic.partitionCount() && topic.partition(tp.partition()).leader() == localBrokerId;
    }

    public CompletableFuture<Errors> write(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit, TopicPartition tp) {
        TopicImage topic = image.get().topic(tp.topic());
        if (topic == null || tp.partition() < 0 || tp.partition() >= topic.partitionCount())
            return CompletableFuture.completedFuture(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        Partition partition = replicas.partition(tp);
        if (topic.partition(tp.partition()).leader() != localBrokerId || partition == null)
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        MemoryRecords marker = MemoryRecords.withEndTransactionMarker(time.milliseconds(), producerId, producerEpoch,
                new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, coordinatorEpoch));
        return partition.appendRecordsToLeader(marker, AppendOrigin.COORDINATOR).thenCompose(appended -> {
            if (appended.error() != Errors.NONE) {
                LOG.infof("%s marker of producer %d (epoch %d) refused by %s: %s %s", commit ? "COMMIT" : "ABORT", producerId, producerEpoch, tp,
                        appended.error().name(), appended.errorMessage());
                return CompletableFuture.completedFuture(appended.error());
            }
            return partition.awaitHighWatermark(appended.baseOffset() + 1, MARKER_REPLICATION_TIMEOUT_MS);
        }).thenCompose(error -> {
            if (error != Errors.NONE || !tp.topic().equals(GroupConfig.OFFSETS_TOPIC)) return CompletableFuture.completedFuture(error);
            return offsets.completeTransaction(tp, producerId, producerEpoch, commit).handle((v, failure) -> {
                if (failure == null) return Errors.NONE;
                LOG.errorf(failure, "Completing the transaction of producer %d in %s failed", producerId, tp);
                return Errors.UNKNOWN_SERVER_ERROR;
            });
        });
    }
}
