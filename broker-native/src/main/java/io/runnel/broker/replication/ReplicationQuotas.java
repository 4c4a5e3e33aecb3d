package io.runnel.broker.replication;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * Kafka's replication throttles, as {@code kafka-reassign-partitions --throttle} sets them: a
 * broker's {@code leader.replication.throttled.rate} caps the bytes it serves to followers that
 * are not in the ISR, and {@code follower.replication.throttled.rate} the bytes it fetches while
 * not in the ISR, each only for the replicas a topic lists in
 * {@code leader/follower.replication.throttled.replicas} ({@code partition:broker,...} or
 * {@code *}). Replicas in the ISR are never throttled: throttles slow catching up, not keeping up.
 *
 * <p>Threading: {@link #update} from the metadata thread; the rate checks from event loops and
 * fetcher threads (each {@link Quota} is synchronized; the throttled sets are swapped whole).
 */
public final class ReplicationQuotas {
    public static final String LEADER_RATE = "leader.replication.throttled.rate";
    public static final String FOLLOWER_RATE = "follower.replication.throttled.rate";
    public static final String LEADER_REPLICAS = "leader.replication.throttled.replicas";
    public static final String FOLLOWER_REPLICAS = "follower.replication.throttled.replicas";

    private final int brokerId;
    private final Quota leader = new Quota();
    private final Quota follower = new Quota();

    public ReplicationQuotas(int brokerId) {
        this.brokerId = brokerId;
    }

    public Quota leader() {
        return leader;
    }

    public Quota follower() {
        return follower;
    }

    /** Takes this broker's rates (its own dynamic config, else the cluster default) and the topics' throttled replicas. */
    public void update(MetadataImage image) {
        leader.configure(rate(image, LEADER_RATE), throttled(image, LEADER_REPLICAS));
        follower.configure(rate(image, FOLLOWER_RATE), throttled(image, FOLLOWER_REPLICAS));
    }

    private long rate(MetadataImage image, String key) {
        String value = image.brokerConfigs(Integer.toString(brokerId)).get(key);
        if (value == null) value = image.brokerConfigs("").get(key);
        return value == null ? Long.MAX_VALUE : Long.parseLong(value.trim());
    }

    private Set<TopicPartition> throttled(MetadataImage image, String key) {
        Set<TopicPartition> throttled = new HashSet<>();
        for (TopicImage topic : image.topicsByName().values()) {
            String value = topic.configs().get(key);
            if (value == null || value.isBlank()) continue;
            for (String entry : value.split(",")) {
                String e = entry.trim();
                if (e.equals("*")) {
                    for (int p : topic.partitions().keySet()) throttled.add(new TopicPartition(topic.name(), p));
                    continue;
                }
                int colon = e.indexOf(':');
                if (colon < 0) continue;
                try {
                    if (Integer.parseInt(e.substring(colon + 1).trim()) == brokerId)
                        throttled.add(new TopicPartition(topic.name(), Integer.parseInt(e.substring(0, colon).trim())));
                } catch (NumberFormatException ignored) {
                    // validated when set; an odd entry throttles nothing
                }
            }
        }
        return throttled;
    }

    /**
     * One direction's throttle: which partitions it applies to, and the rate of bytes moved for
     * them over the last {@value #WINDOWS} one-second windows (as Kafka's quota samples).
     */
    public static final class Quota {
        static final int WINDOWS = 10;
        private volatile Set<TopicPartition> throttled = Set.of();
        private volatile long bytesPerSecond = Long.MAX_VALUE;
        private final Map<Long, Long> bytesBySecond = new HashMap<>();

        void configure(long rate, Set<TopicPartition> partitions) {
            bytesPerSecond = rate;
            throttled = Set.copyOf(partitions);
        }

        public boolean isThrottled(TopicPartition tp) {
            return bytesPerSecond != Long.MAX_VALUE && throttled.contains(tp);
        }

        /** Whether the bytes recorded lately exceed the rate. */
        public synchronized boolean isExceeded(long nowMs) {
            long limit = bytesPerSecond;
            if (limit == Long.MAX_VALUE) return false;
            long second = nowMs / 1000;
            bytesBySecond.keySet().removeIf(s -> s <= second - WINDOWS);
            long total = 0;
            for (long bytes : bytesBySecond.values()) total += bytes;
            return total > limit * WINDOWS || bytesBySecond.getOrDefault(second, 0L) > limit;
        }

        public synchronized void record(long bytes, long nowMs) {
            if (bytes > 0) bytesBySecond.merge(nowMs / 1000, bytes, Long::sum);
        }
    }
}
