package io.runnel.broker.txn;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.MetadataImage;
import io.runnel.broker.metadata.TopicImage;

/**
 * KIP-890 part 1 on the produce path: before a partition leader appends the first transactional
 * batch of a producer's transaction, it asks the transaction coordinator whether the partition is
 * in that transaction (AddPartitionsToTxn with {@code verifyOnly}; answered here when this broker
 * is the coordinator). A produce that arrives after its transaction ended (a network delay past a
 * client-side abort) is then refused instead of opening a transaction no marker will ever close.
 * Stateless; any thread.
 */
public final class TransactionVerifier {
    private static final Logger LOG = Logger.getLogger(TransactionVerifier.class);

    private final int localBrokerId;
    private final java.util.function.Supplier<MetadataImage> image;
    private final TransactionCoordinator coordinator;
    private final TxnMarkerChannel channel;

    public TransactionVerifier(int localBrokerId, java.util.function.Supplier<MetadataImage> image, TransactionCoordinator coordinator,
                               TxnMarkerChannel channel) {
        this.localBrokerId = localBrokerId;
        this.image = image;
        this.coordinator = coordinator;
        this.channel = channel;
    }

    /** NONE when {@code tp} is in the producer's ongoing transaction; else the coordinator's error for it. */
    public CompletableFuture<Errors> verify(String transactionalId, long producerId, short producerEpoch, TopicPartition tp) {
        TopicImage state = image.get().topic(TransactionConfig.TRANSACTION_STATE_TOPIC);
        if (state == null) return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
        int leader = state.partition(coordinator.partitionFor(transactionalId)).leader();
        if (leader == localBrokerId) {
            return coordinator.verifyPartitions(transactionalId, producerId, producerEpoch, List.of(tp))
                    .thenApply(results -> results.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR));
        }
        if (leader < 0) return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
        AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnTopic().setName(tp.topic()).setPartitions(List.of(tp.partition())));
        AddPartitionsToTxnTransactionCollection transactions = new AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnTransaction().setTransactionalId(transactionalId).setProducerId(producerId)
                .setProducerEpoch(producerEpoch).setVerifyOnly(true).setTopics(topics));
        var request = AddPartitionsToTxnRequest.Builder.forBroker(transactions);
        return channel.send(leader, request).handle((body, failure) -> {
            if (failure != null) {
                LOG.debugf("Verifying %s of transactional id %s with broker %d failed: %s", tp, transactionalId, leader, failure.toString());
                return Errors.COORDINATOR_NOT_AVAILABLE;
            }
            AddPartitionsToTxnResponse response = (AddPartitionsToTxnResponse) body;
            if (response.data().errorCode() != Errors.NONE.code()) return Errors.forCode(response.data().errorCode());
            Map<TopicPartition, Errors> errors = response.errors().get(transactionalId);
            return errors == null ? Errors.UNKNOWN_SERVER_ERROR : errors.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
        });
    }
}
