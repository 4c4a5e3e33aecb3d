package io.runnel.broker.app;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;

/** The packaged Quarkus application: the broker starts from config and the HTTP surface reports it. */
@QuarkusTest
class BrokerApplicationTest {

    @Test
    void readinessIsUpOnceTheBrokerServes() throws InterruptedException {
        // The broker starts on its own thread after the HTTP server: readiness turns 200 when it serves.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (given().when().get("/q/health/ready").statusCode() != 200 && System.nanoTime() < deadline) Thread.sleep(50);
        given().when().get("/q/health/ready").then().statusCode(200).body(containsString("runnel-broker"));
    }

    @Test
    void livenessIsUp() {
        given().when().get("/q/health/live").then().statusCode(200);
    }

    @Test
    void metricsArePublishedForPrometheus() {
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("runnel_network_connections"))
                .body(containsString("jvm_memory_used_bytes"));
    }
}
