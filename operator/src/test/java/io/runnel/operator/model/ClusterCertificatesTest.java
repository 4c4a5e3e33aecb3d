package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Secret;
import io.runnel.operator.api.CertificatesSpec;
import io.runnel.operator.api.Cluster;

class ClusterCertificatesTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private final Cluster cluster = cluster();
    private final ClusterNames names = ClusterFixtures.names(cluster);

    private static Cluster cluster() {
        Cluster c = ClusterFixtures.cluster("events", 3, Map.of());
        c.getSpec().certificates = new CertificatesSpec(90, 10);
        return c;
    }

    private ClusterCertificates.Plan first() {
        return ClusterCertificates.plan(cluster, names, new ClusterCertificates.Existing(null, null, null, null, null), 3,
                ClusterCertificates.ForceRenew.NONE, NOW);
    }

    private static ClusterCertificates.Existing stored(ClusterCertificates.Plan p) {
        List<Secret> s = p.secrets();
        return new ClusterCertificates.Existing(s.get(0), s.get(1), s.get(2), s.get(3), s.get(4), s.get(5));
    }

    private static Secret secret(ClusterCertificates.Plan p, String name) {
        return p.secrets().stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private X509Certificate brokerCert(ClusterCertificates.Plan p, int ordinal) {
        return Pem.parseCertificates(ClusterCertificates.decode(secret(p, names.brokerCertsSecret()).getData().get("events-" + ordinal + ".pem"))).get(0);
    }

    private static X509Certificate caCert(ClusterCertificates.Plan p, String secretName) {
        return Pem.parseCertificates(ClusterCertificates.decode(secret(p, secretName).getData().get(ClusterCertificates.CA_CERT))).get(0);
    }

    /** PKIX path validation, as a TLS client does before it checks the host name. */
    private static void verifies(X509Certificate leaf, X509Certificate trusted, Instant at) throws Exception {
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(trusted, null)));
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    }

    @Test
    void aNewClusterGetsBothCasTheirPublicCopiesAndACertificatePerBrokerWithEveryNameItIsReachedBy() throws Exception {
        ClusterCertificates.Plan plan = first();
        assertThat(plan.secrets()).extracting(s -> s.getMetadata().getName())
                .containsExactly("events-cluster-ca", "events-cluster-ca-cert", "events-clients-ca", "events-clients-ca-cert", "events-broker-certs",
                        "events-operator-certs");
        assertThat(plan.generation()).isEqualTo(1);
        assertThat(secret(plan, "events-cluster-ca-cert").getData()).containsOnlyKeys("ca.crt", "ca.p12", "ca.password");
        assertThat(secret(plan, "events-broker-certs").getData()).containsOnlyKeys("events-0.pem", "events-1.pem", "events-2.pem", "ca.crt", "clients-ca.crt",
                "cluster-and-clients-ca.crt");
        assertThat(secret(plan, "events-broker-certs").getMetadata().getAnnotations()).containsEntry(ClusterCertificates.GENERATION_ANNOTATION, "1");

        X509Certificate ca = caCert(plan, "events-cluster-ca-cert");
        X509Certificate broker1 = brokerCert(plan, 1);
        assertThat(CertificateAuthority.dnsNames(broker1)).containsExactlyInAnyOrder(
                "events-1.events-brokers", "events-1.events-brokers.prod", "events-1.events-brokers.prod.svc",
                "events-1.events-brokers.prod.svc.cluster.local",
                "events-bootstrap", "events-bootstrap.prod", "events-bootstrap.prod.svc", "events-bootstrap.prod.svc.cluster.local");
        // One principal for all brokers (User:events-broker), as they authenticate to each other over an mTLS inter-broker listener.
        assertThat(CertificateAuthority.commonName(broker1)).isEqualTo("events-broker");
        verifies(broker1, ca, NOW);
        assertThat(Duration.between(NOW, broker1.getNotAfter().toInstant())).isEqualTo(Duration.ofDays(90));
        assertThat(Duration.between(NOW, ca.getNotAfter().toInstant())).isEqualTo(Duration.ofDays(90));
        assertThat(ca.getBasicConstraints()).isEqualTo(0);
        assertThat(broker1.getBasicConstraints()).isEqualTo(-1);
        // The broker's PEM is what its PEM key store needs: the key, then the chain up to the CA.
        String pem = ClusterCertificates.decode(secret(plan, "events-broker-certs").getData().get("events-1.pem"));
        assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Pem.parseCertificates(pem)).hasSize(2).last().isEqualTo(ca);
    }

    private X509Certificate operatorCert(ClusterCertificates.Plan p) {
        return Pem.parseCertificates(ClusterCertificates.decode(secret(p, names.operatorCertsSecret()).getData().get(ClusterCertificates.OPERATOR_CERT))).get(0);
    }

    @Test
    void theOperatorGetsAClientCertificateForItsOwnPrincipalFromTheClusterCaNamingNoHost() throws Exception {
        ClusterCertificates.Plan plan = first();
        Secret operator = secret(plan, "events-operator-certs");
        assertThat(operator.getData()).containsOnlyKeys("operator.key", "operator.crt", "ca.crt");
        assertThat(operator.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("events"));
        X509Certificate cert = operatorCert(plan);
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=events-operator");
        assertThat(CertificateAuthority.commonName(cert)).isEqualTo(Listeners.operatorPrincipalName(names));
        assertThat(cert.getSubjectAlternativeNames()).isNull();
        assertThat(cert.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.2"); // clientAuth
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(90)));
        verifies(cert, caCert(plan, "events-cluster-ca-cert"), NOW);
        // Its chain ends in the cluster CA, and its key parses: what the Admin client's PEM keystore reads.
        assertThat(Pem.parseCertificates(ClusterCertificates.decode(operator.getData().get("operator.crt"))))
                .containsExactly(cert, caCert(plan, "events-cluster-ca-cert"));
        CertificateAuthority.parseKey(ClusterCertificates.decode(operator.getData().get("operator.key")));
    }

    @Test
    void theOperatorsCertificateIsRenewedWithTheBrokersWithinTheWindowOrWhenForcedAndKeptOtherwise() throws Exception {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan kept = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.NONE,
                NOW.plus(Duration.ofDays(79)));
        assertThat(secret(kept, "events-operator-certs")).isEqualTo(secret(plan, "events-operator-certs"));
        Instant late = NOW.plus(Duration.ofDays(81));
        ClusterCertificates.Plan renewed = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.NONE, late);
        assertThat(operatorCert(renewed)).isNotEqualTo(operatorCert(plan));
        assertThat(operatorCert(renewed).getNotAfter().toInstant()).isEqualTo(late.plus(Duration.ofDays(90)));
        verifies(operatorCert(renewed), caCert(renewed, "events-cluster-ca-cert"), late);
        ClusterCertificates.Plan forced = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.BROKERS, NOW);
        assertThat(operatorCert(forced)).isNotEqualTo(operatorCert(plan));
        assertThat(forced.renewed()).anySatisfy(r -> assertThat(r).contains("operator's certificate issued again"));
    }

    @Test
    void anOperatorCertificateForAnotherNameOrFromAnotherCaIsIssuedAgain() {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan other = ClusterCertificates.plan(ClusterFixtures.cluster("other", 3, Map.of()),
                ClusterFixtures.names(ClusterFixtures.cluster("other", 3, Map.of())), new ClusterCertificates.Existing(null, null, null, null, null), 3,
                ClusterCertificates.ForceRenew.NONE, NOW);
        Map<String, String> foreign = secret(other, "other-operator-certs").getData();
        CertificateAuthority ca = CertificateAuthority.parse(ClusterCertificates.decode(secret(plan, "events-cluster-ca").getData().get("ca.key")),
                ClusterCertificates.decode(secret(plan, "events-cluster-ca").getData().get("ca.crt")));
        assertThat(ClusterCertificates.operatorCertProblem(ClusterCertificates.decode(foreign.get("operator.key")),
                ClusterCertificates.decode(foreign.get("operator.crt")), ca, "events-operator", NOW, Duration.ofDays(10)))
                .contains("is not signed by the cluster CA");
        Map<String, String> own = secret(plan, "events-operator-certs").getData();
        assertThat(ClusterCertificates.operatorCertProblem(ClusterCertificates.decode(own.get("operator.key")),
                ClusterCertificates.decode(own.get("operator.crt")), ca, "events-admin", NOW, Duration.ofDays(10))).contains("is not for events-admin");
        assertThat(ClusterCertificates.operatorCertProblem(ClusterCertificates.decode(own.get("operator.key")),
                ClusterCertificates.decode(own.get("operator.crt")), ca, "events-operator", NOW, Duration.ofDays(10))).isEmpty();
    }

    @Test
    void aPassOverWhatIsStoredChangesNothing() {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan again = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.NONE,
                NOW.plus(Duration.ofDays(30)));
        assertThat(again.secrets()).isEqualTo(plan.secrets());
        assertThat(again.generation()).isEqualTo(1);
        assertThat(again.renewed()).isEmpty();
    }

    @Test
    void aBrokerAddedByAScaleUpGetsItsCertificateWithoutANewGenerationSoNothingRolls() throws Exception {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan scaled = ClusterCertificates.plan(cluster, names, stored(plan), 4, ClusterCertificates.ForceRenew.NONE, NOW);
        assertThat(scaled.generation()).isEqualTo(1);
        assertThat(brokerCert(scaled, 0)).isEqualTo(brokerCert(plan, 0));
        verifies(brokerCert(scaled, 3), caCert(plan, "events-cluster-ca-cert"), NOW);
    }

    @Test
    void certificatesWithinTheRenewalWindowAreIssuedAgainUnderANewGenerationWhileTheCaKeepsItsKey() throws Exception {
        ClusterCertificates.Plan plan = first();
        Instant late = NOW.plus(Duration.ofDays(81)); // 9 days before expiry, renewalDays 10
        ClusterCertificates.Plan renewed = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.NONE, late);
        assertThat(renewed.generation()).isEqualTo(2);
        assertThat(renewed.renewed()).anySatisfy(r -> assertThat(r).contains("CA events-cluster-ca renewed"));
        X509Certificate oldCa = caCert(plan, "events-cluster-ca-cert");
        X509Certificate newCa = caCert(renewed, "events-cluster-ca-cert");
        assertThat(newCa).isNotEqualTo(oldCa);
        assertThat(newCa.getPublicKey()).isEqualTo(oldCa.getPublicKey());
        // Both CA certificates verify both generations of broker certificates: no client loses trust mid-roll.
        verifies(brokerCert(renewed, 0), oldCa, late);
        verifies(brokerCert(renewed, 0), newCa, late);
        verifies(brokerCert(plan, 0), newCa, late);
        assertThat(brokerCert(renewed, 0).getNotAfter().toInstant()).isEqualTo(late.plus(Duration.ofDays(90)));
    }

    @Test
    void oneDayBeforeTheRenewalWindowNothingIsRenewed() {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan later = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.NONE,
                NOW.plus(Duration.ofDays(79)));
        assertThat(later.generation()).isEqualTo(1);
        assertThat(later.secrets()).isEqualTo(plan.secrets());
    }

    @Test
    void aForcedRenewalIssuesEveryBrokerCertificateAgainButKeepsTheCas() {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan forced = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.BROKERS, NOW);
        assertThat(forced.generation()).isEqualTo(2);
        assertThat(brokerCert(forced, 0)).isNotEqualTo(brokerCert(plan, 0));
        assertThat(secret(forced, "events-cluster-ca")).isEqualTo(secret(plan, "events-cluster-ca"));
        assertThat(secret(forced, "events-cluster-ca-cert")).isEqualTo(secret(plan, "events-cluster-ca-cert"));
    }

    @Test
    void aForcedCaRenewalRenewsBothCasAndTheBrokers() {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Plan forced = ClusterCertificates.plan(cluster, names, stored(plan), 3, ClusterCertificates.ForceRenew.CAS, NOW.plusSeconds(5));
        assertThat(forced.generation()).isEqualTo(2);
        assertThat(caCert(forced, "events-clients-ca-cert")).isNotEqualTo(caCert(plan, "events-clients-ca-cert"));
        assertThat(caCert(forced, "events-cluster-ca-cert")).isNotEqualTo(caCert(plan, "events-cluster-ca-cert"));
        // The public copy's password stays: clients configured with it keep working.
        assertThat(secret(forced, "events-cluster-ca-cert").getData().get("ca.password"))
                .isEqualTo(secret(plan, "events-cluster-ca-cert").getData().get("ca.password"));
    }

    @Test
    void aLostCaIsReplacedAndEveryBrokerCertificateIssuedByTheNewOne() throws Exception {
        ClusterCertificates.Plan plan = first();
        ClusterCertificates.Existing s = stored(plan);
        ClusterCertificates.Plan replaced = ClusterCertificates.plan(cluster, names,
                new ClusterCertificates.Existing(null, s.clusterCaCert(), s.clientsCa(), s.clientsCaCert(), s.brokers()), 3,
                ClusterCertificates.ForceRenew.NONE, NOW);
        assertThat(replaced.generation()).isEqualTo(2);
        verifies(brokerCert(replaced, 2), caCert(replaced, "events-cluster-ca-cert"), NOW);
        assertThat(caCert(replaced, "events-cluster-ca-cert").getPublicKey()).isNotEqualTo(caCert(plan, "events-cluster-ca-cert").getPublicKey());
    }

    @Test
    void aForceRenewAnnotationOfCaRenewsTheCasAnyOtherValueTheBrokers() {
        assertThat(ClusterCertificates.forceRenew(cluster)).isEqualTo(ClusterCertificates.ForceRenew.NONE);
        cluster.getMetadata().setAnnotations(Map.of(ClusterCertificates.FORCE_RENEW_ANNOTATION, "true"));
        assertThat(ClusterCertificates.forceRenew(cluster)).isEqualTo(ClusterCertificates.ForceRenew.BROKERS);
        cluster.getMetadata().setAnnotations(Map.of(ClusterCertificates.FORCE_RENEW_ANNOTATION, "CA"));
        assertThat(ClusterCertificates.forceRenew(cluster)).isEqualTo(ClusterCertificates.ForceRenew.CAS);
    }

    @Test
    void aRenewalWindowAsLongAsTheValidityIsRefused() {
        assertThat(ClusterCertificates.validate(new CertificatesSpec(30, 30))).singleElement().asString().contains("renewalDays (30)");
        assertThat(ClusterCertificates.validate(new CertificatesSpec(30, 29))).isEmpty();
    }
}
