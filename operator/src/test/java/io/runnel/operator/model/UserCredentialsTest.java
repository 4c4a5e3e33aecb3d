package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.runnel.operator.api.User;

class UserCredentialsTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Duration VALIDITY = Duration.ofDays(90);
    private static final Duration RENEWAL = Duration.ofDays(10);
    private final CertificateAuthority clientsCa = CertificateAuthority.create("events-clients-ca", NOW, VALIDITY);
    private final User alice = user("alice");

    private static User user(String name) {
        User u = new User();
        u.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("prod").withUid("uid-" + name).build());
        return u;
    }

    @Test
    void aTlsUserGetsACertificateWithItsNameAsCnFromTheClientsCaAsPemAndPkcs12() throws Exception {
        Secret s = UserCredentials.tls(alice, null, clientsCa, NOW, VALIDITY, RENEWAL);
        assertThat(s.getData()).containsOnlyKeys("user.crt", "user.key", "ca.crt", "user.p12", "user.password");
        X509Certificate cert = Pem.parseCertificates(ClusterCertificates.decode(s.getData().get("user.crt"))).get(0);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=alice");
        assertThat(clientsCa.signed(cert)).isTrue();
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        p12.load(new ByteArrayInputStream(Base64.getDecoder().decode(s.getData().get("user.p12"))),
                ClusterCertificates.decode(s.getData().get("user.password")).toCharArray());
        assertThat(p12.isKeyEntry("alice")).isTrue();
        assertThat(s.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-alice"));
    }

    @Test
    void aStoredCertificateStillGoodIsKeptByteForByteAndOneDueOrFromAnotherCaIsIssuedAgain() {
        Secret first = UserCredentials.tls(alice, null, clientsCa, NOW, VALIDITY, RENEWAL);
        assertThat(UserCredentials.tls(alice, first, clientsCa, NOW.plus(Duration.ofDays(70)), VALIDITY, RENEWAL).getData()).isEqualTo(first.getData());
        assertThat(UserCredentials.tls(alice, first, clientsCa, NOW.plus(Duration.ofDays(85)), VALIDITY, RENEWAL).getData().get("user.crt"))
                .isNotEqualTo(first.getData().get("user.crt"));
        CertificateAuthority other = CertificateAuthority.create("other", NOW, VALIDITY);
        assertThat(UserCredentials.tls(alice, first, other, NOW, VALIDITY, RENEWAL).getData().get("user.crt")).isNotEqualTo(first.getData().get("user.crt"));
        // Another user's certificate is never handed over.
        assertThat(UserCredentials.tls(user("bob"), first, clientsCa, NOW, VALIDITY, RENEWAL).getData().get("user.crt"))
                .isNotEqualTo(first.getData().get("user.crt"));
    }

    @Test
    void aScramSecretCarriesThePasswordAReadyJaasConfigAndTheMarkThatTheBrokersHaveIt() {
        Secret s = UserCredentials.scram(alice, "s3cret");
        assertThat(UserCredentials.password(s)).isEqualTo("s3cret");
        assertThat(ClusterCertificates.decode(s.getData().get("sasl.jaas.config")))
                .isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"s3cret\";");
        assertThat(UserCredentials.applied(s, "s3cret")).isTrue();
        assertThat(UserCredentials.applied(s, "changed")).isFalse();
        assertThat(UserCredentials.applied(null, "s3cret")).isFalse();
        assertThat(List.copyOf(s.getMetadata().getAnnotations().values())).doesNotContain("s3cret");
    }
}
