package io.runnel.broker.partition;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

/**
 * How a partition leader proposes a new ISR to the active controller (AlterPartition). The
 * proposal names the leader and partition epochs it was made in, so the controller refuses it
 * once either moved on. Completes with the controller's error code (NONE when committed); the new
 * ISR itself reaches the leader through the metadata log, like every change.
 */
@FunctionalInterface
public interface IsrChangeSender {
    CompletableFuture<Errors> alterIsr(TopicPartition partition, Uuid topicId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr);
}
