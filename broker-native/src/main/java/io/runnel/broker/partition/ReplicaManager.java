package io.runnel.broker.partition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.TopicConfigs;
import io.runnel.broker.log.LogManager;
import io.runnel.broker.log.PartitionLog;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.MetadataListener;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;
import io.runnel.broker.metrics.BrokerMetrics;

/**
 * The partitions this broker hosts, kept in step with the metadata image: a partition that the
 * image assigns here gets a log (recovered from disk or new); one the image no longer has is closed
 * and its files deleted; logs on disk that the image does not know are strays and are deleted.
 *
 * <p>Threading: {@link #onImage} runs on the metadata thread, excluded from {@link #close} by this
 * object's lock; lookups come from event loops and read a concurrent map. Each {@link Partition} does its own disk work on its own I/O thread.
 */
public final class ReplicaManager implements MetadataListener, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ReplicaManager.class);

    private final BrokerConfig config;
    private final LogManager logManager;
    private final IoThreadPool ioThreads;
    private final FetchPurgatory purgatory;
    private final BrokerMetrics metrics;
    private final Time time;
    private final ConcurrentHashMap<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    /** Logs found on disk at start, claimed by the first image; what is left over is stray. */
    private Map<TopicPartition, PartitionLog> recoveredLogs = new HashMap<>();
    private boolean logsLoaded;
    private boolean closed;
    private volatile int underMinIsr;
    private final IsrChangeSender isrChanges;
    private final Followers followers;

    /** A replica this broker follows, and whom at which leader epoch, as of one image. */
    public record Followed(Partition partition, int leaderId, int leaderEpoch) {}

    /** Receives, after every image, the complete set of replicas this broker follows (the fetchers). */
    @FunctionalInterface
    public interface Followers {
        void follow(Map<TopicPartition, Followed> followed, MetadataImage image);
    }

    /** A broker without replication (a quorum of one): every partition is led here, with no followers. */
    public ReplicaManager(BrokerConfig config, LogManager logManager, IoThreadPool ioThreads, FetchPurgatory purgatory,
                          BrokerMetrics metrics, Time time) {
        this(config, logManager, ioThreads, purgatory, metrics, time, null, (followed, image) -> { });
    }

    /**
     * @param isrChanges where partition leaders propose ISR changes; null when they cannot happen
     * @param followers  who fetches for the replicas this broker follows
     */
    public ReplicaManager(BrokerConfig config, LogManager logManager, IoThreadPool ioThreads, FetchPurgatory purgatory,
                          BrokerMetrics metrics, Time time, IsrChangeSender isrChanges, Followers followers) {
        this.isrChanges = isrChanges;
        this.followers = followers;
        this.metrics = metrics;
        this.config = config;
        this.logManager = logManager;
        this.ioThreads = ioThreads;
        this.purgatory = purgatory;
        this.time = time;
    }

    /** Loads every partition log on disk (crash recovery runs here) with the configs of the first image. */
    private void loadLogs(MetadataImage image) {
        logsLoaded = true;
        recoveredLogs = new HashMap<>(logManager.loadLogs(tp -> {
            TopicImage topic = image.topic(tp.topic());
            return TopicConfigs.toLogConfig(topic == null ? Map.of() : topic.configs(), image.brokerConfig(config));
        }));
        LOG.infof("Loaded %d partition log(s) from %s", recoveredLogs.size(), config.logDirs());
    }

    public Partition partition(TopicPartition tp) {
        return partitions.get(tp);
    }

    public Collection<Partition> partitions() {
        return partitions.values();
    }

    public FetchPurgatory purgatory() {
        return purgatory;
    }

    @Override
    public synchronized void onImage(MetadataImage previous, MetadataImage current) {
        if (closed) return; // an image published while the broker stops must not reopen what close() closed
        if (!logsLoaded) loadLogs(current);
        // A dynamic broker config (kafka-configs --entity-type brokers) changes every topic's defaults.
        var brokerConfig = current.brokerConfig(config);
        boolean brokerDefaultsChanged = !previous.brokerConfigs("").equals(current.brokerConfigs(""))
                || !previous.brokerConfigs(Integer.toString(config.nodeId())).equals(current.brokerConfigs(Integer.toString(config.nodeId())));
        Map<TopicPartition, Followed> followed = new HashMap<>();
        for (TopicImage topic : current.topicsByName().values()) {
            TopicImage topicBefore = previous.topic(topic.name());
            for (PartitionImage p : topic.partitions().values()) {
                if (!p.replicas().contains(config.nodeId())) continue;
                TopicPartition tp = new TopicPartition(topic.name(), p.partitionId());
                Partition existing = partitions.get(tp);
                Partition hosted;
                if (existing != null && existing.topicId().equals(topic.id())) {
                    hosted = existing;
                    PartitionImage before = topicBefore == null ? null : topicBefore.partition(p.partitionId());
                    if (!p.equals(before)) {
                        existing.applyLeadership(p.replicas(), p.isr(), p.leader(), p.leaderEpoch(), p.partitionEpoch());
                        if (before != null && p.leader() == config.nodeId() && before.leader() == config.nodeId() && p.isr().size() != before.isr().size())
                            metrics.isrChanged(p.isr().size() > before.isr().size());
                    }
                    if (brokerDefaultsChanged || topicBefore != null && !topicBefore.configs().equals(topic.configs())) {
                        existing.updateConfig(TopicConfigs.toLogConfig(topic.configs(), brokerConfig));
                    }
                } else {
                    if (existing != null) removePartition(tp);
                    hosted = openPartition(topic, p, tp, brokerConfig);
                    partitions.put(tp, hosted);
                    metrics.partitionOpened(tp, hosted::sizeInBytes, hosted::logStartOffset, hosted::logEndOffset, hosted::segmentCount, hosted.logDir());
                }
                if (p.leader() != config.nodeId() && p.leader() >= 0) followed.put(tp, new Followed(hosted, p.leader(), p.leaderEpoch()));
            }
        }
        for (TopicPartition tp : new ArrayList<>(partitions.keySet())) {
            TopicImage topic = current.topic(tp.topic());
            Partition partition = partitions.get(tp);
            boolean gone = topic == null || !topic.id().equals(partition.topicId()) || topic.partition(tp.partition()) == null
                    || !topic.partition(tp.partition()).replicas().contains(config.nodeId());
            if (gone) removePartition(tp);
        }
        deleteStrayLogs();
        followers.follow(followed, current);
        underMinIsr = countUnderMinIsr(current);
    }

    /** Partitions this broker leads whose ISR is smaller than their topic's min.insync.replicas: acks=all is refused there. */
    private int countUnderMinIsr(MetadataImage image) {
        var brokerConfig = image.brokerConfig(config);
        int count = 0;
        for (TopicImage topic : image.topicsByName().values()) {
            int minIsr = -1;
            for (PartitionImage p : topic.partitions().values()) {
                if (p.leader() != config.nodeId()) continue;
                if (minIsr < 0) minIsr = Integer.parseInt(TopicConfigs.effective(topic.configs(), brokerConfig).get("min.insync.replicas"));
                if (p.isr().size() < minIsr) count++;
            }
        }
        return count;
    }

    /** As of the last image: led partitions with an ISR below min.insync.replicas. Any thread. */
    public int underMinIsrPartitions() {
        return underMinIsr;
    }

    /** Leaders drop ISR members that fell behind for {@code replica.lag.time.max.ms}; periodic. */
    public void maybeShrinkIsrs() {
        for (Partition p : partitions.values()) p.maybeShrinkIsr(config.cluster().replicaLagTimeMaxMs());
    }

    private Partition openPartition(TopicImage topic, PartitionImage p, TopicPartition tp, io.runnel.broker.config.EffectiveBrokerConfig brokerConfig) {
        PartitionLog log = recoveredLogs.remove(tp);
        Optional<Uuid> diskTopicId = logManager.topicId(tp);
        if (log != null && diskTopicId.isPresent() && !diskTopicId.get().equals(topic.id())) {
            // A log left by an earlier topic of the same name: it must not leak into the new one.
            LOG.infof("Deleting log of %s: it belongs to topic id %s, not %s", tp, diskTopicId.get(), topic.id());
            log.close();
            logManager.deleteLog(tp);
            log = null;
        }
        if (log == null) log = logManager.createLog(tp, topic.id(), TopicConfigs.toLogConfig(topic.configs(), brokerConfig));
        Partition partition = new Partition(tp, topic.id(), log, config.nodeId(), isrChanges, ioThreads.executorFor(tp), purgatory, time);
        partition.applyLeadership(p.replicas(), p.isr(), p.leader(), p.leaderEpoch(), p.partitionEpoch());
        LOG.debugf("Hosting %s (topic id %s) at leader epoch %d, log end offset %d", tp, topic.id(), p.leaderEpoch(), log.logEndOffset());
        return partition;
    }

    private void removePartition(TopicPartition tp) {
        Partition partition = partitions.remove(tp);
        if (partition == null) return;
        metrics.partitionClosed(tp);
        LOG.infof("Deleting partition %s", tp);
        purgatory.wake(tp); // waiting fetches re-check and see the partition gone
        try {
            // Wait (on the metadata thread, never an event loop) until the files are gone, so a
            // topic re-created with the same name right after can never meet the old directory.
            partition.close(true).join();
        } finally {
            logManager.forget(tp);
        }
    }

    private void deleteStrayLogs() {
        if (recoveredLogs.isEmpty()) return;
        for (Map.Entry<TopicPartition, PartitionLog> e : recoveredLogs.entrySet()) {
            LOG.infof("Deleting stray log %s: the metadata log has no such partition on this broker", e.getKey());
            e.getValue().close();
            logManager.deleteLog(e.getKey());
        }
        recoveredLogs = new HashMap<>();
    }

    /** Runs time-based rolls and retention on every partition (each on its own thread). */
    public void runRetention() {
        long now = time.milliseconds();
        partitions.values().forEach(p -> p.runRetention(now));
    }

    /** Closes every partition's log on its own thread and waits. */
    @Override
    public synchronized void close() {
        closed = true;
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (Partition p : partitions.values()) closing.add(p.close(false));
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).join();
        partitions.clear();
    }
}
