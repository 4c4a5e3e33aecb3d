package io.runnel.broker.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterPartitionRequest;
import org.apache.kafka.common.requests.AlterPartitionResponse;

import io.runnel.broker.partition.IsrChangeSender;

/**
 * Sends a partition leader's ISR proposals to the active controller as Kafka's AlterPartition,
 * stamped with this broker's id and epoch. Stateless apart from its channel; any thread.
 */
public final class AlterPartitionSender implements IsrChangeSender {
    private final int brokerId;
    private final LongSupplier brokerEpoch;
    private final ControllerChannel channel;

    public AlterPartitionSender(int brokerId, LongSupplier brokerEpoch, ControllerChannel channel) {
        this.brokerId = brokerId;
        this.brokerEpoch = brokerEpoch;
        this.channel = channel;
    }

    @Override
    public CompletableFuture<Errors> alterIsr(TopicPartition partition, Uuid topicId, int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {
        AlterPartitionRequestData.TopicData topic = new AlterPartitionRequestData.TopicData().setTopicId(topicId);
        topic.partitions().add(new AlterPartitionRequestData.PartitionData().setPartitionIndex(partition.partition())
                .setLeaderEpoch(leaderEpoch).setPartitionEpoch(partitionEpoch)
                .setNewIsrWithEpochs(AlterPartitionRequest.newIsrToSimpleNewIsrWithBrokerEpochs(newIsr)));
        AlterPartitionRequestData data = new AlterPartitionRequestData().setBrokerId(brokerId).setBrokerEpoch(brokerEpoch.getAsLong());
        data.topics().add(topic);
        return channel.send(new AlterPartitionRequest.Builder(data)).thenApply(response -> {
            AlterPartitionResponseData result = ((AlterPartitionResponse) response).data();
            if (result.errorCode() != Errors.NONE.code()) return Errors.forCode(result.errorCode());
            for (AlterPartitionResponseData.TopicData t : result.topics())
                for (AlterPartitionResponseData.PartitionData p : t.partitions()) return Errors.forCode(p.errorCode());
            return Errors.UNKNOWN_SERVER_ERROR; // an answer without our partition
        });
    }
}
