package io.runnel.broker.protocol;

import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * The APIs this broker serves end to end and their version ranges: every version Kafka's own
 * broker accepts for those APIs (kafka-clients' {@link ApiKeys} tables, stable versions only).
 * ApiVersions advertises exactly this table. Immutable after construction.
 */
public final class SupportedApis {
    private final Map<ApiKeys, ApiHandler> handlers;

    public SupportedApis(Map<ApiKeys, ApiHandler> handlers) {
        this.handlers = new EnumMap<>(handlers);
    }

    public ApiHandler handler(ApiKeys key) {
        return handlers.get(key);
    }

    public boolean supports(ApiKeys key, short version) {
        return handlers.containsKey(key) && version >= key.oldestVersion() && version <= key.latestVersion();
    }

    /**
     * Kafka 4 refuses Produce v0-v2 but still advertises Produce from v0: librdkafka only compresses
     * gzip, snappy and lz4 when the broker's range starts at v0 (it silently sends them uncompressed
     * otherwise). Every other API advertises exactly what is served.
     */
    static short advertisedMinVersion(ApiKeys key) {
        return key == ApiKeys.PRODUCE ? ApiKeys.PRODUCE_API_VERSIONS_RESPONSE_MIN_VERSION : key.oldestVersion();
    }

    public ApiVersionsResponseData.ApiVersionCollection versions() {
        ApiVersionsResponseData.ApiVersionCollection versions = new ApiVersionsResponseData.ApiVersionCollection();
        for (ApiKeys key : handlers.keySet()) {
            versions.add(new ApiVersionsResponseData.ApiVersion().setApiKey(key.id)
                    .setMinVersion(advertisedMinVersion(key)).setMaxVersion(key.latestVersion()));
        }
        return versions;
    }
}
