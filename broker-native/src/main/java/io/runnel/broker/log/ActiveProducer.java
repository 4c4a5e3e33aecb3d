package io.runnel.broker.log;

/**
 * One producer's state in one partition as DescribeProducers reports it: epoch, last sequence
 * (-1 if none in this epoch), last write time, the epoch of the coordinator that last ended one
 * of its transactions (-1 if none) and the first offset of its open transaction (-1 if none). Immutable.
 */
public record ActiveProducer(long producerId, int producerEpoch, int lastSequence, long lastTimestampMs, int coordinatorEpoch,
                             long currentTxnStartOffset) {}
