package io.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.junit.jupiter.api.Test;

import io.runnel.broker.metadata.ClientQuotaImage;
import io.runnel.broker.metadata.MetadataImage;

/**
 * Kafka's quota precedence, taken apart one level at a time: with all eight levels set, the most
 * specific wins; removing it, the next one does — down to the default client-id and then no quota.
 * Also which requests share a measured rate (the bucket): a user quota is shared by all of that
 * user's clients, a default quota is per user.
 */
class ClientQuotaResolutionTest {
    static final String KEY = "producer_byte_rate";

    /** The eight levels, most specific first, as (user, client-id) where null is the default and "-" absent. */
    static final String[][] LEVELS = {
            {"alice", "app"}, {"alice", null}, {"alice", "-"}, {null, "app"}, {null, null}, {null, "-"}, {"-", "app"}, {"-", null}};

    static ClientQuotaEntity entity(String user, String clientId) {
        Map<String, String> entries = new HashMap<>();
        if (!"-".equals(user)) entries.put(ClientQuotaEntity.USER, user);
        if (!"-".equals(clientId)) entries.put(ClientQuotaEntity.CLIENT_ID, clientId);
        return new ClientQuotaEntity(entries);
    }

    static ClientQuotaImage image(int fromLevel) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (int level = fromLevel; level < LEVELS.length; level++) {
            records.add(new ApiMessageAndVersion(new ClientQuotaRecord()
                    .setEntity(org.apache.kafka.image.ClientQuotaImage.entityToData(entity(LEVELS[level][0], LEVELS[level][1])))
                    .setKey(KEY).setValue(1000 + level), (short) 0));
        }
        return MetadataImage.empty("c").apply(records, 0).clientQuotas();
    }

    @Test
    void theMostSpecificLevelWinsInKafkasOrder() {
        for (int level = 0; level < LEVELS.length; level++) {
            ClientQuotaResolution.Resolved r = ClientQuotaResolution.resolve(image(level), KEY, "alice", "app");
            assertThat(r.bound()).as("with levels %d.. set", level + 1).isEqualTo(1000.0 + level);
        }
        assertThat(ClientQuotaResolution.resolve(ClientQuotaImage.EMPTY, KEY, "alice", "app").bound()).isNull();
        assertThat(ClientQuotaResolution.resolve(image(0), "consumer_byte_rate", "alice", "app").bound()).as("another key").isNull();
    }

    @Test
    void aUserQuotaIsSharedByTheUsersClientsAndADefaultIsPerUser() {
        ClientQuotaImage userOnly = image(2); // alice, then everything less specific
        assertThat(ClientQuotaResolution.resolve(userOnly, KEY, "alice", "app"))
                .isEqualTo(ClientQuotaResolution.resolve(userOnly, KEY, "alice", "other-app"))
                .isEqualTo(new ClientQuotaResolution.Resolved("alice", "", 1002.0));
        ClientQuotaImage defaultUser = image(5); // default user, client-ids
        assertThat(ClientQuotaResolution.resolve(defaultUser, KEY, "bob", "app")).isEqualTo(new ClientQuotaResolution.Resolved("bob", "", 1005.0));
        assertThat(ClientQuotaResolution.resolve(defaultUser, KEY, "carol", "app")).isEqualTo(new ClientQuotaResolution.Resolved("carol", "", 1005.0));
        ClientQuotaImage clientsOnly = image(6);
        assertThat(ClientQuotaResolution.resolve(clientsOnly, KEY, "bob", "app")).isEqualTo(new ClientQuotaResolution.Resolved("", "app", 1006.0));
        assertThat(ClientQuotaResolution.resolve(clientsOnly, KEY, "bob", "other")).isEqualTo(new ClientQuotaResolution.Resolved("", "other", 1007.0));
    }
}
