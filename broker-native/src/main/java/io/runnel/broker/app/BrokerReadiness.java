package io.runnel.broker.app;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** {@code /q/health/ready}: up once logs are recovered, the broker is registered and listeners are bound. */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {
    @Inject
    BrokerLifecycle lifecycle;

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("runnel-broker").status(lifecycle.isReady()).build();
    }
}
