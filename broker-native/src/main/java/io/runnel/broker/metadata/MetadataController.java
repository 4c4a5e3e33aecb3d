package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.BrokerIdNotRegisteredException;
import org.apache.kafka.common.errors.DuplicateBrokerRegistrationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.StaleBrokerEpochException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.metadata.BrokerRegistrationFencingChange;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.jboss.logging.Logger;

import io.runnel.broker.cluster.ControllerChannel;
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
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "runnel-metadata"));
    private final BrokerHeartbeats heartbeats;
    private final MetadataSnapshots snapshots;
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image;
    /** False while the log is replayed at start: listeners then get the replayed image in one go. */
    private boolean publishing;
    /** Set in a multi-node cluster: the active controller elsewhere, for this node's own writes while it does not lead. */
    private volatile RemoteController remote;
    /** Callers waiting for the image to show something (a forwarded write arriving); metadata thread only. */
    private final List<ImageWaiter> imageWaiters = new ArrayList<>();

    private record ImageWaiter(java.util.function.Predicate<MetadataImage> condition, CompletableFuture<MetadataImage> done) {}

    public MetadataController(BrokerConfig config, String clusterId, MetadataLog log) {
        this.config = config;
        this.log = log;
        this.image = MetadataImage.empty(clusterId);
        this.heartbeats = new BrokerHeartbeats(config.cluster().brokerSessionTimeoutMs());
        this.snapshots = new MetadataSnapshots(Long.parseLong(config.quorumSettings().get("metadata.log.max.record.bytes.between.snapshots")),
                Long.parseLong(config.quorumSettings().get("metadata.log.max.snapshot.interval.ms")), nowMs());
    }

    public MetadataImage image() {
        return image;
    }

    /** This node's id. */
    public int nodeId() {
        return config.nodeId();
    }

    /** A quorum of one: no other broker will ever join. */
    public boolean isSingleNode() {
        return config.cluster().isSingleNode();
    }

    /**
     * In a multi-node cluster: while another node is the active controller, the writes this node
     * makes for itself (topic creation, producer id blocks) go there over {@code channel}.
     */
    public void forwardTo(ControllerChannel channel) {
        this.remote = new RemoteController(channel);
    }

    /** Whether writes must go to another node: a remote controller is known and this node does not lead. */
    private RemoteController remoteWhileFollowing() {
        RemoteController r = remote;
        return r != null && log.leaderEpoch() < 0 ? r : null;
    }

    /**
     * Completes with the first image that satisfies {@code condition} (the current one if it
     * does), or exceptionally with a TimeoutException after {@code timeoutMs}.
     */
    public CompletableFuture<MetadataImage> awaitImage(java.util.function.Predicate<MetadataImage> condition, long timeoutMs) {
        CompletableFuture<MetadataImage> done = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                log.catchUp();
                if (condition.test(image)) done.complete(image);
                else imageWaiters.add(new ImageWaiter(condition, done));
            });
            thread.schedule(() -> {
                if (imageWaiters.removeIf(w -> w.done() == done))
                    done.completeExceptionally(new org.apache.kafka.common.errors.TimeoutException("metadata did not arrive within " + timeoutMs + " ms"));
            }, timeoutMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            done.completeExceptionally(new NotControllerException("This node is shutting down"));
        }
        return done;
    }

    private void wakeImageWaiters() {
        if (imageWaiters.isEmpty()) return;
        imageWaiters.removeIf(w -> {
            if (!w.condition().test(image)) return false;
            w.done().complete(image);
            return true;
        });
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
            if (!config.cluster().isSingleNode()) {
                long checkMs = Math.max(50, config.cluster().brokerSessionTimeoutMs() / 20);
                thread.scheduleWithFixedDelay(this::fenceExpiredBrokers, checkMs, checkMs, TimeUnit.MILLISECONDS);
            }
            return image;
        });
    }

    /** Writes a snapshot of the image as applied now (metadata thread); a failure leaves the log as it is. */
    private void snapshot() {
        try {
            log.snapshot(MetadataSnapshots.records(image));
        } catch (RuntimeException e) {
            LOG.warnf(e, "Metadata snapshot at offset %d failed; the log stays whole", image.offset());
        }
        snapshots.taken(nowMs());
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
        wakeImageWaiters();
        snapshots.applied(records);
        if (publishing && snapshots.due(nowMs())) snapshot();
    }

    private void resetToSnapshot() {
        MetadataImage previous = image;
        image = MetadataImage.empty(previous.clusterId());
        if (publishing) publish(previous, image);
    }

    /** What a broker registers: its incarnation (a fresh id per process start), endpoints and rack. */
    public record BrokerRegistration(int brokerId, Uuid incarnationId, List<BrokerImage.Endpoint> endpoints, String rack) {
        public BrokerRegistration {
            endpoints = List.copyOf(endpoints);
        }
    }

    /** The answer to a heartbeat: whether the broker is fenced, has caught up with its registration, and should stop. */
    public record HeartbeatResult(boolean fenced, boolean caughtUp, boolean shouldShutDown) {}

    /**
     * Registers a broker (BrokerRegistration, or this node's own in a quorum of one) and returns
     * its broker epoch: the offset of its registration record. A retry of the same incarnation
     * gets the same epoch; another incarnation of a broker whose session is still alive is
     * refused (DUPLICATE_BROKER_REGISTRATION), as two processes with one node id must not both serve.
     *
     * @throws org.apache.kafka.common.errors.NotControllerException if this node is not the active controller
     */
    public CompletableFuture<Long> registerBroker(BrokerRegistration registration) {
        return submit(() -> {
            int epoch = log.leaderEpoch();
            BrokerImage existing = image.brokers().get(registration.brokerId());
            long nowMs = nowMs();
            if (existing != null && existing.incarnationId().equals(registration.incarnationId())) {
                heartbeats.contact(registration.brokerId(), epoch, nowMs);
                return existing.epoch();
            }
            if (existing != null && !existing.fenced() && heartbeats.isAlive(existing.id(), epoch, nowMs))
                throw new DuplicateBrokerRegistrationException("Another broker is registered with that broker id (" + existing.id()
                        + ") and its session has not expired; retry after broker.session.timeout.ms");
            long brokerEpoch = log.endOffset();
            String rack = registration.rack() == null || registration.rack().isBlank() ? null : registration.rack();
            ApiMessageAndVersion registered = registerBrokerRecord(new BrokerImage(registration.brokerId(), registration.incarnationId(),
                    brokerEpoch, registration.endpoints(), rack, false));
            // A new incarnation starts with new leader epochs: its earlier self's leaderships are taken
            // away first (its log may have lost an unflushed tail), then offered back where it may lead.
            List<ApiMessageAndVersion> records = new ArrayList<>();
            MetadataImage working = image;
            if (existing != null) {
                records.addAll(existing.fenced() ? PartitionLeaderElection.awayFrom(working, existing.id(), this::uncleanElection)
                        : fenceWithElections(existing, working));
                working = working.apply(records, working.offset());
            }
            records.add(registered);
            working = working.apply(List.of(registered), working.offset());
            records.addAll(PartitionLeaderElection.onto(working, registration.brokerId(), this::uncleanElection));
            commit(records);
            heartbeats.contact(registration.brokerId(), epoch, nowMs());
            LOG.infof("Registered broker %d (epoch %d, incarnation %s) at %s", registration.brokerId(), brokerEpoch,
                    registration.incarnationId(), registration.endpoints());
            return brokerEpoch;
        });
    }

    /**
     * A broker's heartbeat: renews its session, unfences it if it was fenced (it is back), or
     * fences it if it asks to be ({@code wantFence}, or {@code wantShutDown}, which it then may do).
     *
     * @throws org.apache.kafka.common.errors.BrokerIdNotRegisteredException if it never registered
     * @throws org.apache.kafka.common.errors.StaleBrokerEpochException if it heartbeats for an older registration
     */
    public CompletableFuture<HeartbeatResult> heartbeat(int brokerId, long brokerEpoch, long metadataOffset, boolean wantFence,
                                                       boolean wantShutDown) {
        return submit(() -> {
            requireActive();
            int epoch = log.leaderEpoch();
            BrokerImage broker = image.brokers().get(brokerId);
            if (broker == null) throw new BrokerIdNotRegisteredException("Broker " + brokerId + " is not registered.");
            if (broker.epoch() != brokerEpoch)
                throw new StaleBrokerEpochException("Expected broker epoch " + broker.epoch() + ", but got broker epoch " + brokerEpoch);
            heartbeats.contact(brokerId, epoch, nowMs());
            boolean fence = wantFence || wantShutDown;
            if (fence != broker.fenced()) {
                commit(fence ? fenceWithElections(broker, image) : unfenceWithElections(broker));
                LOG.infof("Broker %d %s", brokerId, fence ? (wantShutDown ? "is shutting down: fenced" : "asked to be fenced")
                        : "is back: unfenced");
            }
            return new HeartbeatResult(fence, metadataOffset >= brokerEpoch, wantShutDown);
        });
    }

    /** The answer to AlterPartition for one partition: an error, or the partition as committed. */
    public record AlterPartitionResult(Errors error, PartitionImage partition) {}

    /**
     * AlterPartition: a partition leader proposes a new ISR, made in the leader and partition
     * epochs it names. Refused when either moved on (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION),
     * when the sender does not lead the partition or the ISR drops the leader or names non-replicas
     * (INVALID_REQUEST), or adds a fenced broker (INELIGIBLE_REPLICA).
     */
    public CompletableFuture<AlterPartitionResult> alterPartition(int brokerId, long brokerEpoch, Uuid topicId, int partitionId, int leaderEpoch,
                                                                  int partitionEpoch, List<Integer> newIsr) {
        return submit(() -> {
            BrokerImage broker = image.brokers().get(brokerId);
            if (broker == null || broker.epoch() != brokerEpoch) return new AlterPartitionResult(Errors.STALE_BROKER_EPOCH, null);
            TopicImage topic = image.topic(topicId);
            if (topic == null) return new AlterPartitionResult(Errors.UNKNOWN_TOPIC_ID, null);
            PartitionImage p = topic.partition(partitionId);
            if (p == null) return new AlterPartitionResult(Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
            if (p.leader() != brokerId) return new AlterPartitionResult(Errors.INVALID_REQUEST, p);
            if (leaderEpoch != p.leaderEpoch()) return new AlterPartitionResult(Errors.FENCED_LEADER_EPOCH, p);
            if (partitionEpoch != p.partitionEpoch()) return new AlterPartitionResult(Errors.INVALID_UPDATE_VERSION, p);
            if (!newIsr.contains(brokerId) || !p.replicas().containsAll(newIsr) || newIsr.stream().distinct().count() != newIsr.size())
                return new AlterPartitionResult(Errors.INVALID_REQUEST, p);
            for (int replica : newIsr) {
                BrokerImage b = image.brokers().get(replica);
                if (!p.isr().contains(replica) && (b == null || b.fenced())) return new AlterPartitionResult(Errors.INELIGIBLE_REPLICA, p);
            }
            var change = PartitionLeaderElection.change(topic, p, p.leader(), newIsr);
            if (change == null) return new AlterPartitionResult(Errors.NONE, p);
            List<ApiMessageAndVersion> records = new ArrayList<>(List.of(new ApiMessageAndVersion(change, (short) 0)));
            // An added replica that joined the ISR may finish a reassignment: in the same batch.
            PartitionImage changed = image.apply(records, image.offset()).topic(topicId).partition(partitionId);
            var completed = PartitionReassignment.complete(topic, changed, PartitionLeaderElection.unusable(image));
            if (completed != null) records.add(new ApiMessageAndVersion(completed, (short) 0));
            try {
                commit(records);
            } catch (ApiException e) {
                return new AlterPartitionResult(Errors.forException(e), p);
            }
            LOG.infof("%s-%d: ISR %s -> %s (asked by leader %d)", topic.name(), partitionId, p.isr(), newIsr, brokerId);
            return new AlterPartitionResult(Errors.NONE, image.topic(topicId).partition(partitionId));
        });
    }

    /** One partition's outcome in a reassignment or election request. */
    public record PartitionResult(String topic, int partition, Errors error, String message) {}

    /** A partition to reassign to {@code target} replicas, or (null target) whose reassignment to cancel. */
    public record Reassignment(String topic, int partition, List<Integer> target) {}

    /**
     * AlterPartitionReassignments: starts (or replaces, or with a null target cancels) moving each
     * partition to its target replicas. Each partition succeeds or fails on its own.
     */
    public CompletableFuture<List<PartitionResult>> alterPartitionReassignments(List<Reassignment> reassignments) {
        return submit(() -> {
            requireActive();
            List<PartitionResult> results = new ArrayList<>();
            for (Reassignment r : reassignments) results.add(reassign(r));
            return results;
        });
    }

    private PartitionResult reassign(Reassignment r) {
        TopicImage topic = image.topic(r.topic());
        PartitionImage p = topic == null ? null : topic.partition(r.partition());
        if (p == null) return new PartitionResult(r.topic(), r.partition(), Errors.UNKNOWN_TOPIC_OR_PARTITION, null);
        Set<Integer> unusable = PartitionLeaderElection.unusable(image);
        PartitionChangeRecord change;
        if (r.target() == null) {
            if (!p.isReassigning()) return new PartitionResult(r.topic(), r.partition(), Errors.NO_REASSIGNMENT_IN_PROGRESS, null);
            change = PartitionReassignment.cancel(topic, p, unusable);
        } else {
            String problem = PartitionReassignment.validate(r.target(), image.brokers().keySet());
            if (problem != null) return new PartitionResult(r.topic(), r.partition(), Errors.INVALID_REPLICA_ASSIGNMENT, problem);
            if (!p.isReassigning() && p.replicas().equals(r.target())) return new PartitionResult(r.topic(), r.partition(), Errors.NONE, null);
            change = PartitionReassignment.start(topic, p, r.target(), unusable);
        }
        try {
            commit(List.of(new ApiMessageAndVersion(change, (short) 0)));
        } catch (ApiException e) {
            return new PartitionResult(r.topic(), r.partition(), Errors.forException(e), e.getMessage());
        }
        PartitionImage after = image.topic(r.topic()).partition(r.partition());
        LOG.infof("%s-%d: reassignment %s: replicas %s (adding %s, removing %s), ISR %s, leader %d", r.topic(), r.partition(),
                r.target() == null ? "cancelled" : "to " + r.target(), after.replicas(), after.addingReplicas(), after.removingReplicas(),
                after.isr(), after.leader());
        return new PartitionResult(r.topic(), r.partition(), Errors.NONE, null);
    }

    /** ListPartitionReassignments: the partitions being moved (of {@code wanted}, or all when null). */
    public CompletableFuture<Map<String, Map<Integer, PartitionImage>>> listPartitionReassignments(Map<String, List<Integer>> wanted) {
        return submit(() -> {
            requireActive();
            Map<String, Map<Integer, PartitionImage>> moving = new TreeMap<>();
            for (TopicImage topic : image.topicsByName().values()) {
                if (wanted != null && !wanted.containsKey(topic.name())) continue;
                for (PartitionImage p : topic.partitions().values()) {
                    if (!p.isReassigning()) continue;
                    if (wanted != null && !wanted.get(topic.name()).contains(p.partitionId())) continue;
                    moving.computeIfAbsent(topic.name(), t -> new TreeMap<>()).put(p.partitionId(), p);
                }
            }
            return moving;
        });
    }

    /**
     * ElectLeaders: a preferred election makes each partition's first replica its leader (if it is
     * in the ISR and alive); an unclean one gives a leaderless partition any live replica.
     *
     * @param partitions the partitions to elect for; null for every partition
     */
    public CompletableFuture<List<PartitionResult>> electLeaders(boolean unclean, Map<String, List<Integer>> partitions) {
        return submit(() -> {
            requireActive();
            List<PartitionResult> results = new ArrayList<>();
            List<ApiMessageAndVersion> records = new ArrayList<>();
            Set<Integer> unusable = PartitionLeaderElection.unusable(image);
            Map<String, List<Integer>> wanted = partitions;
            if (wanted == null) {
                wanted = new TreeMap<>();
                for (TopicImage t : image.topicsByName().values()) wanted.put(t.name(), new ArrayList<>(t.partitions().keySet()));
            }
            for (Map.Entry<String, List<Integer>> e : wanted.entrySet()) {
                TopicImage topic = image.topic(e.getKey());
                for (int partitionId : e.getValue()) {
                    PartitionImage p = topic == null ? null : topic.partition(partitionId);
                    if (p == null) {
                        results.add(new PartitionResult(e.getKey(), partitionId, Errors.UNKNOWN_TOPIC_OR_PARTITION, null));
                        continue;
                    }
                    var elected = unclean ? PartitionLeaderElection.electUnclean(topic, p, unusable) : PartitionLeaderElection.electPreferred(topic, p, unusable);
                    if (elected.change() != null) records.add(new ApiMessageAndVersion(elected.change(), (short) 0));
                    results.add(new PartitionResult(e.getKey(), partitionId, elected.error(), elected.message()));
                }
            }
            if (!records.isEmpty()) {
                try {
                    commit(records);
                } catch (ApiException ex) {
                    Errors error = Errors.forException(ex);
                    results.replaceAll(r -> r.error() == Errors.NONE ? new PartitionResult(r.topic(), r.partition(), error, ex.getMessage()) : r);
                }
            }
            return results;
        });
    }

    /** Fails the operation with NOT_CONTROLLER when this node is not the active controller. */
    private void requireActive() {
        if (log.leaderEpoch() < 0) throw new NotControllerException("This node is not the active controller");
    }

    /** Whether a topic may elect a replica outside the ISR (unclean.leader.election.enable). */
    private boolean uncleanElection(TopicImage topic) {
        return Boolean.parseBoolean(TopicConfigs.effective(topic.configs(), image.brokerConfig(config)).get("unclean.leader.election.enable"));
    }

    /**
     * Records that fence {@code broker} and move its leaderships and ISR memberships away, as one
     * batch, so no image ever has a fenced leader.
     */
    private List<ApiMessageAndVersion> fenceWithElections(BrokerImage broker, MetadataImage base) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(fencingRecord(broker, true));
        MetadataImage fenced = base.apply(records, base.offset());
        records.addAll(PartitionLeaderElection.awayFrom(fenced, broker.id(), this::uncleanElection));
        return records;
    }

    /** Records that unfence {@code broker} and let it lead the offline partitions it may lead. */
    private List<ApiMessageAndVersion> unfenceWithElections(BrokerImage broker) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        records.add(fencingRecord(broker, false));
        MetadataImage unfenced = image.apply(records, image.offset());
        records.addAll(PartitionLeaderElection.onto(unfenced, broker.id(), this::uncleanElection));
        return records;
    }

    /** The record that registers {@code broker} as it is described (a registration, or a snapshot of one). */
    static ApiMessageAndVersion registerBrokerRecord(BrokerImage broker) {
        RegisterBrokerRecord.BrokerEndpointCollection endpoints = new RegisterBrokerRecord.BrokerEndpointCollection();
        for (BrokerImage.Endpoint e : broker.endpoints())
            endpoints.add(new RegisterBrokerRecord.BrokerEndpoint().setName(e.listenerName()).setHost(e.host()).setPort(e.port())
                    .setSecurityProtocol(e.securityProtocol()));
        return new ApiMessageAndVersion(new RegisterBrokerRecord().setBrokerId(broker.id()).setIncarnationId(broker.incarnationId())
                .setBrokerEpoch(broker.epoch()).setEndPoints(endpoints).setRack(broker.rack()).setFenced(broker.fenced()), (short) 0);
    }

    private static ApiMessageAndVersion fencingRecord(BrokerImage broker, boolean fenced) {
        return new ApiMessageAndVersion(new BrokerRegistrationChangeRecord().setBrokerId(broker.id()).setBrokerEpoch(broker.epoch())
                .setFenced(fenced ? BrokerRegistrationFencingChange.FENCE.value() : BrokerRegistrationFencingChange.UNFENCE.value()),
                (short) 0);
    }

    /** On the active controller: fences every broker whose session expired. Periodic, on the metadata thread. */
    private void fenceExpiredBrokers() {
        int epoch = log.leaderEpoch();
        if (epoch < 0) return;
        try {
            log.catchUp();
            List<ApiMessageAndVersion> records = new ArrayList<>();
            MetadataImage working = image;
            for (int brokerId : heartbeats.expired(image, epoch, nowMs())) {
                LOG.warnf("Broker %d sent no heartbeat for %d ms (broker.session.timeout.ms): fencing it and moving its leaderships",
                        brokerId, config.cluster().brokerSessionTimeoutMs());
                List<ApiMessageAndVersion> fencing = fenceWithElections(working.brokers().get(brokerId), working);
                records.addAll(fencing);
                working = working.apply(fencing, working.offset());
            }
            if (!records.isEmpty()) commit(records);
        } catch (NotControllerException | org.apache.kafka.common.errors.TimeoutException e) {
            LOG.infof("Fencing expired brokers: %s", e.getMessage());
        }
    }

    private static long nowMs() {
        return System.nanoTime() / 1_000_000;
    }

    /** This node's broker epoch as the metadata says, or -1 before it registered. */
    public long brokerEpoch() {
        BrokerImage self = image.brokers().get(config.nodeId());
        return self == null ? -1 : self.epoch();
    }

    /**
     * Creates topics; each topic succeeds or fails on its own, as in Kafka. On a node that does not
     * lead, the creation goes to the active controller, and completes once this node's image has
     * the created topics.
     */
    public CompletableFuture<List<TopicResult>> createTopics(List<TopicSpec> specs, boolean validateOnly) {
        RemoteController r = remoteWhileFollowing();
        if (r == null) return createTopicsHere(specs, validateOnly);
        return r.createTopics(specs, validateOnly).thenCompose(results -> {
            if (validateOnly) return CompletableFuture.completedFuture(results);
            List<String> created = results.stream().filter(t -> t.error() == Errors.NONE).map(TopicResult::name).toList();
            return awaitImage(img -> created.stream().allMatch(name -> img.topic(name) != null), RemoteController.CREATE_TIMEOUT_MS)
                    .thenApply(img -> results.stream().map(t -> t.error() == Errors.NONE ? TopicResult.ok(t.name(), img.topic(t.name())) : t).toList());
        });
    }

    /** Creates topics on this node, which must be the active controller (else NOT_CONTROLLER per topic); never forwards. */
    public CompletableFuture<List<TopicResult>> createTopicsHere(List<TopicSpec> specs, boolean validateOnly) {
        return submit(() -> {
            List<TopicResult> results = new ArrayList<>();
            if (totalPartitions(specs) > MAX_PARTITIONS_PER_REQUEST) {
                // As KRaft: the whole request is refused before any topic is looked at.
                for (TopicSpec spec : specs) results.add(TopicResult.error(spec.name(), Errors.POLICY_VIOLATION, TOO_MANY_PARTITIONS));
                return results;
            }
            for (TopicSpec spec : specs) results.add(orError(spec.name(), () -> createTopic(spec, validateOnly)));
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
            int usable = usableBrokers().size();
            if (rf > usable)
                return TopicResult.error(name, Errors.INVALID_REPLICATION_FACTOR, "Unable to replicate the partition " + rf
                        + " time(s): The target replication factor of " + rf + " cannot be reached because only "
                        + usable + " broker(s) are registered.");
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

    /** The brokers new replicas may be placed on: registered and not fenced, by id. */
    private List<Integer> usableBrokers() {
        return image.brokers().values().stream().filter(b -> !b.fenced()).map(BrokerImage::id).toList();
    }

    /** Placement over the unfenced brokers and their racks ({@link ReplicaPlacement}), leader first. */
    private Map<Integer, List<Integer>> assign(int firstPartition, int count, int replicationFactor) {
        return ReplicaPlacement.place(ReplicaPlacement.racksOf(image, usableBrokers()), firstPartition, count, replicationFactor);
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

    static ApiMessageAndVersion configRecord(String topic, String key, String value) {
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
                    results.add(orError(name, () -> {
                        commit(List.of(new ApiMessageAndVersion(new RemoveTopicRecord().setTopicId(topic.id()), (short) 0)));
                        return TopicResult.ok(name, topic);
                    }));
                }
            }
            return results;
        });
    }

    /** Grows a topic to {@code newCount} partitions; shrinking is refused as in Kafka. */
    public CompletableFuture<TopicResult> createPartitions(String name, int newCount, List<List<Integer>> assignments, boolean validateOnly) {
        return submit(() -> orError(name, () -> {
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
        }));
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
        return submit(() -> orError(name, () -> {
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
        }));
    }

    /**
     * Alters dynamic broker configs of a BROKER resource ("" for the cluster-wide defaults, else this
     * broker's id): only settings that are topic defaults can change at run time, as in Kafka; each
     * value is validated as its topic config is. Persisted as ConfigRecords; applied through the image.
     */
    public CompletableFuture<TopicResult> alterBrokerConfigs(String resourceName, ConfigChange change, boolean validateOnly) {
        return submit(() -> orError(resourceName, () -> {
            // This broker's own id, or (forwarded by another broker) any registered broker's.
            if (!resourceName.isEmpty() && !resourceName.equals(Integer.toString(config.nodeId()))
                    && image.brokers().keySet().stream().noneMatch(id -> Integer.toString(id).equals(resourceName)))
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
                    Errors error = TopicConfigs.forBrokerKey(e.getKey()).isEmpty() && !TopicConfigs.BROKER_ONLY_DYNAMIC.contains(e.getKey())
                            ? Errors.INVALID_REQUEST : Errors.INVALID_CONFIG;
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
        }));
    }

    /**
     * Runs one resource's operation; a commit that fails (this node stopped leading: NOT_CONTROLLER,
     * or the quorum did not commit in time: REQUEST_TIMED_OUT) fails that resource with Kafka's code,
     * which clients retry on the new controller.
     */
    private static TopicResult orError(String name, Supplier<TopicResult> operation) {
        try {
            return operation.get();
        } catch (ApiException e) {
            LOG.infof("Metadata change for %s failed: %s", name, e.toString());
            return TopicResult.error(name, Errors.forException(e), e.getMessage());
        }
    }

    static ApiMessageAndVersion brokerConfigRecord(String resourceName, String key, String value) {
        return new ApiMessageAndVersion(new ConfigRecord().setResourceType(ConfigResource.Type.BROKER.id())
                .setResourceName(resourceName).setName(key).setValue(value), (short) 0);
    }

    /**
     * Reserves a block of producer ids and returns the first; ids are never reused, even after
     * restarts. On a node that does not lead, the active controller reserves it (AllocateProducerIds).
     */
    public CompletableFuture<Long> allocateProducerIdBlock() {
        RemoteController r = remoteWhileFollowing();
        return r != null ? r.allocateProducerIds(config.nodeId(), brokerEpoch()) : allocateProducerIdBlockHere();
    }

    /** Reserves a block on this node, which must be the active controller; never forwards. */
    public CompletableFuture<Long> allocateProducerIdBlockHere() {
        return submit(() -> {
            long first = image.nextProducerId();
            commit(List.of(new ApiMessageAndVersion(new ProducerIdsRecord().setBrokerId(config.nodeId())
                    .setBrokerEpoch(brokerEpoch()).setNextProducerId(first + PRODUCER_ID_BLOCK_SIZE), (short) 0)));
            return first;
        });
    }

    /**
     * AlterUserScramCredentials: decides the request per user ({@link ScramCredentialAlterations})
     * and commits the accepted changes as one batch, so they become visible together or not at
     * all; answers once they are committed. If the commit fails (leadership moved, or the quorum
     * did not commit in time), every accepted user gets that error — none of its changes was made.
     *
     * @throws NotControllerException (failing the future) if this node is not the active controller
     */
    public CompletableFuture<List<ScramCredentialAlterations.UserResult>> alterUserScramCredentials(
            List<ScramCredentialAlterations.Deletion> deletions, List<ScramCredentialAlterations.Upsertion> upsertions) {
        return submit(() -> {
            requireActive();
            var decision = ScramCredentialAlterations.decide(image.scram(), deletions, upsertions);
            if (decision.records().isEmpty()) return decision.results();
            try {
                commit(decision.records());
            } catch (ApiException e) {
                Errors error = Errors.forException(e);
                return decision.results().stream().map(r -> r.error() == Errors.NONE
                        ? new ScramCredentialAlterations.UserResult(r.user(), error, e.getMessage()) : r).toList();
            }
            // User names and mechanisms only: salts and keys stay out of the log file.
            LOG.infof("SCRAM credentials altered: %s", decision.records().stream().map(r -> switch (r.message()) {
                case org.apache.kafka.common.metadata.UserScramCredentialRecord u -> "set " + u.name() + " " + ScramImage.mechanism(u.mechanism());
                case org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord d -> "removed " + d.name() + " " + ScramImage.mechanism(d.mechanism());
                default -> throw new IllegalStateException("unexpected SCRAM record " + r.message());
            }).toList());
            return decision.results();
        });
    }

    /**
     * AlterClientQuotas: decides the request per entity ({@link ClientQuotaAlterations}) and, unless
     * {@code validateOnly}, commits the accepted changes as one batch and answers once committed. If
     * the commit fails, every accepted entity gets that error — none of its changes was made.
     *
     * @throws NotControllerException (failing the future) if this node is not the active controller
     */
    public CompletableFuture<Map<org.apache.kafka.common.quota.ClientQuotaEntity, org.apache.kafka.common.requests.ApiError>> alterClientQuotas(
            List<org.apache.kafka.common.quota.ClientQuotaAlteration> alterations, boolean validateOnly) {
        return submit(() -> {
            requireActive();
            var decision = ClientQuotaAlterations.decide(image.clientQuotas(), alterations);
            if (validateOnly || decision.records().isEmpty()) return decision.results();
            try {
                commit(decision.records());
            } catch (ApiException e) {
                var failed = org.apache.kafka.common.requests.ApiError.fromThrowable(e);
                Map<org.apache.kafka.common.quota.ClientQuotaEntity, org.apache.kafka.common.requests.ApiError> results = new java.util.LinkedHashMap<>();
                decision.results().forEach((entity, error) -> results.put(entity, error.isSuccess() ? failed : error));
                return results;
            }
            LOG.infof("Client quotas altered: %s", decision.records().stream().map(r -> {
                var q = (org.apache.kafka.common.metadata.ClientQuotaRecord) r.message();
                return q.entity() + " " + q.key() + (q.remove() ? " removed" : "=" + q.value());
            }).toList());
            return decision.results();
        });
    }

    /**
     * CreateAcls: decides each binding ({@link AclAlterations#create}) and commits the new ACLs as
     * one batch; answers once committed. If the commit fails, every accepted binding gets that error.
     *
     * @throws NotControllerException (failing the future) if this node is not the active controller
     */
    public CompletableFuture<List<org.apache.kafka.server.authorizer.AclCreateResult>> createAcls(
            List<org.apache.kafka.common.acl.AclBinding> bindings) {
        return submit(() -> {
            requireActive();
            AclAlterations.Creation decision = AclAlterations.create(image.acls(), bindings);
            if (decision.records().isEmpty()) return decision.results();
            try {
                commit(decision.records());
            } catch (ApiException e) {
                return decision.results().stream().map(r -> r.exception().isPresent() ? r
                        : new org.apache.kafka.server.authorizer.AclCreateResult(e)).toList();
            }
            LOG.infof("ACLs created: %s", decision.records().stream().map(r -> org.apache.kafka.metadata.authorizer.StandardAcl
                    .fromRecord((org.apache.kafka.common.metadata.AccessControlEntryRecord) r.message())).toList());
            return decision.results();
        });
    }

    /**
     * DeleteAcls: removes every ACL the filters match ({@link AclAlterations#delete}) as one batch;
     * answers once committed. If the commit fails, every valid filter gets that error.
     *
     * @throws NotControllerException (failing the future) if this node is not the active controller
     */
    public CompletableFuture<List<org.apache.kafka.server.authorizer.AclDeleteResult>> deleteAcls(
            List<org.apache.kafka.common.acl.AclBindingFilter> filters) {
        return submit(() -> {
            requireActive();
            AclAlterations.Deletion decision = AclAlterations.delete(image.acls(), filters);
            if (decision.records().isEmpty()) return decision.results();
            try {
                commit(decision.records());
            } catch (ApiException e) {
                return decision.results().stream().map(r -> r.exception().isPresent() ? r
                        : new org.apache.kafka.server.authorizer.AclDeleteResult(e)).toList();
            }
            LOG.infof("ACLs deleted: %s", decision.results().stream().flatMap(r -> r.aclBindingDeleteResults().stream())
                    .map(r -> r.aclBinding()).toList());
            return decision.results();
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
        try {
            return CompletableFuture.supplyAsync(() -> {
                if (publishing) log.catchUp();
                return task.get();
            }, thread);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // The node is stopping; whoever asked retries with the next controller.
            return CompletableFuture.failedFuture(new NotControllerException("This node is shutting down"));
        }
    }

    @Override
    public void close() {
        thread.shutdown();
        try {
            // A write still waiting for a commit that cannot come (the quorum is gone) is interrupted
            // after a moment: it was never acknowledged, so nothing is lost.
            if (!thread.awaitTermination(1, TimeUnit.SECONDS)) thread.shutdownNow();
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) LOG.warn("Metadata thread did not stop in 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.close();
    }
}
