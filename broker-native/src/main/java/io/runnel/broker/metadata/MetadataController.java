package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.jboss.logging.Logger;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.config.TopicConfigs;

/**
 * The controller: validates admin operations against the current image, turns them into metadata
 * records and appends them to the metadata log (the Raft quorum); once a batch is committed it is
 * applied to a new image, which is published to listeners — so nothing acts on an uncommitted
 * change. Batches committed by another node's controller are applied the same way.
 *
 * <p>Threading: every operation runs on the single metadata thread; callers get futures. The
 * current image may be read from any thread through {@link #image()}.
 */
public final class MetadataController implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MetadataController.class);
    /** Producer ids are handed out in blocks so that InitProducerId rarely touches the log. */
    public static final int PRODUCER_ID_BLOCK_SIZE = 1000;
    /** KRaft's cap on partitions created by one request: a guard against one request stalling the controller. */
    public static final int MAX_PARTITIONS_PER_REQUEST = 10_000;
    static final String TOO_MANY_PARTITIONS = "Excessively large number of partitions per request.";

    private final BrokerConfig config;
    private final MetadataLog log;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "runnel-metadata"));
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image;
    /** False while the log is replayed at start: listeners then get the replayed image in one go. */
    private boolean publishing;
    private long brokerEpoch = -1;

    public MetadataController(BrokerConfig config, String clusterId, MetadataLog log) {
        this.config = config;
        this.log = log;
        this.image = MetadataImage.empty(clusterId);
    }

    public MetadataImage image() {
        return image;
    }

    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    /**
     * Replays the log into the image and publishes it once (listeners load their logs from it);
     * from then on every committed batch, this node's or another controller's, is applied and
     * published as it arrives.
     */
    public CompletableFuture<MetadataImage> start() {
        return submit(() -> {
            log.start(new MetadataLog.Applier() {
                @Override
                public void apply(List<ApiMessageAndVersion> records, long lastOffset) {
                    applyCommitted(records, lastOffset);
                }

                @Override
                public void reset() {
                    resetToSnapshot();
                }
            }, this::scheduleCatchUp);
            LOG.infof("Replayed metadata log to offset %d: %d topics", image.offset(), image.topicsByName().size());
            publishing = true;
            publish(MetadataImage.empty(image.clusterId()), image);
            return image;
        });
    }

    /** From the raft thread: commits are waiting. After close the metadata thread is gone, and so is the need. */
    private void scheduleCatchUp() {
        try {
            thread.execute(log::catchUp);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closing
        }
    }

    private void applyCommitted(List<ApiMessageAndVersion> records, long lastOffset) {
        MetadataImage previous = image;
        image = previous.apply(records, lastOffset);
        if (publishing) publish(previous, image);
    }

    private void resetToSnapshot() {
        MetadataImage previous = image;
        image = MetadataImage.empty(previous.clusterId());
        if (publishing) publish(previous, image);
    }

    /**
     * Registers this broker with the endpoints clients should use; called once its listeners are
     * bound, so that the advertised ports are real (port 0 resolved).
     */
    public CompletableFuture<Void> registerBroker(List<BrokerConfig.Listener> advertisedListeners) {
        return submit(() -> {
            registerBrokerNow(advertisedListeners);
            return null;
        });
    }

    private void registerBrokerNow(List<BrokerConfig.Listener> advertisedListeners) {
        brokerEpoch = log.endOffset();
        RegisterBrokerRecord record = new RegisterBrokerRecord()
                .setBrokerId(config.nodeId())
                .setIncarnationId(Uuid.randomUuid())
                .setBrokerEpoch(brokerEpoch)
                .setRack(config.rack().isBlank() ? null : config.rack())
                .setFenced(false);
        RegisterBrokerRecord.BrokerEndpointCollection endpoints = new RegisterBrokerRecord.BrokerEndpointCollection();
        for (BrokerConfig.Listener l : advertisedListeners) {
            endpoints.add(new RegisterBrokerRecord.BrokerEndpoint().setName(l.name()).setHost(l.host()).setPort(l.port())
                    .setSecurityProtocol(SecurityProtocol.PLAINTEXT.id));
        }
        record.setEndPoints(endpoints);
        commit(List.of(new ApiMessageAndVersion(record, (short) 0)));
    }

    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Creates topics; each topic succeeds or fails on its own, as in Kafka. */
    public CompletableFuture<List<TopicResult>> createTopics(List<TopicSpec> specs, boolean validateOnly) {
        return submit(() -> {
            List<TopicResult> results = new ArrayList<>();
            if (totalPartitions(specs) > MAX_PARTITIONS_PER_REQUEST) {
                // As KRaft: the whole request is refused before any topic is looked at.
                for (TopicSpec spec : specs) results.add(TopicResult.error(spec.name(), Errors.POLICY_VIOLATION, TOO_MANY_PARTITIONS));
                return results;
            }
            for (TopicSpec spec : specs) results.add(createTopic(spec, validateOnly));
            return results;
        });
    }

    private long totalPartitions(List<TopicSpec> specs) {
        long total = 0;
        for (TopicSpec spec : specs) {
            if (!spec.assignments().isEmpty()) total += spec.assignments().size();
            else if (spec.numPartitions() == -1) total += config.numPartitions();
            else if (spec.numPartitions() > 0) total += spec.numPartitions();
        }
        return total;
    }

    private TopicResult createTopic(TopicSpec spec, boolean validateOnly) {
        String name = spec.name();
        try {
            Topic.validate(name);
        } catch (InvalidTopicException e) {
            return TopicResult.error(name, Errors.INVALID_TOPIC_EXCEPTION, e.getMessage());
        }
        if (name.equals(Topic.CLUSTER_METADATA_TOPIC_NAME)) {
            // The metadata log's own directory is __cluster_metadata-0: a user topic of that name
            // would write into it. Kafka refuses it with this error too.
            return TopicResult.error(name, Errors.TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
        }
        if (image.topic(name) != null) return TopicResult.error(name, Errors.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
        for (String existing : image.topicsByName().keySet()) {
            if (Topic.hasCollision(name, existing))
                return TopicResult.error(name, Errors.INVALID_TOPIC_EXCEPTION,
                        "Topic '" + name + "' collides with existing topic: " + existing);
        }
        var configProblem = TopicConfigs.validate(spec.configs());
        if (configProblem.isPresent()) return TopicResult.error(name, Errors.INVALID_CONFIG, configProblem.get());

        Map<Integer, List<Integer>> assignment;
        if (!spec.assignments().isEmpty()) {
            if (spec.numPartitions() != -1 || spec.replicationFactor() != -1)
                return TopicResult.error(name, Errors.INVALID_REQUEST,
                        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
            var problem = validateAssignment(spec.assignments(), 0);
            if (problem != null) return TopicResult.error(name, Errors.INVALID_REPLICA_ASSIGNMENT, problem);
            assignment = new TreeMap<>(spec.assignments());
        } else {
            int partitions = spec.numPartitions() == -1 ? config.numPartitions() : spec.numPartitions();
            short rf = spec.replicationFactor() == -1 ? config.defaultReplicationFactor() : spec.replicationFactor();
            if (partitions <= 0) return TopicResult.error(name, Errors.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.");
            if (rf <= 0) return TopicResult.error(name, Errors.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value.");
            if (rf > image.brokers().size())
                return TopicResult.error(name, Errors.INVALID_REPLICATION_FACTOR, "Unable to replicate the partition " + rf
                        + " time(s): The target replication factor of " + rf + " cannot be reached because only "
                        + image.brokers().size() + " broker(s) are registered.");
            assignment = assign(0, partitions, rf);
        }
        List<ApiMessageAndVersion> records = new ArrayList<>();
        Uuid topicId = Uuid.randomUuid();
        records.add(new ApiMessageAndVersion(new TopicRecord().setName(name).setTopicId(topicId), (short) 0));
        spec.configs().forEach((k, v) -> records.add(configRecord(name, k, v.trim())));
        assignment.forEach((p, replicas) -> records.add(partitionRecord(topicId, p, replicas)));
        MetadataImage after = validateOnly ? image.apply(records, image.offset() + records.size()) : commit(records);
        return TopicResult.ok(name, after.topic(name));
    }

    private String validateAssignment(Map<Integer, List<Integer>> assignments, int firstPartition) {
        for (int p = firstPartition; p < firstPartition + assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas == null) return "Partitions must be numbered consecutively from " + firstPartition + ".";
            if (replicas.isEmpty()) return "The manual partition assignment includes an empty replica list.";
            if (replicas.stream().distinct().count() != replicas.size()) return "The manual partition assignment includes duplicate replicas.";
            for (int broker : replicas) {
                if (!image.brokers().containsKey(broker))
                    return "The manual partition assignment includes broker " + broker + ", but no such broker is registered.";
            }
        }
        return null;
    }

    /** Round-robin placement: partition p's replicas start at broker p mod n, leader first. */
    private Map<Integer, List<Integer>> assign(int firstPartition, int count, int replicationFactor) {
        List<Integer> brokers = new ArrayList<>(image.brokers().keySet());
        Map<Integer, List<Integer>> result = new TreeMap<>();
        for (int p = firstPartition; p < firstPartition + count; p++) {
            List<Integer> replicas = new ArrayList<>();
            for (int r = 0; r < replicationFactor; r++) replicas.add(brokers.get((p + r) % brokers.size()));
            result.put(p, replicas);
        }
        return result;
    }

    private static ApiMessageAndVersion partitionRecord(Uuid topicId, int partition, List<Integer> replicas) {
        return new ApiMessageAndVersion(new PartitionRecord()
                .setTopicId(topicId)
                .setPartitionId(partition)
                .setReplicas(replicas)
                .setIsr(replicas)
                .setLeader(replicas.get(0))
                .setLeaderEpoch(0)
                .setPartitionEpoch(0), (short) 0);
    }

    private static ApiMessageAndVersion configRecord(String topic, String key, String value) {
        return new ApiMessageAndVersion(new ConfigRecord().setResourceType(ConfigResource.Type.TOPIC.id())
                .setResourceName(topic).setName(key).setValue(value), (short) 0); // null value: remove the override
    }

    /** Deletes topics by name. */
    public CompletableFuture<List<TopicResult>> deleteTopics(List<String> names) {
        return submit(() -> {
            List<TopicResult> results = new ArrayList<>();
            for (String name : names) {
                TopicImage topic = image.topic(name);
                if (topic == null) {
                    results.add(TopicResult.error(name, Errors.UNKNOWN_TOPIC_OR_PARTITION, "This server does not host this topic-partition."));
                } else if (!config.deleteTopicEnable()) {
                    results.add(TopicResult.error(name, Errors.TOPIC_DELETION_DISABLED, "Topic deletion is disabled."));
                } else {
                    commit(List.of(new ApiMessageAndVersion(new RemoveTopicRecord().setTopicId(topic.id()), (short) 0)));
                    results.add(TopicResult.ok(name, topic));
                }
            }
            return results;
        });
    }

    /** Grows a topic to {@code newCount} partitions; shrinking is refused as in Kafka. */
    public CompletableFuture<TopicResult> createPartitions(String name, int newCount, List<List<Integer>> assignments, boolean validateOnly) {
        return submit(() -> {
            TopicImage topic = image.topic(name);
            if (topic == null) return TopicResult.error(name, Errors.UNKNOWN_TOPIC_OR_PARTITION, "The topic '" + name + "' does not exist.");
            int current = topic.partitionCount();
            if (newCount < current) return TopicResult.error(name, Errors.INVALID_PARTITIONS,
                    "The topic " + name + " currently has " + current + " partition(s); " + newCount + " would not be an increase.");
            if (newCount == current) return TopicResult.error(name, Errors.INVALID_PARTITIONS,
                    "Topic already has " + current + " partition(s).");
            if (newCount - current > MAX_PARTITIONS_PER_REQUEST) return TopicResult.error(name, Errors.POLICY_VIOLATION, TOO_MANY_PARTITIONS);
            int rf = topic.partition(0).replicas().size();
            Map<Integer, List<Integer>> assignment;
            if (assignments != null && !assignments.isEmpty()) {
                if (assignments.size() != newCount - current) return TopicResult.error(name, Errors.INVALID_REPLICA_ASSIGNMENT,
                        "Attempted to add " + (newCount - current) + " additional partition(s), but only " + assignments.size() + " assignment(s) were specified.");
                assignment = new HashMap<>();
                for (int i = 0; i < assignments.size(); i++) assignment.put(current + i, assignments.get(i));
                String problem = validateAssignment(assignment, current);
                if (problem != null) return TopicResult.error(name, Errors.INVALID_REPLICA_ASSIGNMENT, problem);
            } else {
                assignment = assign(current, newCount - current, rf);
            }
            List<ApiMessageAndVersion> records = new ArrayList<>();
            new TreeMap<>(assignment).forEach((p, replicas) -> records.add(partitionRecord(topic.id(), p, replicas)));
            MetadataImage after = validateOnly ? image.apply(records, image.offset() + records.size()) : commit(records);
            return TopicResult.ok(name, after.topic(name));
        });
    }

    /**
     * A change to a topic's config overrides, applied to a mutable copy of the current ones on
     * the metadata thread (so concurrent alters never lose each other's updates). Returns the
     * problem that makes the change invalid, or null.
     */
    @FunctionalInterface
    public interface ConfigChange {
        String applyTo(Map<String, String> overrides);
    }

    /** Alters a topic's config overrides; only the keys that change get records. */
    public CompletableFuture<TopicResult> alterTopicConfigs(String name, ConfigChange change, boolean validateOnly) {
        return submit(() -> {
            TopicImage topic = image.topic(name);
            if (topic == null) return TopicResult.error(name, Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic " + name + " does not exist.");
            Map<String, String> overrides = new HashMap<>(topic.configs());
            String changeProblem = change.applyTo(overrides);
            if (changeProblem != null) return TopicResult.error(name, Errors.INVALID_CONFIG, changeProblem);
            var problem = TopicConfigs.validate(overrides);
            if (problem.isPresent()) return TopicResult.error(name, Errors.INVALID_CONFIG, problem.get());
            List<ApiMessageAndVersion> records = new ArrayList<>();
            overrides.forEach((k, v) -> {
                if (!v.trim().equals(topic.configs().get(k))) records.add(configRecord(name, k, v.trim()));
            });
            topic.configs().keySet().stream().filter(k -> !overrides.containsKey(k)).sorted()
                    .forEach(k -> records.add(configRecord(name, k, null)));
            if (records.isEmpty() || validateOnly) return TopicResult.ok(name, topic);
            return TopicResult.ok(name, commit(records).topic(name));
        });
    }

    /**
     * Alters dynamic broker configs of a BROKER resource ("" for the cluster-wide defaults, else this
     * broker's id): only settings that are topic defaults can change at run time, as in Kafka; each
     * value is validated as its topic config is. Persisted as ConfigRecords; applied through the image.
     */
    public CompletableFuture<TopicResult> alterBrokerConfigs(String resourceName, ConfigChange change, boolean validateOnly) {
        return submit(() -> {
            if (!resourceName.isEmpty() && !resourceName.equals(Integer.toString(config.nodeId())))
                return TopicResult.error(resourceName, Errors.INVALID_REQUEST,
                        "Unexpected broker id, expected " + config.nodeId() + " or empty string, but received " + resourceName);
            Map<String, String> current = image.brokerConfigs(resourceName);
            Map<String, String> updated = new HashMap<>(current);
            String changeProblem = change.applyTo(updated);
            if (changeProblem != null) return TopicResult.error(resourceName, Errors.INVALID_CONFIG, changeProblem);
            for (Map.Entry<String, String> e : updated.entrySet()) {
                if (e.getValue().equals(current.get(e.getKey()))) continue;
                var problem = TopicConfigs.validateBrokerDefault(e.getKey(), e.getValue());
                if (problem.isPresent()) {
                    Errors error = TopicConfigs.forBrokerKey(e.getKey()).isEmpty() ? Errors.INVALID_REQUEST : Errors.INVALID_CONFIG;
                    return TopicResult.error(resourceName, error, problem.get());
                }
            }
            List<ApiMessageAndVersion> records = new ArrayList<>();
            updated.forEach((k, v) -> {
                if (!v.trim().equals(current.get(k))) records.add(brokerConfigRecord(resourceName, k, v.trim()));
            });
            current.keySet().stream().filter(k -> !updated.containsKey(k)).sorted().forEach(k -> records.add(brokerConfigRecord(resourceName, k, null)));
            if (!records.isEmpty() && !validateOnly) commit(records);
            return TopicResult.ok(resourceName, null);
        });
    }

    private static ApiMessageAndVersion brokerConfigRecord(String resourceName, String key, String value) {
        return new ApiMessageAndVersion(new ConfigRecord().setResourceType(ConfigResource.Type.BROKER.id())
                .setResourceName(resourceName).setName(key).setValue(value), (short) 0);
    }

    /** Reserves a block of producer ids and returns the first; ids are never reused, even after restarts. */
    public CompletableFuture<Long> allocateProducerIdBlock() {
        return submit(() -> {
            long first = image.nextProducerId();
            commit(List.of(new ApiMessageAndVersion(new ProducerIdsRecord().setBrokerId(config.nodeId())
                    .setBrokerEpoch(brokerEpoch).setNextProducerId(first + PRODUCER_ID_BLOCK_SIZE), (short) 0)));
            return first;
        });
    }

    /**
     * Appends and returns the image once the batch is committed, applied and published (with
     * anything committed before it). Metadata thread only.
     */
    private MetadataImage commit(List<ApiMessageAndVersion> records) {
        log.append(records);
        return image;
    }

    private void publish(MetadataImage previous, MetadataImage current) {
        for (MetadataListener listener : listeners) {
            try {
                listener.onImage(previous, current);
            } catch (RuntimeException e) {
                // A listener failing must not stop the image from advancing for the others.
                LOG.errorf(e, "Metadata listener %s failed at offset %d", listener, current.offset());
            }
        }
    }

    /** Runs {@code task} on the metadata thread against an image that includes every commit so far. */
    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        return CompletableFuture.supplyAsync(() -> {
            if (publishing) log.catchUp();
            return task.get();
        }, thread);
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("Metadata thread did not stop in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.close();
    }
}
