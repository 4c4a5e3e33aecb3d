package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.DescribeClientQuotasRequestData;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.image.ClientQuotasDelta;
import org.apache.kafka.image.ClientQuotasImage;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The client quotas of the cluster metadata, as in KRaft: per entity (user, client-id, user and
 * client-id, or ip; a null name is that type's default) the quota values by key
 * ({@code producer_byte_rate}, {@code consumer_byte_rate}, {@code request_percentage},
 * {@code controller_mutation_rate}, {@code connection_creation_rate}). Written by ClientQuotaRecord.
 *
 * <p>Kafka's own {@link ClientQuotasImage} holds the data, so replay and DescribeClientQuotas'
 * filter semantics (exact, default and any match per entity type, strict or not) are Kafka's by
 * construction. Invariant: no entity without a quota (removing the last key removes the entity).
 * Immutable and replaced with its {@link MetadataImage}: any thread may read it.
 */
public final class ClientQuotaImage {
    public static final ClientQuotaImage EMPTY = new ClientQuotaImage(ClientQuotasImage.EMPTY);

    private final ClientQuotasImage quotas;

    private ClientQuotaImage(ClientQuotasImage quotas) {
        this.quotas = quotas;
    }

    /** Entity → quota key → value. */
    public Map<ClientQuotaEntity, org.apache.kafka.image.ClientQuotaImage> entities() {
        return quotas.entities();
    }

    /** The quotas of exactly {@code entity} (no default applied), empty if none. */
    public Map<String, Double> quotas(ClientQuotaEntity entity) {
        org.apache.kafka.image.ClientQuotaImage image = quotas.entities().get(entity);
        return image == null ? Map.of() : image.quotas();
    }

    public boolean isEmpty() {
        return quotas.isEmpty();
    }

    /** DescribeClientQuotas, answered as a Kafka broker answers it from its metadata image (errors included). */
    public DescribeClientQuotasResponseData describe(DescribeClientQuotasRequestData request) {
        return quotas.describe(request);
    }

    /** The records that recreate this image on an empty one: one ClientQuotaRecord per entity and key. */
    List<ApiMessageAndVersion> records() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        quotas.entities().forEach((entity, image) -> image.quotas().forEach((key, value) -> records.add(new ApiMessageAndVersion(
                new ClientQuotaRecord().setEntity(org.apache.kafka.image.ClientQuotaImage.entityToData(entity)).setKey(key).setValue(value),
                (short) 0))));
        return records;
    }

    @Override
    public String toString() {
        return quotas.toString();
    }

    /**
     * The quota changes of one metadata batch over a base image; nothing is copied until a quota
     * record arrives, so batches without any keep the same instance. Metadata thread only.
     */
    static final class Changes {
        private final ClientQuotaImage base;
        private ClientQuotasDelta delta;

        Changes(ClientQuotaImage base) {
            this.base = base;
        }

        void replay(ClientQuotaRecord record) {
            if (delta == null) delta = new ClientQuotasDelta(base.quotas);
            delta.replay(record);
        }

        ClientQuotaImage build() {
            return delta == null ? base : new ClientQuotaImage(delta.apply());
        }
    }
}
