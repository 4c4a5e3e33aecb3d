package io.runnel.broker.metrics;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

import org.apache.kafka.common.TopicPartition;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.PartitionImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * Gauges about the partitions this broker hosts and the disks they live on: per partition its log
 * size, start and end offsets and segment count; per log dir the bytes its partitions use and the
 * file system's free and total bytes; the number of partitions hosted and led. Every value is read
 * at scrape time through suppliers that are safe from any thread (volatile fields of the partition,
 * the metadata image, the file system); gauges hold them strongly, as nothing else does. Threading: open/close from the metadata thread; scrapes
 * from the HTTP thread.
 */
public final class PartitionMetrics {
    /** What a partition's gauges read; {@code logDir} is the {@code log.dirs} entry holding it. */
    private record Hosted(Path logDir, LongSupplier sizeBytes, List<Gauge> gauges) {}

    private final MeterRegistry registry;
    private final ConcurrentHashMap<TopicPartition, Hosted> hosted = new ConcurrentHashMap<>();

    PartitionMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void opened(TopicPartition tp, LongSupplier sizeBytes, LongSupplier logStartOffset, LongSupplier logEndOffset, LongSupplier segments,
                Path logDir) {
        Path dir = logDir.toAbsolutePath().normalize();
        List<Gauge> gauges = new ArrayList<>();
        gauges.add(partitionGauge("runnel.log.size", "Size of a partition's log segments on disk", "bytes", tp, sizeBytes::getAsLong));
        gauges.add(partitionGauge("runnel.log.start.offset", "The partition's first offset still in the log", null, tp, logStartOffset::getAsLong));
        gauges.add(partitionGauge("runnel.log.end.offset", "The offset the partition's next appended record gets", null, tp, logEndOffset::getAsLong));
        gauges.add(partitionGauge("runnel.log.segments", "Segments of the partition's log", null, tp, segments::getAsLong));
        Hosted previous = hosted.put(tp, new Hosted(dir, sizeBytes, gauges));
        if (previous != null) previous.gauges().stream().filter(g -> !gauges.contains(g)).forEach(registry::remove);
    }

    void closed(TopicPartition tp) {
        Hosted gone = hosted.remove(tp);
        if (gone != null) gone.gauges().forEach(registry::remove);
    }

    /** Per log dir: bytes used by its partitions, and its file system's usable and total bytes. */
    void logDirs(List<Path> logDirs) {
        for (Path configured : logDirs) {
            Path dir = configured.toAbsolutePath().normalize();
            dirGauge("runnel.log.dir.used", "Bytes of the partition logs in this log dir", dir, d -> usedBytes(d));
            dirGauge("runnel.log.dir.free", "Bytes the broker can still write on the log dir's file system", dir,
                    d -> fileStore(d, FileStoreSpace.USABLE));
            dirGauge("runnel.log.dir.total", "Size of the log dir's file system", dir, d -> fileStore(d, FileStoreSpace.TOTAL));
        }
    }

    /** Partitions with a replica on {@code nodeId}, and those it leads, per the current metadata image. */
    void leadership(int nodeId, Supplier<MetadataImage> image) {
        Gauge.builder("runnel.partitions", image, i -> countPartitions(i.get(), nodeId, false))
                .description("Partitions with a replica on this broker").strongReference(true).register(registry);
        Gauge.builder("runnel.leader.partitions", image, i -> countPartitions(i.get(), nodeId, true))
                .description("Partitions this broker leads").strongReference(true).register(registry);
    }

    /**
     * Replication health, as Kafka reports it: partitions this broker leads whose ISR is smaller
     * than their replica set (under-replicated); on the active controller only, partitions with no
     * leader at all (offline) and a 1 for being the active controller.
     */
    void replication(int nodeId, Supplier<MetadataImage> image, java.util.function.BooleanSupplier activeController) {
        Gauge.builder("runnel.partitions.under.replicated", image, i -> underReplicated(i.get(), nodeId))
                .description("Partitions this broker leads whose ISR is smaller than their replica set").strongReference(true).register(registry);
        Gauge.builder("runnel.partitions.offline", image, i -> activeController.getAsBoolean() ? offline(i.get()) : 0)
                .description("Partitions without a leader (reported by the active controller; 0 elsewhere)").strongReference(true).register(registry);
        Gauge.builder("runnel.controller.active", activeController, a -> a.getAsBoolean() ? 1 : 0)
                .description("1 on the active controller (the metadata quorum's leader), else 0").strongReference(true).register(registry);
    }

    static double underReplicated(MetadataImage image, int nodeId) {
        int count = 0;
        for (TopicImage topic : image.topicsByName().values())
            for (PartitionImage p : topic.partitions().values()) if (p.leader() == nodeId && p.isr().size() < p.replicas().size()) count++;
        return count;
    }

    static double offline(MetadataImage image) {
        int count = 0;
        for (TopicImage topic : image.topicsByName().values())
            for (PartitionImage p : topic.partitions().values()) if (p.leader() < 0) count++;
        return count;
    }

    static double countPartitions(MetadataImage image, int nodeId, boolean ledOnly) {
        int count = 0;
        for (TopicImage topic : image.topicsByName().values()) {
            for (PartitionImage p : topic.partitions().values()) {
                if (ledOnly ? p.leader() == nodeId : p.replicas().contains(nodeId)) count++;
            }
        }
        return count;
    }

    private Gauge partitionGauge(String name, String description, String baseUnit, TopicPartition tp, DoubleSupplier value) {
        return Gauge.builder(name, value, DoubleSupplier::getAsDouble).description(description).baseUnit(baseUnit).strongReference(true)
                .tags("topic", tp.topic(), "partition", Integer.toString(tp.partition())).register(registry);
    }

    private void dirGauge(String name, String description, Path dir, ToDoubleFunction<Path> value) {
        Gauge.builder(name, dir, value).description(description).baseUnit("bytes").strongReference(true).tag("dir", dir.toString()).register(registry);
    }

    private double usedBytes(Path dir) {
        long sum = 0;
        for (Hosted h : hosted.values()) if (h.logDir().equals(dir)) sum += h.sizeBytes().getAsLong();
        return sum;
    }

    private enum FileStoreSpace { USABLE, TOTAL }

    private static double fileStore(Path dir, FileStoreSpace space) {
        try {
            FileStore store = Files.getFileStore(dir);
            return space == FileStoreSpace.USABLE ? store.getUsableSpace() : store.getTotalSpace();
        } catch (IOException e) {
            return Double.NaN; // the dir is gone or unreadable: no value rather than a wrong one
        }
    }
}
