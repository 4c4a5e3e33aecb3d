package io.runnel.broker.quota;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.quota.ClientQuotaEntity;

import io.runnel.broker.metadata.ClientQuotaImage;

/**
 * Which quota applies to a request, as Kafka's default quota callback (ClientQuotaManager) decides.
 * The most specific entity with a value for the key wins:
 * <ol>
 *   <li>user and client-id</li> <li>user and default client-id</li> <li>user</li>
 *   <li>default user and client-id</li> <li>default user and default client-id</li> <li>default user</li>
 *   <li>client-id</li> <li>default client-id</li>
 * </ol>
 * The answer also names the quota's <em>bucket</em> ({@link Resolved#userTag()},
 * {@link Resolved#clientIdTag()}): requests with the same bucket share one measured rate. As in
 * Kafka, a user quota is shared by all of that user's clients, a default quota is per user (or per
 * client-id), not shared by everyone it applies to, and an empty tag means "any".
 *
 * <p>Pure; any thread.
 */
public final class ClientQuotaResolution {
    private ClientQuotaResolution() {
    }

    /** The bucket and the quota of a request; {@code bound} null means no quota applies. */
    public record Resolved(String userTag, String clientIdTag, Double bound) {}

    /** Resolves {@code key} for {@code user} (the principal's name) and {@code clientId}. */
    public static Resolved resolve(ClientQuotaImage image, String key, String user, String clientId) {
        String userTag;
        String clientIdTag;
        if (has(image, key, user, clientId) || has(image, key, user, null)) {
            userTag = user;
            clientIdTag = clientId;
        } else if (hasUserOnly(image, key, user)) {
            userTag = user;
            clientIdTag = "";
        } else if (has(image, key, null, clientId) || has(image, key, null, null)) {
            userTag = user;
            clientIdTag = clientId;
        } else if (hasUserOnly(image, key, null)) {
            userTag = user;
            clientIdTag = "";
        } else {
            userTag = "";
            clientIdTag = clientId;
        }
        return new Resolved(userTag, clientIdTag, bound(image, key, userTag, clientIdTag));
    }

    /** The quota of a bucket: Kafka's DefaultQuotaCallback.quotaLimit. */
    private static Double bound(ClientQuotaImage image, String key, String userTag, String clientIdTag) {
        if (!userTag.isEmpty() && !clientIdTag.isEmpty())
            return first(value(image, key, pair(userTag, clientIdTag)), value(image, key, pair(userTag, null)),
                    value(image, key, pair(null, clientIdTag)), value(image, key, pair(null, null)));
        if (!userTag.isEmpty()) return first(value(image, key, user(userTag)), value(image, key, user(null)));
        if (!clientIdTag.isEmpty()) return first(value(image, key, client(clientIdTag)), value(image, key, client(null)));
        return null;
    }

    private static Double first(Double... candidates) {
        for (Double c : candidates) if (c != null) return c;
        return null;
    }

    private static boolean has(ClientQuotaImage image, String key, String user, String clientId) {
        return value(image, key, pair(user, clientId)) != null;
    }

    private static boolean hasUserOnly(ClientQuotaImage image, String key, String user) {
        return value(image, key, user(user)) != null;
    }

    private static Double value(ClientQuotaImage image, String key, ClientQuotaEntity entity) {
        return image.quotas(entity).get(key);
    }

    private static ClientQuotaEntity pair(String user, String clientId) {
        Map<String, String> entries = new HashMap<>(4);
        entries.put(ClientQuotaEntity.USER, user);
        entries.put(ClientQuotaEntity.CLIENT_ID, clientId);
        return new ClientQuotaEntity(entries);
    }

    private static ClientQuotaEntity user(String user) {
        Map<String, String> entries = new HashMap<>(2);
        entries.put(ClientQuotaEntity.USER, user);
        return new ClientQuotaEntity(entries);
    }

    private static ClientQuotaEntity client(String clientId) {
        Map<String, String> entries = new HashMap<>(2);
        entries.put(ClientQuotaEntity.CLIENT_ID, clientId);
        return new ClientQuotaEntity(entries);
    }
}
