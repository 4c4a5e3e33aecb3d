package io.runnel.e2e.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.MetadataResponse;

/**
 * One look at whether a launched broker serves: its {@code /q/health/ready} answers 200 (when it
 * has one; Apache Kafka has not) and a Metadata request on its Kafka port lists a broker.
 * Stateless.
 */
final class Readiness {
    private Readiness() {
    }

    /**
     * @param healthUrl the broker's readiness URL, or null to skip that check
     * @return null when ready, else what is still missing
     */
    static String problem(HttpClient http, String healthUrl, String bootstrap) throws IOException, InterruptedException {
        if (healthUrl != null) {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(healthUrl)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (health.statusCode() != 200) return "/q/health/ready answered " + health.statusCode() + ": " + health.body();
        }
        try (RawKafkaConnection connection = RawKafkaConnection.open(bootstrap)) {
            MetadataResponse metadata = connection.request(ApiKeys.METADATA, (short) 12, new MetadataRequestData().setTopics(List.of()));
            return metadata.data().brokers().isEmpty() ? "Metadata lists no broker yet" : null;
        }
    }
}
