package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FetchMetadata;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.utils.Time;

import io.runnel.broker.fetch.FetchSessionCache;
import io.runnel.broker.fetch.FetchSessionCache.Incremental;
import io.runnel.broker.fetch.FetchSessionCache.Opened;
import io.runnel.broker.fetch.FetchTarget;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.ReadResult;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.replication.ReplicationQuotas;
import io.runnel.broker.security.Authorization;

/**
 * Fetch: the read path. Partitions are read in order within the request's total
 * {@code maxBytes}; the first partition with data may exceed limits by one batch so consumers
 * always progress (KIP-74). If fewer than {@code minBytes} are ready the fetch waits in the
 * {@link FetchPurgatory} until an append or {@code maxWaitMs} completes it — on a timer, never a
 * blocked thread.
 *
 * <p>Fetch sessions (KIP-227): a request's session id and epoch are read by the
 * {@link FetchSessionCache}. A full fetch is answered in full and, at epoch 0, offered a session;
 * an incremental fetch reads every partition of its session, in the session's order, and answers
 * only those that changed ({@link Incremental#answer}).
 */
public final class FetchHandler implements ApiHandler {
    private final MetadataController controller;
    private final ReplicaManager replicas;
    private final BrokerMetrics metrics;
    private final ReplicationQuotas quotas;
    private final Authorization authorization;
    private final FetchSessionCache sessions;
    private final Time time;

    /**
     * @param quotas   the leader-side replication throttle, for followers catching up on throttled partitions
     * @param sessions the broker's fetch sessions, shared by every connection
     */
    public FetchHandler(MetadataController controller, ReplicaManager replicas, BrokerMetrics metrics, ReplicationQuotas quotas,
                        Authorization authorization, FetchSessionCache sessions, Time time) {
        this.authorization = authorization;
        this.quotas = quotas;
        this.controller = controller;
        this.replicas = replicas;
        this.metrics = metrics;
        this.sessions = sessions;
        this.time = time;
    }

    /** One partition to read and answer; {@code denied}: the principal may not read it (TOPIC_AUTHORIZATION_FAILED). */
    private record Wanted(FetchTarget target, boolean denied) {}

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        FetchRequestData data = (FetchRequestData) request;
        boolean byId = context.apiVersion() >= 13;
        List<FetchTarget> requested = requested(data, byId);
        Opened opened = sessions.open(data.sessionId(), data.sessionEpoch(), byId, requested, forgotten(data, byId), time.milliseconds());
        if (opened instanceof FetchSessionCache.Refused refused) return CompletableFuture.completedFuture(sessionError(refused.error()));
        List<FetchTarget> targets = opened instanceof Incremental incremental ? incremental.targets() : requested;
        int replicaId = replicaId(context, data);
        // As Kafka: a follower needs CLUSTER_ACTION for every partition, a consumer READ on each topic.
        var image = controller.image();
        boolean follower = replicaId >= 0;
        boolean replicaAllowed = follower && authorization.allowedOnCluster(context, AclOperation.CLUSTER_ACTION);
        List<String> names = targets.stream().map(t -> topicName(image, t)).toList(); // null for an unknown topic id
        Set<String> readable = follower ? Set.of() : authorization.allowedNames(context, AclOperation.READ, ResourceType.TOPIC,
                names.stream().filter(java.util.Objects::nonNull).distinct().toList());
        List<Wanted> wanted = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            String name = names.get(i);
            boolean denied = follower ? !replicaAllowed : name != null && !readable.contains(name);
            wanted.add(new Wanted(targets.get(i), denied));
        }
        CompletableFuture<ApiMessage> response = new CompletableFuture<>();
        readAll(wanted, data.maxBytes(), replicaId, readCommitted(data)).thenAccept(results -> context.eventLoop().runOnContext(v -> {
            if (isEnough(results, data)) {
                response.complete(toResponse(context, opened, replicaId, wanted, results));
            } else {
                new DelayedFetch(context, data, opened, wanted, replicaId, response).start();
            }
        }));
        return response;
    }

    /** A fetch refused for its session: the error at the top level, no session, no partitions (as Kafka answers). */
    private static FetchResponseData sessionError(Errors error) {
        return new FetchResponseData().setErrorCode(error.code()).setSessionId(FetchMetadata.INVALID_SESSION_ID);
    }

    /** The request's partitions, named as the request names topics: by id from v13, by name before. */
    private static List<FetchTarget> requested(FetchRequestData data, boolean byId) {
        List<FetchTarget> targets = new ArrayList<>();
        for (FetchRequestData.FetchTopic topic : data.topics()) {
            Uuid topicId = byId ? topic.topicId() : Uuid.ZERO_UUID;
            String name = byId ? "" : topic.topic();
            for (FetchRequestData.FetchPartition p : topic.partitions())
                targets.add(new FetchTarget(topicId, name, p.partition(), p.fetchOffset(), p.partitionMaxBytes(), p.currentLeaderEpoch()));
        }
        return targets;
    }

    /** The partitions an incremental request drops from its session (forgotten_topics_data). */
    private static List<FetchTarget.Key> forgotten(FetchRequestData data, boolean byId) {
        if (data.forgottenTopicsData() == null || data.forgottenTopicsData().isEmpty()) return List.of();
        List<FetchTarget.Key> keys = new ArrayList<>();
        for (FetchRequestData.ForgottenTopic topic : data.forgottenTopicsData()) {
            for (int partition : topic.partitions())
                keys.add(new FetchTarget.Key(byId ? topic.topicId() : Uuid.ZERO_UUID, byId ? "" : topic.topic(), partition));
        }
        return keys;
    }

    /** isolation_level 1 (KIP-98): stop at the last stable offset and name the aborted transactions. */
    private static boolean readCommitted(FetchRequestData data) {
        return data.isolationLevel() == org.apache.kafka.common.IsolationLevel.READ_COMMITTED.id();
    }

    /** The fetching follower's broker id (Fetch v15+ carries it in ReplicaState), or -1 for a consumer. */
    private static int replicaId(RequestContext context, FetchRequestData data) {
        return context.apiVersion() >= 15 ? data.replicaState().replicaId() : data.replicaId();
    }

    /** The topic's name as sent (before v13), else of its id in the image; null for an unknown id. */
    private static String topicName(io.runnel.broker.metadata.MetadataImage image, FetchTarget target) {
        if (target.topic() != null && !target.topic().isEmpty()) return target.topic();
        var known = image.topic(target.topicId());
        return known == null ? null : known.name();
    }

    private static boolean isEnough(List<ReadResult> results, FetchRequestData data) {
        if (data.maxWaitMs() <= 0) return true;
        long bytes = 0;
        // Partitions refused for authorization do not end the wait (Kafka leaves them out of it), unless there is nothing else.
        if (results.stream().allMatch(r -> r.error() == Errors.TOPIC_AUTHORIZATION_FAILED)) return true;
        for (ReadResult r : results) {
            if (r.error() == Errors.TOPIC_AUTHORIZATION_FAILED) continue;
            if (r.error() != Errors.NONE) return true; // errors are answered at once, as Kafka does
            bytes += r.sizeInBytes();
        }
        return bytes >= data.minBytes();
    }

    /** Reads partitions one after another, each within what the earlier ones left of the budget. */
    private CompletableFuture<List<ReadResult>> readAll(List<Wanted> wanted, int maxBytes, int replicaId, boolean readCommitted) {
        List<ReadResult> results = new ArrayList<>();
        CompletableFuture<int[]> chain = CompletableFuture.completedFuture(new int[] {Math.max(0, maxBytes), 0});
        for (Wanted w : wanted) {
            chain = chain.thenCompose(budget -> readOne(w, budget[0], budget[1] == 0, replicaId, readCommitted).thenApply(r -> {
                results.add(r);
                int size = r.sizeInBytes();
                return new int[] {Math.max(0, budget[0] - size), budget[1] + size};
            }));
        }
        return chain.thenApply(b -> results);
    }

    /** A consumer reads up to the high watermark; a follower ({@code replicaId} >= 0) up to the log end, and reports its progress. */
    private CompletableFuture<ReadResult> readOne(Wanted w, int budgetBytes, boolean nothingReadYet, int replicaId, boolean readCommitted) {
        if (w.denied()) return CompletableFuture.completedFuture(ReadResult.error(Errors.TOPIC_AUTHORIZATION_FAILED, -1, -1));
        FetchTarget t = w.target();
        var resolved = PartitionLookup.resolve(controller.image(), replicas, t.topic(), t.topicId(), t.partition());
        if (resolved.error() != Errors.NONE) return CompletableFuture.completedFuture(ReadResult.error(resolved.error(), -1, -1));
        int maxBytes = Math.min(budgetBytes, Math.max(0, t.partitionMaxBytes()));
        boolean minOneMessage = nothingReadYet; // KIP-74: progress even when one batch exceeds the limits
        if (replicaId < 0) {
            return resolved.partition().readForFetch(t.fetchOffset(), maxBytes, minOneMessage, t.currentLeaderEpoch(), readCommitted)
                    .exceptionally(e -> ReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, -1, -1));
        }
        // A follower catching up on a throttled partition gets nothing while the leader's throttle is spent;
        // its fetch still counts as progress, and it asks again after the fetch wait.
        var partition = resolved.partition();
        boolean throttled = quotas.leader().isThrottled(partition.topicPartition()) && !partition.isr().contains(replicaId);
        long nowMs = System.currentTimeMillis();
        boolean held = throttled && quotas.leader().isExceeded(nowMs);
        return partition.readForFollower(replicaId, t.fetchOffset(), held ? 0 : maxBytes, !held && minOneMessage, t.currentLeaderEpoch())
                .thenApply(r -> {
                    if (throttled) quotas.leader().record(r.sizeInBytes(), nowMs);
                    return r;
                })
                .exceptionally(e -> ReadResult.error(Errors.NOT_LEADER_OR_FOLLOWER, -1, -1));
    }

    /**
     * The response to a fetch that has read {@code results}: every partition of a full fetch (which,
     * when offered, becomes a session if the cache has room), or the changed ones of an incremental.
     */
    private FetchResponseData toResponse(RequestContext context, Opened opened, int replicaId, List<Wanted> wanted, List<ReadResult> results) {
        boolean byId = context.apiVersion() >= 13;
        int sessionId = FetchMetadata.INVALID_SESSION_ID;
        BitSet included = null;
        if (opened instanceof Incremental incremental) {
            sessionId = incremental.session().id();
            included = incremental.answer(results);
            if (included == null) return sessionError(Errors.INVALID_FETCH_SESSION_EPOCH);
        } else if (opened instanceof FetchSessionCache.Full full && full.offerSession()) {
            sessionId = sessions.create(replicaId >= 0, byId, wanted.stream().map(Wanted::target).toList(), results, time.milliseconds());
        }
        FetchResponseData response = new FetchResponseData().setErrorCode(Errors.NONE.code()).setSessionId(sessionId);
        Map<Object, FetchableTopicResponse> topics = new HashMap<>(); // by topic id (v13+) or name
        for (int i = 0; i < wanted.size(); i++) {
            if (included != null && !included.get(i)) continue;
            FetchTarget t = wanted.get(i).target();
            ReadResult r = results.get(i);
            FetchableTopicResponse topic = topics.computeIfAbsent(byId ? t.topicId() : t.topic(), k -> {
                FetchableTopicResponse created = new FetchableTopicResponse().setTopic(byId ? "" : t.topic())
                        .setTopicId(byId ? t.topicId() : Uuid.ZERO_UUID);
                response.responses().add(created);
                return created;
            });
            topic.partitions().add(new PartitionData().setPartitionIndex(t.partition())
                    .setErrorCode(r.error().code())
                    .setHighWatermark(r.highWatermark())
                    .setLastStableOffset(r.lastStableOffset())
                    .setLogStartOffset(r.logStartOffset())
                    .setAbortedTransactions(abortedTransactions(r))
                    .setPreferredReadReplica(-1)
                    .setRecords(r.records()));
            if (r.sizeInBytes() > 0) {
                String name = byId ? nameOf(t.topicId()) : t.topic();
                if (name != null) metrics.bytesOut(name, r.sizeInBytes());
            }
        }
        return response;
    }

    private static List<FetchResponseData.AbortedTransaction> abortedTransactions(ReadResult r) {
        if (r.abortedTransactions() == null) return null;
        List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>(r.abortedTransactions().size());
        for (var txn : r.abortedTransactions())
            aborted.add(new FetchResponseData.AbortedTransaction().setProducerId(txn.producerId()).setFirstOffset(txn.firstOffset()));
        return aborted;
    }

    private String nameOf(Uuid topicId) {
        var topic = controller.image().topic(topicId);
        return topic == null ? null : topic.name();
    }

    private static final int IDLE = 0;
    private static final int READING = 1;
    private static final int STALE = 2;

    /**
     * A fetch waiting for {@code minBytes}. Lives on its connection's event loop, which alone
     * answers it: the first re-read that has enough, or the timer. An append starts a re-read right
     * where it happened, on the partition's I/O thread (a partition read there needs no hop), and
     * only the results travel to the event loop. At most one re-read is in flight; appends during
     * it mark it stale, and the event loop then reads once more.
     */
    private final class DelayedFetch implements FetchPurgatory.Watcher {
        private final RequestContext context;
        private final FetchRequestData data;
        private final Opened opened;
        private final List<Wanted> wanted;
        private final int replicaId;
        private final CompletableFuture<ApiMessage> response;
        private final List<TopicPartition> watched = new ArrayList<>();
        private long timerId = -1;
        /** Set on the event loop; read by appending I/O threads only to skip work for an answered fetch. */
        private volatile boolean done;
        /** IDLE, READING (a re-read in flight) or STALE (and an append came after it started); any thread. */
        private final AtomicInteger reread = new AtomicInteger(IDLE);

        DelayedFetch(RequestContext context, FetchRequestData data, Opened opened, List<Wanted> wanted, int replicaId,
                     CompletableFuture<ApiMessage> response) {
            this.opened = opened;
            this.replicaId = replicaId;
            this.context = context;
            this.data = data;
            this.wanted = wanted;
            this.response = response;
        }

        void start() {
            for (Wanted w : wanted) {
                FetchTarget t = w.target();
                var resolved = PartitionLookup.resolve(controller.image(), replicas, t.topic(), t.topicId(), t.partition());
                if (resolved.partition() == null) continue;
                watched.add(resolved.partition().topicPartition());
                replicas.purgatory().watch(resolved.partition().topicPartition(), this);
            }
            timerId = context.eventLoop().owner().setTimer(Math.max(1, data.maxWaitMs()), id -> {
                timerId = -1;
                readAll(wanted, data.maxBytes(), replicaId, readCommitted(data)).thenAccept(results -> context.eventLoop().runOnContext(v -> finish(results)));
            });
            onAppend(); // an append may have landed between the first read and the watch
        }

        /** On the appending partition's I/O thread, or on the event loop from {@link #start()}. */
        @Override
        public void onAppend() {
            while (!done) {
                int state = reread.get();
                if (state == IDLE && reread.compareAndSet(IDLE, READING)) {
                    reread();
                    return;
                }
                if (state == STALE || (state == READING && reread.compareAndSet(READING, STALE))) return;
            }
        }

        /** Reads every wanted partition (here, for those this thread owns) and judges the results on the event loop. */
        private void reread() {
            readAll(wanted, data.maxBytes(), replicaId, readCommitted(data)).thenAccept(results -> context.eventLoop().runOnContext(v -> {
                if (done) return;
                if (isEnough(results, data)) {
                    finish(results);
                } else if (!reread.compareAndSet(READING, IDLE)) {
                    reread.set(READING); // STALE: an append came while this read was in flight
                    reread();
                }
            }));
        }

        private void finish(List<ReadResult> results) {
            if (done) return;
            done = true;
            if (timerId >= 0) context.eventLoop().owner().cancelTimer(timerId);
            for (TopicPartition tp : watched) replicas.purgatory().unwatch(tp, this);
            response.complete(toResponse(context, opened, replicaId, wanted, results));
        }
    }
}
