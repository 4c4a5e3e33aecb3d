package io.runnel.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.ApiVersionsResponse;

/** What a broker advertises in ApiVersions: lets a suite wait for a feature another issue adds. */
public final class BrokerApis {
    /** The classic consumer-group protocol: what group consumers (kafkajs' among them) need. */
    public static final Set<ApiKeys> CONSUMER_GROUPS = Set.of(ApiKeys.FIND_COORDINATOR, ApiKeys.JOIN_GROUP,
            ApiKeys.SYNC_GROUP, ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP, ApiKeys.OFFSET_COMMIT, ApiKeys.OFFSET_FETCH);

    private BrokerApis() {}

    public static Set<ApiKeys> advertised(String bootstrap) {
        return apiVersions(bootstrap).data().apiKeys().stream()
                .map(k -> Arrays.stream(ApiKeys.values()).filter(a -> a.id == k.apiKey()).findFirst().orElse(null))
                .filter(Objects::nonNull)
                .collect(Collectors.toSet());
    }

    public static boolean supportsAll(String bootstrap, Set<ApiKeys> apis) {
        return advertised(bootstrap).containsAll(apis);
    }

    private static ApiVersionsResponse apiVersions(String bootstrap) {
        try (RawKafkaConnection connection = RawKafkaConnection.open(bootstrap)) {
            return connection.request(ApiKeys.API_VERSIONS, Requests.API_VERSIONS_V, Requests.apiVersions());
        } catch (IOException e) {
            throw new UncheckedIOException("ApiVersions to " + bootstrap, e);
        }
    }
}
