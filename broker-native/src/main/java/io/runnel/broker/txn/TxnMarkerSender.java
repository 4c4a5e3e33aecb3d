package io.runnel.broker.txn;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * How the transaction coordinator ends a transaction in the data partitions: writes a COMMIT or
 * ABORT control batch for {@code producerId} at {@code producerEpoch} to each partition's current
 * leader (this broker's own log, or WriteTxnMarkers to the broker that leads it). Completes with
 * one error per partition; NONE means the marker is in that leader's log. Retrying the failed
 * partitions is the caller's job (markers are idempotent per epoch for the coordinator's purpose).
 * Any thread may call; the future completes on an arbitrary thread.
 */
public interface TxnMarkerSender {
    CompletableFuture<Map<TopicPartition, Errors>> writeMarkers(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                                               Collection<TopicPartition> partitions);
}
