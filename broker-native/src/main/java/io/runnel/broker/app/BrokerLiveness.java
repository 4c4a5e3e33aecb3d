package io.runnel.broker.app;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import jakarta.enterprise.context.ApplicationScoped;

/** {@code /q/health/live}: the process answers HTTP, so its event loops are not stuck. */
@Liveness
@ApplicationScoped
public class BrokerLiveness implements HealthCheck {
    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.up("runnel-broker");
    }
}
