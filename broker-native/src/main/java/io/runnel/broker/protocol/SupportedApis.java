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

    public ApiVersionsResponseData.ApiVersionCollection versions() {
        ApiVersionsResponseData.ApiVersionCollection versions = new ApiVersionsResponseData.ApiVersionCollection();
        for (ApiKeys key : handlers.keySet()) {
            versions.add(new ApiVersionsResponseData.ApiVersion().setApiKey(key.id)
                    .setMinVersion(key.oldestVersion()).setMaxVersion(key.latestVersion()));
        }
        return versions;
    }
}
