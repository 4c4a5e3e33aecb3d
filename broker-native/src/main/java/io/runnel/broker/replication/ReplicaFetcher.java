package io.runnel.broker.replication;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.FetchSessionHandler;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.NetworkClientUtils;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;
import org.apache.kafka.server.util.ShutdownableThread;
import org.jboss.logging.Logger;

import io.runnel.broker.config.ClusterConfig;
import io.runnel.broker.partition.Partition;

/**
 * Copies the partitions this broker follows from one leader broker, the Kafka way: on every new
 * leader epoch a partition first truncates to where its log agrees with the leader's
 * (OffsetForLeaderEpoch, KIP-279), then fetches with Fetch as a replica, appending what arrives
 * with the leader's offsets and epochs and taking the leader's high watermark. The leader counts
 * each fetch as the follower's progress, which is what moves the ISR and the high watermark.
 * Fetches go through an incremental fetch session (KIP-227, kafka-clients' own
 * {@link FetchSessionHandler}, as Kafka's replica fetcher does): a request names only partitions
 * whose position moved, and the leader answers only partitions with news.
 *
 * <p>Threading: its own thread ({@code runnel-replica-fetcher-<leader>}) owns the network client
 * and the fetch loop; {@link #assign} is called from the metadata thread and only swaps entries
 * of a concurrent map. Disk work happens on each partition's I/O thread; this thread waits for it.
 */
final class ReplicaFetcher extends ShutdownableThread {
    private static final Logger LOG = Logger.getLogger(ReplicaFetcher.class);

    /** One followed partition: whom it follows at which epoch, and where it stands. */
    private static final class State {
        final Partition partition;
        final int leaderEpoch;
        boolean truncated;
        long fetchOffset = -1;
        long retryAtMs;

        State(Partition partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
        }
    }

    private final int localId;
    private final int leaderId;
    private final IntFunction<Node> leaderNode;
    private final LongSupplier brokerEpoch;
    private final ClusterConfig settings;
    private final NetworkClient client;
    private final Time time;
    private final ConcurrentHashMap<TopicPartition, State> partitions = new ConcurrentHashMap<>();
    private final ReplicationQuotas.Quota throttle;
    /** The fetch session with the leader; this fetcher's thread only. */
    private final FetchSessionHandler session;

    ReplicaFetcher(int localId, int leaderId, IntFunction<Node> leaderNode, LongSupplier brokerEpoch, ClusterConfig settings,
                   NetworkClient client, ReplicationQuotas.Quota throttle, Time time) {
        super("runnel-replica-fetcher-" + leaderId, true);
        this.throttle = throttle;
        this.localId = localId;
        this.leaderId = leaderId;
        this.leaderNode = leaderNode;
        this.brokerEpoch = brokerEpoch;
        this.settings = settings;
        this.client = client;
        this.time = time;
        this.session = new FetchSessionHandler(new LogContext("[ReplicaFetcher leader=" + leaderId + "] "), leaderId);
    }

    /** Follows {@code partition} at {@code leaderEpoch}; a new epoch starts it over with truncation. */
    void assign(TopicPartition tp, Partition partition, int leaderEpoch) {
        State current = partitions.get(tp);
        if (current != null && current.partition == partition && current.leaderEpoch == leaderEpoch) return;
        partitions.put(tp, new State(partition, leaderEpoch));
    }

    /** Drops every partition not in {@code followed}. */
    void retainOnly(java.util.Set<TopicPartition> followed) {
        partitions.keySet().retainAll(followed);
    }

    @Override
    public void doWork() {
        Node leader = null;
        try {
            if (partitions.isEmpty()) {
                idle(100);
                return;
            }
            leader = leaderNode.apply(leaderId);
            if (leader == null || !NetworkClientUtils.awaitReady(client, leader, time, settings.replicaFetchWaitMaxMs() + 30_000L)) {
                backOff("leader broker " + leaderId + " is not reachable");
                return;
            }
            truncate(leader);
            fetch(leader);
        } catch (IOException e) {
            session.handleError(e); // the next fetch starts a new session
            AuthenticationException refused = leader == null ? null : client.authenticationException(leader);
            if (refused != null) authenticationFailed(refused);
            else backOff(e.getMessage());
        } catch (AuthenticationException e) {
            authenticationFailed(e);
        } catch (RuntimeException e) {
            if (!isRunning()) return;
            LOG.warnf(e, "Replica fetcher for leader %d failed; retrying", leaderId);
            backOff(e.toString());
        }
    }

    /** Not transient: the leader refuses this node's inter-broker credentials or certificate. Logged at every retry until fixed. */
    private void authenticationFailed(AuthenticationException e) {
        LOG.errorf("Replica fetcher cannot authenticate to leader broker %d: %s; this broker stays out of the ISR until its inter-broker "
                + "credentials (sasl.mechanism.inter.broker.protocol, listener.name.<listener>.<mechanism>.sasl.jaas.config) or "
                + "certificate are accepted", leaderId, e.getMessage());
        backOff(e.toString());
    }

    private void backOff(String why) {
        LOG.debugf("Replica fetcher for leader %d backs off: %s", leaderId, why);
        idle(settings.replicaFetchBackoffMs());
    }

    /** Waits, or returns at once when shutdown begins. */
    private void idle(long ms) {
        try {
            pause(ms, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** OffsetForLeaderEpoch for every partition that has not truncated at its current epoch yet. */
    private void truncate(Node leader) throws IOException {
        Map<TopicPartition, State> pending = new LinkedHashMap<>();
        OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection topics = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
        for (Map.Entry<TopicPartition, State> e : partitions.entrySet()) {
            State s = e.getValue();
            if (s.truncated) continue;
            int ownEpoch = s.partition.latestEpoch().join();
            if (ownEpoch < 0) { // an empty log agrees with everyone
                s.truncated = true;
                s.fetchOffset = s.partition.logEndOffset();
                continue;
            }
            pending.put(e.getKey(), s);
            var topic = topics.find(e.getKey().topic());
            if (topic == null) {
                topic = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(e.getKey().topic());
                topics.add(topic);
            }
            topic.partitions().add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(e.getKey().partition())
                    .setCurrentLeaderEpoch(s.leaderEpoch).setLeaderEpoch(ownEpoch));
        }
        if (pending.isEmpty()) return;
        var response = (OffsetsForLeaderEpochResponse) send(leader, OffsetsForLeaderEpochRequest.Builder.forFollower(topics, localId));
        for (OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult topic : response.data().topics()) {
            for (OffsetForLeaderEpochResponseData.EpochEndOffset p : topic.partitions()) {
                TopicPartition tp = new TopicPartition(topic.topic(), p.partition());
                State s = pending.get(tp);
                if (s == null || partitions.get(tp) != s) continue; // reassigned meanwhile
                Errors error = Errors.forCode(p.errorCode());
                if (error != Errors.NONE) {
                    s.retryAtMs = time.milliseconds() + settings.replicaFetchBackoffMs();
                    LOG.debugf("%s: OffsetForLeaderEpoch at leader %d answered %s", tp, leaderId, error.name());
                    continue;
                }
                long endOffset = p.endOffset();
                if (p.leaderEpoch() < 0 || endOffset < 0) {
                    // The leader has nothing of this follower's epochs: keep only what is committed.
                    endOffset = s.partition.highWatermark();
                }
                s.fetchOffset = s.partition.truncateToLeader(p.leaderEpoch(), endOffset).join();
                s.truncated = true;
            }
        }
    }

    private void fetch(Node leader) throws IOException {
        long nowMs = time.milliseconds();
        FetchSessionHandler.Builder wanted = session.newBuilder(partitions.size(), false);
        Map<TopicPartition, State> states = new HashMap<>();
        boolean throttleSpent = throttle.isExceeded(nowMs);
        for (Map.Entry<TopicPartition, State> e : partitions.entrySet()) {
            State s = e.getValue();
            if (!s.truncated || s.retryAtMs > nowMs) continue;
            Partition p = s.partition;
            // follower.replication.throttled.rate: catching up on a throttled partition waits while the throttle is spent.
            if (throttleSpent && isThrottled(e.getKey(), p)) continue;
            wanted.add(e.getKey(), new FetchRequest.PartitionData(p.topicId(), s.fetchOffset, p.logStartOffset(),
                    settings.replicaFetchMaxBytes(), Optional.of(s.leaderEpoch), Optional.empty()));
            states.put(e.getKey(), s);
        }
        if (states.isEmpty()) {
            backOff("no partition ready to fetch");
            return;
        }
        // Partitions left out this time (backing off, throttled, truncating) leave the session and come back in full later.
        FetchSessionHandler.FetchRequestData fetch = wanted.build();
        FetchRequest.Builder request = FetchRequest.Builder.forReplica(ApiKeys.FETCH.latestVersion(), localId, brokerEpoch.getAsLong(),
                        settings.replicaFetchWaitMaxMs(), 1, fetch.toSend())
                .removed(fetch.toForget()).replaced(fetch.toReplace()).metadata(fetch.metadata()).setMaxBytes(10 * 1024 * 1024);
        ClientResponse clientResponse = sendRaw(leader, request);
        FetchResponse response = (FetchResponse) clientResponse.responseBody();
        short version = clientResponse.requestHeader().apiVersion();
        if (!session.handleResponse(response, version)) {
            // The handler has gone back to a full fetch. A lost session (the leader restarted or evicted it) is no reason
            // to wait, as in Kafka's fetcher; any other failure is.
            Errors error = response.error();
            if (error != Errors.FETCH_SESSION_ID_NOT_FOUND && error != Errors.INVALID_FETCH_SESSION_EPOCH) backOff("fetch failed: " + error.name());
            return;
        }
        for (Map.Entry<TopicPartition, FetchResponseData.PartitionData> e : response.responseData(session.sessionTopicNames(), version).entrySet()) {
            State s = states.get(e.getKey());
            if (s == null || partitions.get(e.getKey()) != s) continue;
            if (isThrottled(e.getKey(), s.partition)) throttle.record(FetchResponse.recordsSize(e.getValue()), nowMs);
            handle(e.getKey(), s, e.getValue());
        }
    }

    private boolean isThrottled(TopicPartition tp, Partition p) {
        return throttle.isThrottled(tp) && !p.isr().contains(localId);
    }

    private void handle(TopicPartition tp, State s, FetchResponseData.PartitionData data) {
        Errors error = Errors.forCode(data.errorCode());
        switch (error) {
            case NONE -> {
                MemoryRecords records = (MemoryRecords) FetchResponse.recordsOrFail(data);
                s.fetchOffset = s.partition.appendAsFollower(records, data.highWatermark(), data.logStartOffset()).join();
            }
            case OFFSET_OUT_OF_RANGE -> {
                if (s.fetchOffset < data.logStartOffset()) s.fetchOffset = s.partition.truncateFullyAndStartAt(data.logStartOffset()).join();
                else s.truncated = false; // past the leader's end: agree on epochs again
            }
            default -> {
                // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_*: one of us has older
                // metadata than the other; the next image or a retry settles it.
                LOG.debugf("%s: fetch from leader %d answered %s", tp, leaderId, error.name());
                s.retryAtMs = time.milliseconds() + settings.replicaFetchBackoffMs();
            }
        }
    }

    private org.apache.kafka.common.requests.AbstractResponse send(Node leader, AbstractRequest.Builder<?> request) throws IOException {
        return sendRaw(leader, request).responseBody();
    }

    private ClientResponse sendRaw(Node leader, AbstractRequest.Builder<?> request) throws IOException {
        ClientResponse response = NetworkClientUtils.sendAndReceive(client,
                client.newClientRequest(Integer.toString(leader.id()), request, time.milliseconds(), true), time);
        if (response.versionMismatch() != null) throw new IOException("version mismatch with leader " + leaderId, response.versionMismatch());
        if (response.wasDisconnected()) throw new IOException("disconnected from leader " + leaderId);
        return response;
    }

    @Override
    public boolean initiateShutdown() {
        boolean first = super.initiateShutdown();
        if (first) client.wakeup();
        return first;
    }

    void closeClient() {
        try {
            client.close();
        } catch (Exception e) {
            LOG.debugf("Closing the fetcher client for leader %d: %s", leaderId, e.toString());
        }
    }
}
