package io.runnel.operator.model;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.runnel.operator.api.User;

/**
 * The Secret a User's client mounts: for SCRAM the password and a ready {@code sasl.jaas.config};
 * for TLS the key, the certificate from the clients CA, that CA, and the same as a PKCS12 key store
 * with its password. A certificate still good (the clients CA's, its CN the user, not due for
 * renewal) is kept byte for byte, so a pass that changes nothing writes nothing. Pure apart from
 * key generation; any thread.
 */
public final class UserCredentials {
    public static final String PASSWORD = "password";
    public static final String JAAS_CONFIG = "sasl.jaas.config";
    public static final String USER_CRT = "user.crt";
    public static final String USER_KEY = "user.key";
    public static final String USER_P12 = "user.p12";
    public static final String USER_PASSWORD = "user.password";
    public static final String CA_CRT = "ca.crt";
    /**
     * On the Secret: a digest of the password the brokers were last given, so that a password
     * change (a referenced Secret edited) reaches the brokers even after an operator restart.
     */
    public static final String APPLIED_PASSWORD_ANNOTATION = "runnel.dev/scram-credential-digest";

    private UserCredentials() {
    }

    public static String jaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /** The SCRAM Secret for {@code password}, marked as applied to the brokers. */
    public static Secret scram(User user, String password) {
        Map<String, String> data = new TreeMap<>();
        data.put(PASSWORD, ClusterCertificates.encode(password));
        data.put(JAAS_CONFIG, ClusterCertificates.encode(jaasConfig(user.userName(), password)));
        return secret(user, data, Map.of(APPLIED_PASSWORD_ANNOTATION, digest(password)));
    }

    /** The password a SCRAM Secret holds, or null. */
    public static String password(Secret secret) {
        return secret == null || secret.getData() == null ? null : ClusterCertificates.decode(secret.getData().get(PASSWORD));
    }

    /** Whether the brokers were given {@code password} (by the Secret's mark). */
    public static boolean applied(Secret secret, String password) {
        return secret != null && secret.getMetadata().getAnnotations() != null
                && digest(password).equals(secret.getMetadata().getAnnotations().get(APPLIED_PASSWORD_ANNOTATION));
    }

    /** The TLS Secret: the stored one when its certificate is still good, else a new certificate from {@code clientsCa}. */
    public static Secret tls(User user, Secret stored, CertificateAuthority clientsCa, Instant now, Duration validity, Duration renewal) {
        Map<String, String> data = ClusterCertificates.data(stored);
        if (stillGood(user, data, clientsCa, now, renewal)) return secret(user, data, Map.of());
        CertificateAuthority.Issued issued = clientsCa.issue(user.userName(), List.of(), now, validity);
        String password = ClusterCertificates.password();
        Map<String, String> fresh = new TreeMap<>();
        fresh.put(USER_CRT, ClusterCertificates.encode(Pem.certificate(issued.certificate())));
        fresh.put(USER_KEY, ClusterCertificates.encode(Pem.privateKey(issued.key())));
        fresh.put(CA_CRT, ClusterCertificates.encode(Pem.certificate(clientsCa.certificate())));
        fresh.put(USER_P12, Base64.getEncoder().encodeToString(Pem.pkcs12(user.userName(), issued.key(), issued.chain(), password.toCharArray())));
        fresh.put(USER_PASSWORD, ClusterCertificates.encode(password));
        return secret(user, fresh, Map.of());
    }

    static boolean stillGood(User user, Map<String, String> data, CertificateAuthority clientsCa, Instant now, Duration renewal) {
        if (!data.keySet().containsAll(List.of(USER_CRT, USER_KEY, CA_CRT, USER_P12, USER_PASSWORD))) return false;
        try {
            X509Certificate cert = Pem.parseCertificates(ClusterCertificates.decode(data.get(USER_CRT))).get(0);
            return clientsCa.signed(cert) && user.userName().equals(CertificateAuthority.commonName(cert))
                    && !CertificateAuthority.due(cert, now, renewal)
                    && Pem.certificate(clientsCa.certificate()).equals(ClusterCertificates.decode(data.get(CA_CRT)));
        } catch (RuntimeException e) {
            return false;
        }
    }

    static String digest(String password) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)), 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Secret secret(User user, Map<String, String> data, Map<String, String> annotations) {
        OwnerReference owner = Owners.ownerReference(user);
        return new SecretBuilder()
                .withNewMetadata().withName(user.getMetadata().getName()).withNamespace(user.getMetadata().getNamespace())
                .addToLabels("app.kubernetes.io/managed-by", "runnel-operator").addToLabels("runnel.dev/user", user.getMetadata().getName())
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .withOwnerReferences(owner).endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }
}
