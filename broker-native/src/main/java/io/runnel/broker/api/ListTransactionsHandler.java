package io.runnel.broker.api;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.protocol.RequestContext;
import io.runnel.broker.txn.TransactionCoordinator;
import io.runnel.broker.txn.TransactionState;

/**
 * ListTransactions ({@code kafka-transactions.sh list}): the transactional ids this broker
 * coordinates, filtered by state names (unknown names are echoed back in unknownStateFilters, as
 * Kafka), producer ids, from v1 a minimum duration (KIP-994) and from v2 an id pattern (KIP-1152).
 */
public final class ListTransactionsHandler implements ApiHandler {
    private final TransactionCoordinator coordinator;

    public ListTransactionsHandler(TransactionCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletionStage<ApiMessage> handle(RequestContext context, ApiMessage request) {
        ListTransactionsRequestData data = (ListTransactionsRequestData) request;
        short version = context.apiVersion();
        ListTransactionsResponseData response = new ListTransactionsResponseData();
        Set<TransactionState> states = EnumSet.noneOf(TransactionState.class);
        for (String name : data.stateFilters()) {
            TransactionState state = TransactionState.fromKafkaName(name);
            if (state == null) response.unknownStateFilters().add(name);
            else states.add(state);
        }
        Pattern pattern = null;
        if (version >= 2 && data.transactionalIdPattern() != null && !data.transactionalIdPattern().isEmpty()) {
            try {
                pattern = Pattern.compile(data.transactionalIdPattern());
            } catch (PatternSyntaxException e) {
                return CompletableFuture.completedFuture(response.setErrorCode(Errors.INVALID_REGULAR_EXPRESSION.code()));
            }
        }
        long minDurationMs = version >= 1 ? data.durationFilter() : -1;
        TransactionCoordinator.ListFilter filter = new TransactionCoordinator.ListFilter(states, new HashSet<>(data.producerIdFilters()),
                minDurationMs, pattern);
        if (!data.stateFilters().isEmpty() && states.isEmpty()) {
            // Only unknown states asked for: nothing can match (an empty set would mean "every state").
            return CompletableFuture.completedFuture(response);
        }
        return coordinator.list(filter).thenApply(result -> {
            response.setErrorCode(result.error().code());
            response.transactionStates().addAll(result.transactions());
            return response;
        });
    }
}
