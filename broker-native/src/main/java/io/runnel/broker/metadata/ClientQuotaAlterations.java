package io.runnel.broker.metadata;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.server.config.QuotaConfig;

/**
 * One AlterClientQuotas request decided against the current quotas as Kafka's controller
 * (ClientQuotaControlManager) decides it: an error per entity, and the records of the accepted
 * entities, which the controller commits as one batch.
 *
 * <p>The rules, per entity, in Kafka's order and with Kafka's messages (all INVALID_REQUEST):
 * <ol>
 *   <li>A key set twice for one entity fails that entity ("Ignoring duplicate entity …"). An entity
 *       named a second time fails with the same message, but — as in Kafka — the changes of its
 *       first alteration are still written.</li>
 *   <li>The entity must be non-empty, of types {@code user}, {@code client-id}, {@code ip} only, with
 *       no empty name; {@code ip} cannot be combined with the others and must parse as an address.</li>
 *   <li>Keys: {@code producer_byte_rate}, {@code consumer_byte_rate}, {@code request_percentage},
 *       {@code controller_mutation_rate} for user and client-id entities; {@code connection_creation_rate}
 *       for ip. A value must be finite and &gt; 0, and integral for the integer-typed keys.</li>
 *   <li>A removal of a key the entity does not have, and a value equal to the current one, write nothing.</li>
 * </ol>
 * A failing key fails its whole entity: none of its keys is written.
 *
 * <p>Pure: no state; any thread.
 */
public final class ClientQuotaAlterations {
    private ClientQuotaAlterations() {
    }

    /** Each entity's outcome (ApiError.NONE when accepted), in request order, and the records of the accepted changes. */
    public record Decision(Map<ClientQuotaEntity, ApiError> results, List<ApiMessageAndVersion> records) {
        public Decision {
            results = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(results));
            records = List.copyOf(records);
        }
    }

    public static Decision decide(ClientQuotaImage current, List<ClientQuotaAlteration> alterations) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        Map<ClientQuotaEntity, ApiError> results = new LinkedHashMap<>();
        for (ClientQuotaAlteration alteration : alterations) {
            ClientQuotaEntity entity = alteration.entity();
            // Values may be null: a removal.
            Map<String, Double> changes = new LinkedHashMap<>();
            for (ClientQuotaAlteration.Op op : alteration.ops()) {
                if (changes.containsKey(op.key()))
                    results.put(entity, new ApiError(Errors.INVALID_REQUEST,
                            "Duplicate quota key " + op.key() + " not updating quota for this entity " + entity));
                else changes.put(op.key(), op.value());
            }
            if (results.containsKey(entity)) {
                results.put(entity, new ApiError(Errors.INVALID_REQUEST, "Ignoring duplicate entity " + entity));
                continue;
            }
            decideEntity(current, entity, changes, records, results);
        }
        return new Decision(results, records);
    }

    private static void decideEntity(ClientQuotaImage current, ClientQuotaEntity entity, Map<String, Double> changes,
                                     List<ApiMessageAndVersion> records, Map<ClientQuotaEntity, ApiError> results) {
        ApiError error = validateEntity(entity);
        if (error.isFailure()) {
            results.put(entity, error);
            return;
        }
        Map<String, ConfigDef.ConfigKey> keys = new HashMap<>();
        error = configKeysForEntityType(entity.entries(), keys);
        if (error.isFailure()) {
            results.put(entity, error);
            return;
        }
        Map<String, Double> quotas = current.quotas(entity);
        List<ApiMessageAndVersion> entityRecords = new ArrayList<>();
        for (Map.Entry<String, Double> change : changes.entrySet()) {
            String key = change.getKey();
            Double value = change.getValue();
            if (value == null) {
                if (quotas.containsKey(key)) entityRecords.add(record(entity, key, null));
                continue;
            }
            error = validateQuotaKeyValue(keys, key, value);
            if (error.isFailure()) {
                results.put(entity, error);
                return;
            }
            if (!Objects.equals(quotas.get(key), value)) entityRecords.add(record(entity, key, value));
        }
        records.addAll(entityRecords);
        results.put(entity, ApiError.NONE);
    }

    private static ApiMessageAndVersion record(ClientQuotaEntity entity, String key, Double value) {
        ClientQuotaRecord record = new ClientQuotaRecord().setEntity(org.apache.kafka.image.ClientQuotaImage.entityToData(entity)).setKey(key);
        if (value == null) record.setRemove(true);
        else record.setValue(value);
        return new ApiMessageAndVersion(record, (short) 0);
    }

    private static ApiError validateEntity(ClientQuotaEntity entity) {
        if (entity.entries().isEmpty()) return new ApiError(Errors.INVALID_REQUEST, "Invalid empty client quota entity");
        for (Map.Entry<String, String> e : entity.entries().entrySet()) {
            String type = e.getKey();
            if (!type.equals(ClientQuotaEntity.USER) && !type.equals(ClientQuotaEntity.CLIENT_ID) && !type.equals(ClientQuotaEntity.IP))
                return new ApiError(Errors.INVALID_REQUEST, "Unhandled client quota entity type: " + type);
            if (e.getValue() != null && e.getValue().isEmpty()) return new ApiError(Errors.INVALID_REQUEST, "Empty " + type + " not supported");
        }
        return ApiError.NONE;
    }

    private static ApiError configKeysForEntityType(Map<String, String> entity, Map<String, ConfigDef.ConfigKey> output) {
        boolean hasUser = entity.containsKey(ClientQuotaEntity.USER);
        boolean hasClientId = entity.containsKey(ClientQuotaEntity.CLIENT_ID);
        boolean hasIp = entity.containsKey(ClientQuotaEntity.IP);
        if (hasIp) {
            if (hasUser || hasClientId)
                return new ApiError(Errors.INVALID_REQUEST, "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId");
            if (!isValidIp(entity.get(ClientQuotaEntity.IP)))
                return new ApiError(Errors.INVALID_REQUEST, entity.get(ClientQuotaEntity.IP) + " is not a valid IP or resolvable host.");
            output.putAll(QuotaConfig.ipConfigs().configKeys());
        } else if (hasUser || hasClientId) {
            output.putAll(QuotaConfig.userAndClientQuotaConfigs().configKeys());
        } else {
            return new ApiError(Errors.INVALID_REQUEST, "Invalid empty client quota entity");
        }
        return ApiError.NONE;
    }

    private static ApiError validateQuotaKeyValue(Map<String, ConfigDef.ConfigKey> keys, String key, double value) {
        ConfigDef.ConfigKey configKey = keys.get(key);
        if (configKey == null) return new ApiError(Errors.INVALID_REQUEST, "Invalid configuration key " + key);
        if (!Double.isFinite(value)) return new ApiError(Errors.INVALID_REQUEST, "Quota " + key + " must be a finite number");
        if (value <= 0) return new ApiError(Errors.INVALID_REQUEST, "Quota " + key + " must be greater than 0");
        return switch (configKey.type()) {
            case DOUBLE -> ApiError.NONE;
            case SHORT -> value > Short.MAX_VALUE ? new ApiError(Errors.INVALID_REQUEST, "Proposed value for " + key + " is too large for a SHORT.")
                    : integral(value, key);
            case INT -> value > Integer.MAX_VALUE ? new ApiError(Errors.INVALID_REQUEST, "Proposed value for " + key + " is too large for an INT.")
                    : integral(value, key);
            case LONG -> value > Long.MAX_VALUE ? new ApiError(Errors.INVALID_REQUEST, "Proposed value for " + key + " is too large for a LONG.")
                    : integral(value, key);
            default -> new ApiError(Errors.UNKNOWN_SERVER_ERROR, "Unexpected config type " + configKey.type() + " should be Long or Double");
        };
    }

    private static ApiError integral(double value, String key) {
        return Math.abs(value % 1) > 1e-6 ? new ApiError(Errors.INVALID_REQUEST, key + " cannot be a fractional value.") : ApiError.NONE;
    }

    /**
     * Kafka resolves a host name here, as its controller does; a name (not an address) may block on
     * DNS, which is why the controller calls this on its metadata thread, never an event loop.
     */
    private static boolean isValidIp(String ip) {
        if (ip == null) return true;
        try {
            InetAddress.getByName(ip);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
