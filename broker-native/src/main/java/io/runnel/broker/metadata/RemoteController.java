package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.apache.kafka.common.message.AllocateProducerIdsRequestData;
import org.apache.kafka.common.message.AllocateProducerIdsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AllocateProducerIdsRequest;
import org.apache.kafka.common.requests.AllocateProducerIdsResponse;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;

import io.runnel.broker.cluster.ControllerChannel;

/**
 * The active controller on another node, for the metadata writes a broker makes itself (topics
 * it auto-creates, the offsets topic, producer id blocks): sent as Kafka's own CreateTopics and
 * AllocateProducerIds over the controller channel, as Kafka's brokers do. Failures come back as
 * Kafka error codes; the callers' clients retry. Stateless; any thread.
 */
final class RemoteController {
    /** How long the controller may take to commit a forwarded topic creation. */
    static final int CREATE_TIMEOUT_MS = 30_000;
    private final ControllerChannel channel;

    RemoteController(ControllerChannel channel) {
        this.channel = channel;
    }

    /** One result per topic (name, error code, message); a request that failed as a whole fails every topic with its error. */
    CompletableFuture<List<TopicResult>> createTopics(List<TopicSpec> specs, boolean validateOnly) {
        CreateTopicsRequestData data = new CreateTopicsRequestData().setValidateOnly(validateOnly).setTimeoutMs(CREATE_TIMEOUT_MS);
        for (TopicSpec spec : specs) data.topics().add(spec.toRequest());
        return channel.send(new CreateTopicsRequest.Builder(data)).handle((response, error) -> {
            List<TopicResult> results = new ArrayList<>();
            if (error != null) {
                Throwable cause = unwrap(error);
                for (TopicSpec spec : specs) results.add(TopicResult.error(spec.name(), Errors.forException(cause), cause.getMessage()));
                return results;
            }
            for (CreatableTopicResult r : ((CreateTopicsResponse) response).data().topics())
                results.add(new TopicResult(r.name(), Errors.forCode(r.errorCode()), r.errorMessage(), null));
            return results;
        });
    }

    /** The first id of a fresh block of {@link MetadataController#PRODUCER_ID_BLOCK_SIZE} ids. */
    CompletableFuture<Long> allocateProducerIds(int brokerId, long brokerEpoch) {
        AllocateProducerIdsRequestData data = new AllocateProducerIdsRequestData().setBrokerId(brokerId).setBrokerEpoch(brokerEpoch);
        return channel.send(new AllocateProducerIdsRequest.Builder(data)).thenApply(response -> {
            AllocateProducerIdsResponseData result = ((AllocateProducerIdsResponse) response).data();
            Errors error = Errors.forCode(result.errorCode());
            if (error != Errors.NONE) throw new CompletionException(error.exception());
            return result.producerIdStart();
        });
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
