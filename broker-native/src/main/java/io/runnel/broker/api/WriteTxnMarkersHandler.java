package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TxnMarkerWriter;

/**
 * WriteTxnMarkers: a transaction coordinator (on another broker, or an admin's
 * {@code abortTransaction}, as {@code kafka-transactions abort} sends) ends transactions in
 * partitions this broker leads. Each partition's marker is written by {@link TxnMarkerWriter} and
 * answered with its own error; the markers of one request are written concurrently.
 */
public final class WriteTxnMarkersHandler implements ApiHandler {
    private final TxnMarkerWriter writer;

    public WriteTxnMarkersHandler(TxnMarkerWriter writer) {
        this.writer = writer;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        WriteTxnMarkersRequestData data = (WriteTxnMarkersRequestData) request;
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (WriteTxnMarkersRequestData.WritableTxnMarker marker : data.markers()) {
            WritableTxnMarkerResult markerResult = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            response.markers().add(markerResult);
            for (WriteTxnMarkersRequestData.WritableTxnMarkerTopic topic : marker.topics()) {
                WritableTxnMarkerTopicResult topicResult = new WritableTxnMarkerTopicResult().setName(topic.name());
                markerResult.topics().add(topicResult);
                for (int index : topic.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult partitionResult = new WritableTxnMarkerPartitionResult().setPartitionIndex(index);
                    topicResult.partitions().add(partitionResult);
                    writes.add(writer.write(marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(), marker.transactionResult(),
                            new TopicPartition(topic.name(), index)).thenAccept(error -> partitionResult.setErrorCode(error.code())));
                }
            }
        }
        return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).thenApply(v -> response);
    }
}
