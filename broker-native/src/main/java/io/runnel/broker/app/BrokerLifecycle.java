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

    void onStart(@Observes StartupEvent event) {
        BrokerConfig brokerConfig = BrokerConfig.from(key -> config.getOptionalValue(PREFIX + key, String.class));
        GroupConfig groupConfig = GroupConfig.from(key -> config.getOptionalValue(PREFIX + key, String.class));
        Broker started = new Broker(brokerConfig, groupConfig, vertx, registry, Time.SYSTEM);
        try {
            started.start();
        } catch (RuntimeException e) {
            LOG.errorf(e, "Runnel broker failed to start");
            started.close();
            Quarkus.asyncExit(1);
            throw e;
        }
        broker = started;
    }

    void onStop(@Observes ShutdownEvent event) {
        Broker b = broker;
        broker = null;
        if (b != null) b.close();
    }

    boolean isReady() {
        Broker b = broker;
        return b != null && b.isReady();
    }
}
