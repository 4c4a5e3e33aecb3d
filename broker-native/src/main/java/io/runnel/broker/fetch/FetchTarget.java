package io.runnel.broker.fetch;

import org.apache.kafka.common.Uuid;

/**
 * One partition a fetch reads, and from where: a partition of a full fetch request, or one a fetch
 * session holds. The topic is named by id from Fetch v13 on ({@code topic} then empty) and by name
 * before ({@code topicId} then {@link Uuid#ZERO_UUID}). Immutable.
 *
 * @param partitionMaxBytes  the most this partition may contribute to one response
 * @param currentLeaderEpoch the leader epoch the client believes current (-1: unknown), fenced as in KIP-320
 */
public record FetchTarget(Uuid topicId, String topic, int partition, long fetchOffset, int partitionMaxBytes, int currentLeaderEpoch) {

    /** Which partition of which topic, as a session keys it. */
    public Key key() {
        return new Key(topicId, topic, partition);
    }

    /** A partition as a fetch session knows it: topic id (v13+) or name (before), and index. */
    public record Key(Uuid topicId, String topic, int partition) {}
}
