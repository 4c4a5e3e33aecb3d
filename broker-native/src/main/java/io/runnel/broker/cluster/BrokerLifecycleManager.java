package io.runnel.broker.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.BrokerHeartbeatRequestData;
import org.apache.kafka.common.message.BrokerHeartbeatResponseData;
import org.apache.kafka.common.message.BrokerRegistrationRequestData;
import org.apache.kafka.common.message.BrokerRegistrationResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.BrokerHeartbeatRequest;
import org.apache.kafka.common.requests.BrokerHeartbeatResponse;
import org.apache.kafka.common.requests.BrokerRegistrationRequest;
import org.apache.kafka.common.requests.BrokerRegistrationResponse;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.BrokerImage;

/**
 * A broker's standing with the active controller, as in KRaft: it registers (BrokerRegistration,
 * retried until a controller accepts it), then heartbeats every {@code broker.heartbeat.interval.ms}
 * so the controller does not fence it, and at shutdown asks to be fenced first (controlled
 * shutdown) so that clients move on at once instead of after {@code broker.session.timeout.ms}.
 * A controller that forgot the registration (STALE_BROKER_EPOCH, BROKER_ID_NOT_REGISTERED) gets it again.
 *
 * <p>Threading: one scheduler thread owns the state; responses hop onto it. The broker epoch and
 * fenced flag may be read from any thread.
 */
public final class BrokerLifecycleManager implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BrokerLifecycleManager.class);
    /** Back-off between attempts when no controller answered (none elected yet, or it moved). */
    static final long RETRY_BACKOFF_MS = 100;

    private final int brokerId;
    private final String clusterId;
    private final String rack;
    private final long heartbeatIntervalMs;
    private final ControllerChannel channel;
    private final LongSupplier appliedMetadataOffset;
    private final Uuid incarnationId = Uuid.randomUuid();
    private final ScheduledExecutorService thread;
    private final CompletableFuture<Long> registered = new CompletableFuture<>();
    private List<BrokerImage.Endpoint> endpoints = List.of();
    private volatile long brokerEpoch = -1;
    private volatile boolean fenced = true;
    private int failedAttempts;
    /** Set at controlled shutdown: heartbeats then ask to shut down; completed when the controller agrees. */
    private CompletableFuture<Void> shutdownAgreed;
    private boolean closed;

    public BrokerLifecycleManager(int brokerId, String clusterId, String rack, long heartbeatIntervalMs, ControllerChannel channel,
                                  LongSupplier appliedMetadataOffset) {
        this.brokerId = brokerId;
        this.clusterId = clusterId;
        this.rack = rack;
        this.heartbeatIntervalMs = heartbeatIntervalMs;
        this.channel = channel;
        this.appliedMetadataOffset = appliedMetadataOffset;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "runnel-broker-lifecycle-" + brokerId));
    }

    /** Registers with these advertised endpoints; completes with the broker epoch once a controller accepted it. */
    public CompletableFuture<Long> start(List<BrokerImage.Endpoint> advertised) {
        thread.execute(() -> {
            endpoints = List.copyOf(advertised);
            register();
        });
        return registered;
    }

    public long brokerEpoch() {
        return brokerEpoch;
    }

    /** Whether the controller's last answer had this broker fenced (true until the first one). */
    public boolean isFenced() {
        return fenced;
    }

    private void register() {
        if (closed) return;
        BrokerRegistrationRequestData.ListenerCollection listeners = new BrokerRegistrationRequestData.ListenerCollection();
        for (BrokerImage.Endpoint e : endpoints) {
            listeners.add(new BrokerRegistrationRequestData.Listener().setName(e.listenerName()).setHost(e.host()).setPort(e.port())
                    .setSecurityProtocol(e.securityProtocol()));
        }
        BrokerRegistrationRequestData data = new BrokerRegistrationRequestData().setBrokerId(brokerId).setClusterId(clusterId)
                .setIncarnationId(incarnationId).setListeners(listeners).setRack(rack.isBlank() ? null : rack)
                .setPreviousBrokerEpoch(brokerEpoch);
        channel.send(new BrokerRegistrationRequest.Builder(data)).whenComplete((response, error) ->
                onThread(() -> onRegistration(response, error)));
    }

    private void onRegistration(AbstractResponse response, Throwable error) {
        if (closed) return;
        BrokerRegistrationResponseData data = error == null ? ((BrokerRegistrationResponse) response).data() : null;
        Errors result = error != null ? Errors.forException(error) : Errors.forCode(data.errorCode());
        if (result != Errors.NONE) {
            if (failedAttempts++ % 50 == 0)
                LOG.infof("Broker %d is not registered yet (%s%s); retrying every %d ms", brokerId, result.name(),
                        error != null ? ": " + error.getMessage() : "", RETRY_BACKOFF_MS);
            thread.schedule(this::register, RETRY_BACKOFF_MS, TimeUnit.MILLISECONDS);
            return;
        }
        failedAttempts = 0;
        brokerEpoch = data.brokerEpoch();
        LOG.infof("Broker %d registered with the controller: broker epoch %d", brokerId, brokerEpoch);
        registered.complete(brokerEpoch);
        heartbeat();
    }

    private void heartbeat() {
        if (closed) return;
        boolean shuttingDown = shutdownAgreed != null;
        BrokerHeartbeatRequestData data = new BrokerHeartbeatRequestData().setBrokerId(brokerId).setBrokerEpoch(brokerEpoch)
                .setCurrentMetadataOffset(appliedMetadataOffset.getAsLong()).setWantFence(false).setWantShutDown(shuttingDown);
        channel.send(new BrokerHeartbeatRequest.Builder(data)).whenComplete((response, error) -> onThread(() -> onHeartbeat(response, error)));
    }

    private void onHeartbeat(AbstractResponse response, Throwable error) {
        if (closed) return;
        BrokerHeartbeatResponseData data = error == null ? ((BrokerHeartbeatResponse) response).data() : null;
        Errors result = error != null ? Errors.forException(error) : Errors.forCode(data.errorCode());
        switch (result) {
            case NONE -> {
                if (fenced != data.isFenced()) LOG.infof("Broker %d is %s by the controller", brokerId, data.isFenced() ? "fenced" : "unfenced");
                fenced = data.isFenced();
                if (shutdownAgreed != null && data.shouldShutDown()) {
                    shutdownAgreed.complete(null);
                    return;
                }
                thread.schedule(this::heartbeat, shutdownAgreed != null ? RETRY_BACKOFF_MS : heartbeatIntervalMs, TimeUnit.MILLISECONDS);
            }
            case STALE_BROKER_EPOCH, BROKER_ID_NOT_REGISTERED -> {
                LOG.warnf("The controller does not know broker %d at epoch %d (%s): registering again", brokerId, brokerEpoch, result.name());
                fenced = true;
                register();
            }
            default -> thread.schedule(this::heartbeat, RETRY_BACKOFF_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Controlled shutdown: tells the controller this broker is going (it fences it, so clients and
     * the other brokers stop using it now) and waits for its agreement, at most {@code timeoutMs}.
     */
    public void controlledShutdown(long timeoutMs) {
        CompletableFuture<Void> agreed = new CompletableFuture<>();
        try {
            thread.execute(() -> {
                if (brokerEpoch < 0) {
                    agreed.complete(null); // never registered: nothing to hand over
                    return;
                }
                shutdownAgreed = agreed;
                heartbeat();
            });
            agreed.get(timeoutMs, TimeUnit.MILLISECONDS);
            LOG.infof("Broker %d: controlled shutdown agreed by the controller", brokerId);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warnf("Broker %d: no controller agreed to the controlled shutdown within %d ms; stopping anyway", brokerId, timeoutMs);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            LOG.warnf("Broker %d: controlled shutdown failed: %s", brokerId, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void onThread(Runnable task) {
        try {
            thread.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // closed meanwhile
        }
    }

    @Override
    public void close() {
        try {
            thread.submit(() -> closed = true).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // already stopped
        }
        thread.shutdownNow();
        registered.completeExceptionally(new IllegalStateException("broker " + brokerId + " stopped before it registered"));
    }
}
