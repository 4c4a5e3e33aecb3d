package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Secret;
import io.runnel.operator.api.AuthorizationSpec;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerAuthentication;
import io.runnel.operator.api.ListenerSpec;

/** The operator's own identity: which listener and settings its Admin uses, and the authorizer and super users the brokers get. */
class OperatorIdentityTest {
    private static Cluster cluster(String interBroker, ListenerSpec... listeners) {
        Cluster c = ClusterFixtures.cluster("events", 3, Map.of());
        c.getSpec().listeners = List.of(listeners);
        c.getSpec().interBrokerListener = interBroker;
        return c;
    }

    private static final ListenerSpec PLAIN = new ListenerSpec("PLAIN", 9092);
    private static final ListenerSpec REPLICATION = new ListenerSpec("REPLICATION", 9091, true, ListenerAuthentication.Type.TLS);
    private static final ListenerSpec MTLS = new ListenerSpec("MTLS", 9096, true, ListenerAuthentication.Type.TLS);

    private static Secret operatorSecret(Cluster c) {
        ClusterCertificates.Plan plan = ClusterCertificates.plan(c, ClusterFixtures.names(c), new ClusterCertificates.Existing(null, null, null, null, null),
                3, ClusterCertificates.ForceRenew.NONE, Instant.parse("2026-11-24T12:00:00Z"));
        return plan.secrets().stream().filter(s -> s.getMetadata().getName().equals("events-operator-certs")).findFirst().orElseThrow();
    }

    @Test
    void withAnMtlsInterBrokerListenerTheOperatorConnectsThereWithItsCertificateAndTrustsTheClusterCa() {
        Cluster c = cluster("REPLICATION", PLAIN, MTLS, REPLICATION);
        Secret secret = operatorSecret(c);
        OperatorConnection conn = OperatorConnection.of(c, ClusterFixtures.names(c), secret);
        assertThat(conn.bootstrap()).isEqualTo("events-bootstrap.prod.svc:9091");
        assertThat(conn.principal()).isEqualTo("User:events-operator");
        assertThat(conn.security()).containsEntry("security.protocol", "SSL").containsEntry("ssl.keystore.type", "PEM")
                .containsEntry("ssl.truststore.type", "PEM")
                .containsEntry("ssl.keystore.key", ClusterCertificates.decode(secret.getData().get("operator.key")))
                .containsEntry("ssl.keystore.certificate.chain", ClusterCertificates.decode(secret.getData().get("operator.crt")))
                .containsEntry("ssl.truststore.certificates", ClusterCertificates.decode(secret.getData().get("ca.crt")))
                // Host names are verified (Kafka's default): the brokers' certificates name the bootstrap Service.
                .doesNotContainKey("ssl.endpoint.identification.algorithm");
        // The principal mapping the listener renders turns the certificate's CN into exactly that principal.
        assertThat(Listeners.securitySettings(c)).containsEntry("listener.name.replication.ssl.principal.mapping.rules", Listeners.PRINCIPAL_MAPPING_RULES);
        assertThat(Listeners.PRINCIPAL_MAPPING_RULES).startsWith("RULE:^CN=([^,]+).*$/$1/");
        assertThat("CN=events-operator".replaceAll("^CN=([^,]+).*$", "$1")).isEqualTo("events-operator");
    }

    @Test
    void withoutAnMtlsInterBrokerListenerOrBeforeItsCertificateExistsTheOperatorUsesThePlainFirstListener() {
        // An mTLS listener that is not the inter-broker one trusts only the clients CA, which did not issue the operator's certificate.
        Cluster c = cluster(null, PLAIN, MTLS);
        OperatorConnection conn = OperatorConnection.of(c, ClusterFixtures.names(c), operatorSecret(c));
        assertThat(conn.bootstrap()).isEqualTo("events-bootstrap.prod.svc:9092");
        assertThat(conn.security()).isEmpty();
        assertThat(conn.principal()).isEqualTo("User:ANONYMOUS");

        Cluster mtls = cluster("REPLICATION", PLAIN, REPLICATION);
        assertThat(OperatorConnection.of(mtls, ClusterFixtures.names(mtls), null).bootstrap()).isEqualTo("events-bootstrap.prod.svc:9092");
    }

    @Test
    void authorizationRendersTheStandardAuthorizerAndSuperUsersOfTheOperatorTheBrokersAndThoseListed() {
        Cluster c = cluster("REPLICATION", PLAIN, REPLICATION);
        c.getSpec().authorization = new AuthorizationSpec(List.of("User:admin"));
        assertThat(BrokerConfigMap.validateAuthorization(c)).isEmpty();
        Map<String, String> env = BrokerConfigMap.data(c, BrokerIdentity.fresh(3), ClusterFixtures.names(c));
        assertThat(env).containsEntry("RUNNEL_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("RUNNEL_SUPER_USERS", "User:admin;User:events-broker;User:events-operator");
        assertThat(env.get("RUNNEL_SUPER_USERS")).doesNotContain("ANONYMOUS");
    }

    @Test
    void withAuthorizationTheControllerListenerIsMtlsSoNoAnonymousQuorumPeerNeedsToBeASuperUser() {
        Cluster c = cluster("REPLICATION", PLAIN, REPLICATION);
        assertThat(Listeners.securitySettings(c).get("listener.security.protocol.map")).endsWith(",CONTROLLER:PLAINTEXT");
        assertThat(Listeners.securitySettings(c)).doesNotContainKey("listener.name.controller.ssl.client.auth");
        c.getSpec().authorization = new AuthorizationSpec(List.of());
        assertThat(Listeners.securitySettings(c)).containsEntry("listener.security.protocol.map", "PLAIN:PLAINTEXT,REPLICATION:SSL,CONTROLLER:SSL")
                .containsEntry("listener.name.controller.ssl.keystore.location", "/etc/runnel/certs/$(POD_NAME).pem")
                .containsEntry("listener.name.controller.ssl.truststore.location", "/etc/runnel/certs/ca.crt")
                .containsEntry("listener.name.controller.ssl.client.auth", "required")
                .containsEntry("listener.name.controller.ssl.principal.mapping.rules", Listeners.PRINCIPAL_MAPPING_RULES);
    }

    @Test
    void authorizationWithoutAnMtlsPathForTheOperatorIsRefusedUnlessAnonymousIsListedOnPurpose() {
        Cluster c = cluster(null, PLAIN, MTLS);
        c.getSpec().authorization = new AuthorizationSpec(List.of("User:admin"));
        assertThat(BrokerConfigMap.validateAuthorization(c)).singleElement().asString()
                .contains("mTLS interBrokerListener", "User:ANONYMOUS", "super user");
        c.getSpec().authorization.superUsers.add("User:ANONYMOUS");
        assertThat(BrokerConfigMap.validateAuthorization(c)).isEmpty();
        assertThat(BrokerConfigMap.data(c, BrokerIdentity.fresh(3), ClusterFixtures.names(c))).containsEntry("RUNNEL_SUPER_USERS", "User:admin;User:ANONYMOUS");
    }

    @Test
    void authorizationAlsoGivenInConfigOrAMalformedSuperUserIsRefused() {
        Cluster c = cluster("REPLICATION", PLAIN, REPLICATION);
        c.getSpec().authorization = new AuthorizationSpec(List.of("alice"));
        c.getSpec().config.put("super.users", "User:bob");
        assertThat(BrokerConfigMap.validateAuthorization(c)).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("'super.users' is set by spec.authorization"))
                .anySatisfy(p -> assertThat(p).contains("'alice' is not a principal"));
    }

    @Test
    void withoutAuthorizationTheConfigsSuperUsersStayAsGivenAndNoAuthorizerIsAdded() {
        Cluster c = cluster(null, PLAIN);
        c.getSpec().config.put("super.users", "User:ANONYMOUS");
        Map<String, String> env = BrokerConfigMap.data(c, BrokerIdentity.fresh(3), ClusterFixtures.names(c));
        assertThat(env).containsEntry("RUNNEL_SUPER_USERS", "User:ANONYMOUS").doesNotContainKey("RUNNEL_AUTHORIZER_CLASS_NAME");
        assertThat(BrokerConfigMap.validateAuthorization(c)).isEmpty();
    }

    @Test
    void theBrokersAndTheOperatorsPrincipalsAreNamesNoUserMayTake() {
        ClusterNames names = ClusterFixtures.names(cluster(null, PLAIN));
        assertThat(Listeners.reservedPrincipal(names, "events-broker")).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("brokers' own principal").contains("act as a broker");
        assertThat(Listeners.reservedPrincipal(names, "events-operator")).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("operator's own principal").contains("act as the operator");
        assertThat(Listeners.reservedPrincipal(names, "alice")).isEmpty();
        assertThat(Listeners.reservedPrincipal(names, "other-broker")).as("another cluster's brokers").isEmpty();
    }
}
