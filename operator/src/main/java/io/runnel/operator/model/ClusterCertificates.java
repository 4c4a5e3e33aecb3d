package io.runnel.operator.model;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.CertificatesSpec;

/**
 * The certificates a Cluster runs on, as Secrets: the cluster CA (signs the brokers'), the clients
 * CA (signs users'), each with a public copy clients mount, and every broker's key and chain.
 * <p>The algorithm, each pass, from what the Secrets hold:
 * <ol>
 * <li>a CA missing (or unreadable) is created; one due for renewal (within renewalDays of expiry)
 *     or forced ({@code runnel.dev/force-renew: ca}) is renewed with the same key
 *     ({@link CertificateAuthority#renewed}), so both old and new CA certificates verify every
 *     broker and user certificate while clients pick up the new one;
 * <li>the brokers' certificates are all issued again when a CA changed, one is due, one does not
 *     carry the names it must, one is not the cluster CA's, or renewal is forced
 *     ({@code runnel.dev/force-renew: true}); the generation then goes up by one, and that
 *     generation is on the pod template (with TLS listeners), so the brokers roll onto the new
 *     certificates through the ordinary roll, one at a time when it is safe ({@link RollPlan});
 * <li>otherwise each broker keeps its certificate, and a broker added by a scale-up gets its own
 *     without a new generation (nothing to roll);
 * <li>data that need not change is returned byte for byte as stored (PKCS12 files are salted
 *     afresh each time they are made), so a pass that renews nothing writes nothing.
 * </ol>
 * Pure apart from key generation; any thread.
 */
public final class ClusterCertificates {
    /** On a Cluster: {@code true} (or {@code brokers}) reissues the brokers' certificates, {@code ca} renews both CAs too. */
    public static final String FORCE_RENEW_ANNOTATION = "runnel.dev/force-renew";
    /** On the broker certificates' Secret and the pod template: which issue of the brokers' certificates the brokers run with. */
    public static final String GENERATION_ANNOTATION = "runnel.dev/certificates-generation";
    public static final String CA_KEY = "ca.key";
    public static final String CA_CERT = "ca.crt";
    public static final String CA_P12 = "ca.p12";
    public static final String CA_PASSWORD = "ca.password";
    /** In the broker Secret: the clients CA, the truststore of mTLS listeners. */
    public static final String CLIENTS_CA_CERT = "clients-ca.crt";
    /** In the broker Secret: both CAs, the truststore of an inter-broker TLS listener (peers are brokers, clients may be users). */
    public static final String ALL_CAS_CERT = "cluster-and-clients-ca.crt";
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum ForceRenew { NONE, BROKERS, CAS }

    /** The Secrets as the API server holds them (null when absent). */
    public record Existing(Secret clusterCa, Secret clusterCaCert, Secret clientsCa, Secret clientsCaCert, Secret brokers, Secret operator) {
        public Existing(Secret clusterCa, Secret clusterCaCert, Secret clientsCa, Secret clientsCaCert, Secret brokers) {
            this(clusterCa, clusterCaCert, clientsCa, clientsCaCert, brokers, null);
        }
    }

    /** In the operator's Secret: its key, its certificate chain (certificate, cluster CA), both PEM. */
    public static final String OPERATOR_KEY = "operator.key";
    public static final String OPERATOR_CERT = "operator.crt";

    /**
     * @param secrets    the six Secrets to apply (the CAs, their public copies, the brokers', the operator's)
     * @param generation the brokers' certificates' generation (for the pod template)
     * @param renewed    what was renewed or replaced, one sentence each, for events; empty when nothing was
     */
    public record Plan(List<Secret> secrets, long generation, List<String> renewed) {
    }

    private ClusterCertificates() {
    }

    public static ForceRenew forceRenew(Cluster cluster) {
        Map<String, String> a = cluster.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(FORCE_RENEW_ANNOTATION);
        if (v == null) return ForceRenew.NONE;
        return "ca".equals(v.trim().toLowerCase(Locale.ROOT)) ? ForceRenew.CAS : ForceRenew.BROKERS;
    }

    /** Problems with spec.certificates; empty when usable. */
    public static List<String> validate(CertificatesSpec spec) {
        if (spec == null || spec.renewalDays < spec.validityDays) return List.of();
        return List.of("certificates.renewalDays (" + spec.renewalDays + ") must be less than certificates.validityDays (" + spec.validityDays + ")");
    }

    /** @param brokerCount how many brokers need a certificate: the StatefulSet's size or spec.replicas, whichever is larger */
    public static Plan plan(Cluster cluster, ClusterNames names, Existing existing, int brokerCount, ForceRenew force, Instant now) {
        CertificatesSpec spec = cluster.getSpec().certificates == null ? new CertificatesSpec() : cluster.getSpec().certificates;
        Duration validity = Duration.ofDays(spec.validityDays);
        Duration renewal = Duration.ofDays(spec.renewalDays);
        List<String> renewed = new ArrayList<>();

        Ca clusterCa = ca(existing.clusterCa(), names.clusterCaSecret(), names.cluster() + "-cluster-ca", force, validity, renewal, now, renewed);
        Ca clientsCa = ca(existing.clientsCa(), names.clientsCaSecret(), names.cluster() + "-clients-ca", force, validity, renewal, now, renewed);

        Map<String, String> stored = data(existing.brokers());
        long storedGeneration = generation(existing.brokers());
        String clientsCaPem = Pem.certificate(clientsCa.ca().certificate());
        String clusterCaPem = Pem.certificate(clusterCa.ca().certificate());
        List<String> why = new ArrayList<>();
        if (existing.brokers() != null) {
            if (force != ForceRenew.NONE) why.add("renewal forced by the " + FORCE_RENEW_ANNOTATION + " annotation");
            if (clusterCa.changed()) why.add("the cluster CA changed");
            if (!clientsCaPem.equals(decode(stored.get(CLIENTS_CA_CERT)))) why.add("the clients CA changed");
            for (int i = 0; i < brokerCount && why.isEmpty(); i++) {
                String pem = decode(stored.get(pemKey(names, i)));
                if (pem == null) continue;
                Optional<String> problem = brokerCertProblem(pem, clusterCa.ca(), names.brokerDnsNames(i), now, renewal);
                if (problem.isPresent()) why.add(names.pod(i) + "'s certificate " + problem.get());
            }
        }
        boolean reissueAll = !why.isEmpty();
        long generation = existing.brokers() == null ? 1 : reissueAll ? storedGeneration + 1 : storedGeneration;
        Map<String, String> brokerData = new TreeMap<>();
        for (int i = 0; i < brokerCount; i++) {
            String key = pemKey(names, i);
            String pem = reissueAll ? null : decode(stored.get(key));
            if (pem == null) {
                CertificateAuthority.Issued issued = clusterCa.ca().issue(Listeners.brokerPrincipalName(names), names.brokerDnsNames(i), now, validity);
                pem = Pem.privateKey(issued.key()) + Pem.certificates(issued.chain());
            }
            brokerData.put(key, encode(pem));
        }
        brokerData.put(CA_CERT, encode(clusterCaPem));
        brokerData.put(CLIENTS_CA_CERT, encode(clientsCaPem));
        brokerData.put(ALL_CAS_CERT, encode(clusterCaPem + clientsCaPem));
        if (reissueAll) renewed.add("the brokers' certificates issued again (generation " + generation + "): " + String.join(", ", why));

        Secret brokers = secret(cluster, names, names.brokerCertsSecret(), brokerData, Map.of(GENERATION_ANNOTATION, Long.toString(generation)));
        Secret operator = operatorSecret(cluster, names, existing.operator(), clusterCa, clusterCaPem, force, now, validity, renewal, renewed);
        List<Secret> secrets = List.of(
                clusterCa.secret(cluster, names),
                publicCopy(cluster, names, names.clusterCaCertSecret(), clusterCa.ca(), existing.clusterCaCert()),
                clientsCa.secret(cluster, names),
                publicCopy(cluster, names, names.clientsCaCertSecret(), clientsCa.ca(), existing.clientsCaCert()),
                brokers,
                operator);
        return new Plan(secrets, generation, renewed);
    }

    /**
     * The operator's client certificate, CN={@code <cluster>-operator} from the cluster CA, no SANs (it is never a
     * server): kept byte for byte while good, issued again with the brokers' reasons that apply to it (a CA change,
     * expiry, forced renewal). Nothing rolls for it: the operator reads the Secret on every pass.
     */
    private static Secret operatorSecret(Cluster cluster, ClusterNames names, Secret stored, Ca clusterCa, String clusterCaPem, ForceRenew force,
                                         Instant now, Duration validity, Duration renewal, List<String> renewed) {
        Map<String, String> data = data(stored);
        String cn = Listeners.operatorPrincipalName(names);
        Optional<String> problem = stored == null ? Optional.of("is missing")
                : force != ForceRenew.NONE ? Optional.of("renewal forced by the " + FORCE_RENEW_ANNOTATION + " annotation")
                : clusterCa.changed() ? Optional.of("the cluster CA changed")
                : operatorCertProblem(decode(data.get(OPERATOR_KEY)), decode(data.get(OPERATOR_CERT)), clusterCa.ca(), cn, now, renewal);
        if (problem.isEmpty() && clusterCaPem.equals(decode(data.get(CA_CERT)))) return secret(cluster, names, names.operatorCertsSecret(), data, Map.of());
        if (problem.isPresent()) {
            CertificateAuthority.Issued issued = clusterCa.ca().issue(cn, List.of(), now, validity);
            data = new TreeMap<>();
            data.put(OPERATOR_KEY, encode(Pem.privateKey(issued.key())));
            data.put(OPERATOR_CERT, encode(Pem.certificates(issued.chain())));
            if (stored != null) renewed.add("the operator's certificate issued again: " + problem.get());
        }
        data.put(CA_CERT, encode(clusterCaPem));
        return secret(cluster, names, names.operatorCertsSecret(), data, Map.of());
    }

    /** Why the operator's stored certificate must be issued again, or empty when it can stay. */
    static Optional<String> operatorCertProblem(String keyPem, String chainPem, CertificateAuthority ca, String commonName, Instant now, Duration renewal) {
        if (keyPem == null || chainPem == null) return Optional.of("is missing");
        return certProblem(keyPem, chainPem, ca, now, renewal,
                cert -> commonName.equals(CertificateAuthority.commonName(cert)) ? Optional.empty() : Optional.of("is not for " + commonName));
    }

    /** Why a broker's stored certificate must be issued again, or empty when it can stay. */
    static Optional<String> brokerCertProblem(String pem, CertificateAuthority ca, List<String> dnsNames, Instant now, Duration renewal) {
        return certProblem(pem, pem, ca, now, renewal, cert -> CertificateAuthority.dnsNames(cert).equals(new java.util.TreeSet<>(dnsNames))
                ? Optional.empty() : Optional.of("does not carry the names it needs"));
    }

    /**
     * Why a stored key and certificate chain must be issued again: unreadable, missing, not signed by
     * {@code ca}, due for renewal, or (from {@code identityProblem}) not naming whom it must.
     */
    private static Optional<String> certProblem(String keyPem, String chainPem, CertificateAuthority ca, Instant now, Duration renewal,
                                                java.util.function.Function<X509Certificate, Optional<String>> identityProblem) {
        List<X509Certificate> chain;
        try {
            chain = Pem.parseCertificates(chainPem);
            CertificateAuthority.parseKey(keyPem);
        } catch (IllegalArgumentException e) {
            return Optional.of("cannot be read");
        }
        if (chain.isEmpty()) return Optional.of("is missing");
        X509Certificate cert = chain.get(0);
        if (!ca.signed(cert)) return Optional.of("is not signed by the cluster CA");
        if (CertificateAuthority.due(cert, now, renewal)) return Optional.of("expires at " + cert.getNotAfter().toInstant());
        return identityProblem.apply(cert);
    }

    /** A CA as this pass leaves it: read back, created, or renewed; {@code changed} when its certificate is new. */
    private record Ca(CertificateAuthority ca, String secretName, Secret stored, boolean changed) {
        Secret secret(Cluster cluster, ClusterNames names) {
            if (!changed && stored != null) return ClusterCertificates.secret(cluster, names, secretName, new TreeMap<>(stored.getData()), Map.of());
            Map<String, String> data = new TreeMap<>();
            data.put(CA_KEY, encode(Pem.privateKey(ca.key())));
            data.put(CA_CERT, encode(Pem.certificate(ca.certificate())));
            return ClusterCertificates.secret(cluster, names, secretName, data, Map.of());
        }
    }

    private static Ca ca(Secret stored, String secretName, String commonName, ForceRenew force, Duration validity, Duration renewal, Instant now,
                         List<String> renewed) {
        Map<String, String> data = data(stored);
        CertificateAuthority current = null;
        if (data.containsKey(CA_KEY) && data.containsKey(CA_CERT)) {
            try {
                current = CertificateAuthority.parse(decode(data.get(CA_KEY)), decode(data.get(CA_CERT)));
            } catch (IllegalArgumentException e) {
                renewed.add(secretName + " could not be read (" + e.getMessage() + "): a new CA was created");
            }
        }
        if (current == null) {
            return new Ca(CertificateAuthority.create(commonName, now, validity), secretName, stored, true);
        }
        if (force == ForceRenew.CAS || CertificateAuthority.due(current.certificate(), now, renewal)) {
            renewed.add("CA " + commonName + " renewed with the same key (" + (force == ForceRenew.CAS ? "forced" : "the old certificate expires at "
                    + current.certificate().getNotAfter().toInstant()) + ")");
            return new Ca(current.renewed(now, validity), secretName, stored, true);
        }
        return new Ca(current, secretName, stored, false);
    }

    /** What clients mount: the CA certificate as PEM and as a PKCS12 trust store with its password; unchanged data kept as stored. */
    private static Secret publicCopy(Cluster cluster, ClusterNames names, String secretName, CertificateAuthority ca, Secret stored) {
        Map<String, String> data = data(stored);
        String pem = Pem.certificate(ca.certificate());
        if (!pem.equals(decode(data.get(CA_CERT))) || !data.containsKey(CA_P12) || !data.containsKey(CA_PASSWORD)) {
            String password = data.containsKey(CA_PASSWORD) ? decode(data.get(CA_PASSWORD)) : password();
            data = new TreeMap<>();
            data.put(CA_CERT, encode(pem));
            data.put(CA_P12, Base64.getEncoder().encodeToString(Pem.pkcs12Trust(List.of(ca.certificate()), password.toCharArray())));
            data.put(CA_PASSWORD, encode(password));
        }
        return secret(cluster, names, secretName, data, Map.of());
    }

    static String pemKey(ClusterNames names, int ordinal) {
        return names.pod(ordinal) + ".pem";
    }

    /** A random password of 32 letters and digits (190 bits). */
    public static String password() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 32; i++) sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return sb.toString();
    }

    static long generation(Secret secret) {
        if (secret == null || secret.getMetadata().getAnnotations() == null) return 0;
        try {
            return Long.parseLong(secret.getMetadata().getAnnotations().getOrDefault(GENERATION_ANNOTATION, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Secret secret(Cluster cluster, ClusterNames names, String name, Map<String, String> data, Map<String, String> annotations) {
        return new SecretBuilder()
                .withNewMetadata().withName(name).withNamespace(names.namespace()).withLabels(names.labels())
                .withAnnotations(annotations.isEmpty() ? null : annotations)
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }

    static Map<String, String> data(Secret secret) {
        return secret == null || secret.getData() == null ? new TreeMap<>() : new TreeMap<>(secret.getData());
    }

    public static String encode(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    public static String decode(String base64) {
        return base64 == null ? null : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    /** Whether any client listener uses TLS: only then do the brokers mount their certificates and roll for new ones. */
    public static boolean brokersUseTls(Cluster cluster) {
        return Listeners.of(cluster).stream().anyMatch(l -> l.tlsEnabled());
    }

}
