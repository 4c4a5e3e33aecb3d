package io.runnel.broker.app;

import org.apache.kafka.common.utils.Time;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.runnel.broker.Broker;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.txn.TransactionConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * The Quarkus shell around {@link Broker}: reads {@code runnel.*} settings (properties, env vars
 * such as {@code RUNNEL_LISTENERS}, system properties) with Kafka's key names, starts the broker at
 * application start and stops it cleanly at shutdown (SIGTERM included).
 */
@ApplicationScoped
public class BrokerLifecycle {
    private static final Logger LOG = Logger.getLogger(BrokerLifecycle.class);
    static final String PREFIX = "runnel.";

    @Inject
    Config config;
    @Inject
    Vertx vertx;
    @Inject
    MeterRegistry registry;

    private volatile Broker broker;
    /** The broker being started, from before its start() runs: what a shutdown during startup must close. */
    private volatile Broker starting;
    private volatile Thread startup;

    /**
     * Starts the broker on its own thread, so that Quarkus' HTTP server comes up at once: liveness
     * answers while a large log is recovered or the quorum forms (a kubelet would otherwise kill a
     * broker that recovers for longer than its liveness probe allows), and readiness answers 503
     * until the broker serves.
     */
    void onStart(@Observes StartupEvent event) {
        BrokerConfig brokerConfig = BrokerConfig.from(key -> config.getOptionalValue(PREFIX + key, String.class));
        GroupConfig groupConfig = GroupConfig.from(key -> config.getOptionalValue(PREFIX + key, String.class));
        TransactionConfig transactionConfig = TransactionConfig.from(key -> config.getOptionalValue(PREFIX + key, String.class));
        Broker created = new Broker(brokerConfig, groupConfig, transactionConfig, vertx, registry, Time.SYSTEM);
        starting = created;
        Thread t = new Thread(() -> {
            try {
                created.start();
                broker = created;
            } catch (RuntimeException e) {
                LOG.errorf(e, "Runnel broker failed to start");
                starting = null;
                created.close();
                Quarkus.asyncExit(1);
            }
        }, "runnel-startup");
        startup = t;
        t.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        Thread t = startup;
        if (t != null && t.isAlive()) {
            // Stopped while starting (SIGTERM during recovery): let the start finish, never cut it short. An
            // interrupted recovery followed by a clean close would mark half-recovered logs as cleanly shut down.
            try {
                t.join(STARTUP_WAIT_ON_STOP_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warnf("Exiting while the broker is still starting (after %d ms): no clean shutdown, its logs are recovered at the next start",
                        STARTUP_WAIT_ON_STOP_MS);
                return;
            }
        }
        broker = null;
        Broker b = starting;
        starting = null;
        if (b != null) b.close();
    }

    private static final long STARTUP_WAIT_ON_STOP_MS = 60_000;

    boolean isReady() {
        Broker b = broker;
        return b != null && b.isReady();
    }
}
