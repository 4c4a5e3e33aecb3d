package io.runnel.broker.security;

import java.util.Optional;
import java.util.function.Supplier;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

import io.runnel.broker.metadata.MetadataImage;

/**
 * SCRAM credentials as the cluster metadata has them: each lookup reads the latest published
 * {@link MetadataImage}, so a credential set or deleted with AlterUserScramCredentials counts for
 * the next authentication on this broker once this broker's image has the change (on a broker
 * other than the active controller, a moment after the controller answered the request).
 *
 * <p>It lives in {@code security}, not {@code metadata}: it is the authentication side's view of
 * the metadata (the {@link ScramCredentials} contract), and keeps the metadata package unaware of
 * who reads its credentials.
 *
 * <p>Safe from any thread: images are immutable and published through a volatile field. Hands
 * out copies of the credential's byte arrays, so no caller can alter the image through them.
 */
public final class MetadataScramCredentials implements ScramCredentials {
    private final Supplier<MetadataImage> image;

    /** @param image the latest image (the controller's {@code image()}); called on every lookup */
    public MetadataScramCredentials(Supplier<MetadataImage> image) {
        this.image = image;
    }

    @Override
    public Optional<ScramCredential> lookup(String user, ScramMechanism mechanism) {
        return image.get().scram().credential(user, mechanism)
                .map(c -> new ScramCredential(c.salt().clone(), c.storedKey().clone(), c.serverKey().clone(), c.iterations()));
    }
}
