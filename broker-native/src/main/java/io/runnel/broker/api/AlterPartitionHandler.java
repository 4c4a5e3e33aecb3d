package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.AlterPartitionRequestData;
import org.apache.kafka.common.message.AlterPartitionResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;

/**
 * AlterPartition, on the controller listener: partition leaders propose ISR changes; each
 * partition is decided on its own by the active controller. Stateless.
 */
public final class AlterPartitionHandler implements ApiHandler {
    private final MetadataController controller;

    public AlterPartitionHandler(MetadataController controller) {
        this.controller = controller;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        AlterPartitionRequestData data = (AlterPartitionRequestData) request;
        AlterPartitionResponseData response = new AlterPartitionResponseData();
        List<CompletableFuture<?>> decisions = new ArrayList<>();
        for (AlterPartitionRequestData.TopicData topic : data.topics()) {
            AlterPartitionResponseData.TopicData topicResult = new AlterPartitionResponseData.TopicData().setTopicId(topic.topicId());
            response.topics().add(topicResult);
            for (AlterPartitionRequestData.PartitionData p : topic.partitions()) {
                AlterPartitionResponseData.PartitionData result = new AlterPartitionResponseData.PartitionData().setPartitionIndex(p.partitionIndex());
                topicResult.partitions().add(result);
                List<Integer> newIsr = context.apiVersion() >= 3
                        ? p.newIsrWithEpochs().stream().map(AlterPartitionRequestData.BrokerState::brokerId).toList() : p.newIsr();
                decisions.add(controller.alterPartition(data.brokerId(), data.brokerEpoch(), topic.topicId(), p.partitionIndex(),
                        p.leaderEpoch(), p.partitionEpoch(), newIsr).handle((decided, error) -> {
                            Errors code = error != null ? ControllerErrors.of(error) : decided.error();
                            result.setErrorCode(code.code());
                            if (error == null && decided.partition() != null) {
                                var partition = decided.partition();
                                result.setLeaderId(partition.leader()).setLeaderEpoch(partition.leaderEpoch()).setIsr(partition.isr())
                                        .setPartitionEpoch(partition.partitionEpoch());
                            }
                            return null;
                        }));
            }
        }
        return CompletableFuture.allOf(decisions.toArray(CompletableFuture[]::new)).thenApply(v -> {
            // A stale broker epoch fails the whole request, as Kafka answers it.
            for (var t : response.topics())
                for (var p : t.partitions())
                    if (p.errorCode() == Errors.STALE_BROKER_EPOCH.code()) return new AlterPartitionResponseData().setErrorCode(p.errorCode());
            return response;
        });
    }
}
