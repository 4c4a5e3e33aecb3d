package io.runnel.broker.txn;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.util.RequestAndCompletionHandler;
import org.jboss.logging.Logger;

import io.runnel.broker.cluster.NodeNetworkClient;
import io.runnel.broker.config.NodeChannelSecurity;
import io.runnel.broker.cluster.QueuedSendThread;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * The transaction coordinator's way to the partitions: markers for partitions this broker leads
 * are written here ({@link TxnMarkerWriter}); the rest go as one WriteTxnMarkers request per
 * leading broker, over the inter-broker listener (the first client listener, as replication
 * uses). A partition with no leader right now is answered NOT_LEADER_OR_FOLLOWER and retried by
 * the coordinator. The send thread is started lazily, so a single broker never opens one.
 * Any thread may call; futures complete on the send thread or a partition's I/O thread.
 */
public final class TxnMarkerChannel implements TxnMarkerSender, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TxnMarkerChannel.class);
    private static final int REQUEST_TIMEOUT_MS = 30_000;

    private final int localBrokerId;
    private final String interBrokerListener;
    private final NodeChannelSecurity interBrokerChannel;
    private final Supplier<MetadataImage> image;
    private final TxnMarkerWriter local;
    private final long connectionsMaxIdleMs;
    private final Time time;
    private QueuedSendThread sender;
    private boolean closed;

    public TxnMarkerChannel(int localBrokerId, NodeChannelSecurity interBrokerChannel, Supplier<MetadataImage> image, TxnMarkerWriter local,
                            long connectionsMaxIdleMs, Time time) {
        this.localBrokerId = localBrokerId;
        this.interBrokerChannel = interBrokerChannel;
        this.interBrokerListener = interBrokerChannel.listenerName();
        this.image = image;
        this.local = local;
        this.connectionsMaxIdleMs = connectionsMaxIdleMs;
        this.time = time;
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Errors>> writeMarkers(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
                                                                      Collection<TopicPartition> partitions) {
        MetadataImage current = image.get();
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<Integer, List<TopicPartition>> byLeader = new HashMap<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            TopicImage topic = current.topic(tp.topic());
            if (topic == null || tp.partition() >= topic.partitionCount()) {
                results.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                continue;
            }
            int leader = topic.partition(tp.partition()).leader();
            if (leader < 0) {
                results.put(tp, Errors.NOT_LEADER_OR_FOLLOWER);
            } else if (leader == localBrokerId) {
                pending.add(local.write(producerId, producerEpoch, coordinatorEpoch, commit, tp).thenAccept(error -> {
                    synchronized (results) {
                        results.put(tp, error);
                    }
                }));
            } else {
                byLeader.computeIfAbsent(leader, l -> new ArrayList<>()).add(tp);
            }
        }
        byLeader.forEach((leader, tps) -> pending.add(sendTo(leader, producerId, producerEpoch, coordinatorEpoch, commit, tps)
                .thenAccept(remote -> {
                    synchronized (results) {
                        results.putAll(remote);
                    }
                })));
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> {
            synchronized (results) {
                return Map.copyOf(results);
            }
        });
    }

    private CompletableFuture<Map<TopicPartition, Errors>> sendTo(int leader, long producerId, short producerEpoch,
                                                                  int coordinatorEpoch, boolean commit, List<TopicPartition> tps) {
        WriteTxnMarkersRequestData.WritableTxnMarker marker = new WriteTxnMarkersRequestData.WritableTxnMarker()
                .setProducerId(producerId).setProducerEpoch(producerEpoch).setTransactionResult(commit).setCoordinatorEpoch(coordinatorEpoch);
        Map<String, WriteTxnMarkersRequestData.WritableTxnMarkerTopic> topics = new LinkedHashMap<>();
        for (TopicPartition tp : tps) {
            topics.computeIfAbsent(tp.topic(), t -> {
                var topic = new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(t);
                marker.topics().add(topic);
                return topic;
            }).partitionIndexes().add(tp.partition());
        }
        WriteTxnMarkersRequest.Builder request = new WriteTxnMarkersRequest.Builder(new WriteTxnMarkersRequestData().setMarkers(List.of(marker)));
        return send(leader, request).handle((body, failure) -> {
            Map<TopicPartition, Errors> results = new HashMap<>();
            if (failure != null) {
                LOG.debugf("WriteTxnMarkers to broker %d failed: %s", leader, failure.toString());
                tps.forEach(tp -> results.put(tp, Errors.NOT_LEADER_OR_FOLLOWER)); // retried once the leader is reachable again
                return results;
            }
            for (var m : ((WriteTxnMarkersResponse) body).data().markers()) {
                for (WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult t : m.topics()) {
                    for (var p : t.partitions()) results.put(new TopicPartition(t.name(), p.partitionIndex()), Errors.forCode(p.errorCode()));
                }
            }
            tps.forEach(tp -> results.putIfAbsent(tp, Errors.UNKNOWN_SERVER_ERROR));
            return results;
        });
    }

    /**
     * Sends a request to broker {@code brokerId} at its inter-broker endpoint in the latest
     * metadata (also the transaction verifier's way to a remote coordinator). Fails with a
     * {@code DisconnectException} when the broker is unknown, unreachable or too slow.
     */
    public CompletableFuture<AbstractResponse> send(int brokerId, AbstractRequest.Builder<? extends AbstractRequest> request) {
        BrokerImage broker = image.get().brokers().get(brokerId);
        BrokerImage.Endpoint endpoint = broker == null ? null : broker.endpointFor(interBrokerListener);
        QueuedSendThread thread = sender();
        if (endpoint == null || thread == null)
            return CompletableFuture.failedFuture(new DisconnectException("broker " + brokerId + " has no " + interBrokerListener + " endpoint"));
        CompletableFuture<AbstractResponse> response = new CompletableFuture<>();
        thread.enqueue(new RequestAndCompletionHandler(time.milliseconds(), new Node(brokerId, endpoint.host(), endpoint.port()), request,
                r -> QueuedSendThread.complete(response, r, "broker " + brokerId)));
        return response;
    }

    private synchronized QueuedSendThread sender() {
        if (closed) return null;
        if (sender == null) {
            String clientId = "runnel-broker-" + localBrokerId + "-txn-markers";
            sender = new QueuedSendThread(clientId, NodeNetworkClient.create(clientId, interBrokerChannel,
                    REQUEST_TIMEOUT_MS, connectionsMaxIdleMs, time), REQUEST_TIMEOUT_MS, time);
            sender.start();
        }
        return sender;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (sender == null) return;
        try {
            sender.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
