package io.runnel.broker.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.KafkaClient;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.server.util.InterBrokerSendThread;
import org.apache.kafka.server.util.RequestAndCompletionHandler;

/**
 * Kafka's {@link InterBrokerSendThread} fed from a queue: any thread may {@link #enqueue} a
 * request; the send thread owns the network client, sends, polls, and runs each completion
 * handler on itself.
 */
public final class QueuedSendThread extends InterBrokerSendThread {
    private final ConcurrentLinkedQueue<RequestAndCompletionHandler> queue = new ConcurrentLinkedQueue<>();

    public QueuedSendThread(String name, KafkaClient client, int requestTimeoutMs, Time time) {
        super(name, client, requestTimeoutMs, time);
    }

    public void enqueue(RequestAndCompletionHandler request) {
        queue.add(request);
        wakeup();
    }

    @Override
    public Collection<RequestAndCompletionHandler> generateRequests() {
        List<RequestAndCompletionHandler> drained = new ArrayList<>();
        RequestAndCompletionHandler next;
        while ((next = queue.poll()) != null) drained.add(next);
        return drained;
    }

    /** Completes {@code result} with the response body, or the version, authentication or connection failure, naming {@code peer}. */
    public static void complete(CompletableFuture<AbstractResponse> result, ClientResponse response, String peer) {
        if (response.versionMismatch() != null) result.completeExceptionally(response.versionMismatch());
        else if (response.authenticationException() != null) result.completeExceptionally(response.authenticationException());
        else if (response.wasDisconnected())
            result.completeExceptionally(new DisconnectException("Lost the connection to " + peer
                    + (response.wasTimedOut() ? " (request timed out)" : "")));
        else result.complete(response.responseBody());
    }
}
