package io.runnel.broker.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;

/**
 * DescribeTransactions ({@code kafka-transactions.sh describe}): state, producer id and epoch,
 * timeout, start time and partitions of each id, asked of its coordinator. An id this broker does
 * not coordinate is NOT_COORDINATOR, an unknown one TRANSACTIONAL_ID_NOT_FOUND, an empty one INVALID_REQUEST.
 */
public final class DescribeTransactionsHandler implements ApiHandler {
    private final TransactionCoordinator coordinator;

    public DescribeTransactionsHandler(TransactionCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        DescribeTransactionsRequestData data = (DescribeTransactionsRequestData) request;
        List<CompletableFuture<DescribeTransactionsResponseData.TransactionState>> described = new ArrayList<>();
        for (String transactionalId : data.transactionalIds()) described.add(coordinator.describe(transactionalId));
        return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new)).thenApply(v -> {
            DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
            for (CompletableFuture<DescribeTransactionsResponseData.TransactionState> f : described) response.transactionStates().add(f.join());
            return response;
        });
    }
}
