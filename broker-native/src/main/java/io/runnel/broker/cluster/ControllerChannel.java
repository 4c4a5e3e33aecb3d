package io.runnel.broker.cluster;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.raft.LeaderAndEpoch;
import org.apache.kafka.server.util.RequestAndCompletionHandler;

import io.runnel.broker.config.NodeChannelSecurity;

/**
 * Sends a broker's requests for the controller (BrokerRegistration, BrokerHeartbeat, ...) to the
 * active controller: the metadata quorum's leader, at its address in
 * {@code controller.quorum.voters} on the controller listener. One {@link InterBrokerSendThread}
 * owns the network client; {@link #send} may be called from any thread, and its future completes
 * on that thread. No retries here: the caller decides what a NOT_CONTROLLER or a lost connection means.
 */
public final class ControllerChannel implements AutoCloseable {
    private final Map<Integer, InetSocketAddress> voters;
    private final Supplier<LeaderAndEpoch> leader;
    private final Time time;
    private final QueuedSendThread sender;

    public ControllerChannel(int nodeId, NodeChannelSecurity controllerListener, Map<Integer, InetSocketAddress> voters, Supplier<LeaderAndEpoch> leader,
                             int requestTimeoutMs, long connectionsMaxIdleMs, Time time) {
        this.voters = Map.copyOf(voters);
        this.leader = leader;
        this.time = time;
        String clientId = "runnel-broker-" + nodeId + "-to-controller";
        this.sender = new QueuedSendThread(clientId, NodeNetworkClient.create(clientId, controllerListener, requestTimeoutMs,
                connectionsMaxIdleMs, time), requestTimeoutMs, time);
        sender.start();
    }

    /**
     * Sends {@code request} to the active controller. Fails with {@link NotControllerException}
     * when no leader is known, {@code DisconnectException} when the connection failed or timed out.
     */
    public CompletableFuture<AbstractResponse> send(AbstractRequest.Builder<? extends AbstractRequest> request) {
        OptionalInt leaderId = leader.get().leaderId();
        InetSocketAddress address = leaderId.isPresent() ? voters.get(leaderId.getAsInt()) : null;
        if (address == null) return CompletableFuture.failedFuture(new NotControllerException("No active controller is known yet"));
        Node controller = new Node(leaderId.getAsInt(), address.getHostString(), address.getPort());
        CompletableFuture<AbstractResponse> result = new CompletableFuture<>();
        sender.enqueue(new RequestAndCompletionHandler(time.milliseconds(), controller, request, response -> complete(result, response, controller)));
        return result;
    }

    private static void complete(CompletableFuture<AbstractResponse> result, ClientResponse response, Node controller) {
        QueuedSendThread.complete(result, response, "controller " + controller);
    }

    @Override
    public void close() {
        try {
            sender.shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
