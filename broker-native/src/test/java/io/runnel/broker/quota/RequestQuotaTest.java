package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code request_percentage}: a client whose quota is a sliver of one thread gets throttle_time_ms
 * in its responses after a few requests (the broker then mutes it, so the loop is paced), while
 * ApiVersions, which Kafka exempts, never carries a throttle; a client without the quota is never
 * throttled.
 */
class RequestQuotaTest {
    @TempDir
    Path dataDir;

    @Test
    void aClientOverItsRequestPercentageIsThrottledButApiVersionsIsExempt() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, ProduceQuotaTest.SHORT_WINDOWS);
             Admin admin = ClientQuotasAdminTest.admin(broker.bootstrapServers())) {
            // RawKafkaClient's requests carry client id "raw-test".
            admin.alterClientQuotas(List.of(ClientQuotasAdminTest.set(ClientQuotasAdminTest.entity("client-id", "raw-test"),
                    "request_percentage", 0.001))).all().get();
            String[] hostPort = broker.bootstrapServers().split(":");
            try (RawKafkaClient raw = new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]))) {
                int throttleMs = 0;
                for (int i = 0; i < 200 && throttleMs == 0; i++) {
                    MetadataResponseData metadata = (MetadataResponseData) raw.send(ApiKeys.METADATA, (short) 12, new MetadataRequestData());
                    assertThat(metadata.brokers()).hasSize(1);
                    throttleMs = metadata.throttleTimeMs();
                }
                assertThat(throttleMs).as("throttle_time_ms of a Metadata response over the quota").isPositive()
                        .isLessThanOrEqualTo(1000); // request-time throttles are capped at one window, as in Kafka
                ApiVersionsResponseData versions = (ApiVersionsResponseData) raw.send(ApiKeys.API_VERSIONS, (short) 3,
                        new ApiVersionsRequestData().setClientSoftwareName("raw").setClientSoftwareVersion("1"));
                assertThat(Errors.forCode(versions.errorCode())).isEqualTo(Errors.NONE);
                assertThat(versions.throttleTimeMs()).as("ApiVersions is exempt").isZero();
            }
            assertThat(broker.registry().find("runnel.quota.throttle.time").tag("kind", "request").tag("client_id", "raw-test").summary().count())
                    .isPositive();
            // Only raw-test was throttled: not the Admin, whose client id has no quota.
            assertThat(broker.registry().find("runnel.quota.throttle.time").summaries())
                    .allSatisfy(s -> assertThat(s.getId().getTag("client_id")).isEqualTo("raw-test"));
        }
    }
}
