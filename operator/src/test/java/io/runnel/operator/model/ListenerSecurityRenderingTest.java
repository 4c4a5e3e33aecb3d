package io.runnel.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerAuthentication;
import io.runnel.operator.api.ListenerSpec;

class ListenerSecurityRenderingTest {
    private static Cluster withListeners(ListenerSpec... listeners) {
        Cluster c = ClusterFixtures.cluster("events", 3, Map.of());
        c.getSpec().listeners = List.of(listeners);
        return c;
    }

    @Test
    void plainListenersAddNoSecuritySettingsAndNoCertificateMount() {
        Cluster c = withListeners(new ListenerSpec("PLAINTEXT", 9092));
        assertThat(Listeners.securitySettings(c)).isEmpty();
        StatefulSet sts = BrokerStatefulSet.build(c, ClusterFixtures.names(c), "h", "0.1.0", 3, 7);
        assertThat(sts.getSpec().getTemplate().getSpec().getVolumes()).isEmpty();
        assertThat(sts.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey(ClusterCertificates.GENERATION_ANNOTATION);
    }

    @Test
    void tlsScramAndMutualTlsListenersRenderKafkasPerListenerSettings() {
        Cluster c = withListeners(new ListenerSpec("PLAIN", 9092), new ListenerSpec("TLS", 9094, true, null),
                new ListenerSpec("SCRAM", 9095, true, ListenerAuthentication.Type.SCRAM_SHA_512),
                new ListenerSpec("MTLS", 9096, true, ListenerAuthentication.Type.TLS),
                new ListenerSpec("SCRAMPLAIN", 9097, false, ListenerAuthentication.Type.SCRAM_SHA_512));
        assertThat(Listeners.validate(c)).isEmpty();
        Map<String, String> s = Listeners.securitySettings(c);
        assertThat(s).containsEntry("listener.security.protocol.map",
                "PLAIN:PLAINTEXT,TLS:SSL,SCRAM:SASL_SSL,MTLS:SSL,SCRAMPLAIN:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT");
        assertThat(s).containsEntry("listener.name.tls.ssl.keystore.type", "PEM")
                .containsEntry("listener.name.tls.ssl.keystore.location", "/etc/runnel/certs/$(POD_NAME).pem")
                .doesNotContainKey("listener.name.tls.ssl.client.auth")
                .containsEntry("listener.name.scram.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .containsEntry("listener.name.scram.ssl.keystore.location", "/etc/runnel/certs/$(POD_NAME).pem")
                .containsEntry("listener.name.mtls.ssl.client.auth", "required")
                .containsEntry("listener.name.mtls.ssl.truststore.location", "/etc/runnel/certs/clients-ca.crt")
                .containsEntry("listener.name.mtls.ssl.truststore.type", "PEM")
                .containsEntry("listener.name.mtls.ssl.principal.mapping.rules", "RULE:^CN=([^,]+).*$/$1/,DEFAULT")
                .containsEntry("listener.name.scramplain.sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .doesNotContainKey("listener.name.plain.ssl.keystore.location")
                .doesNotContainKey("listener.name.scramplain.ssl.keystore.location");
    }

    @Test
    void withTlsEveryBrokerMountsTheCertificatesAndTheGenerationIsOnThePodTemplate() {
        Cluster c = withListeners(new ListenerSpec("PLAINTEXT", 9092), new ListenerSpec("TLS", 9094, true, null));
        ClusterNames names = ClusterFixtures.names(c);
        StatefulSet sts = BrokerStatefulSet.build(c, names, "h", "0.1.0", 3, 7);
        var pod = sts.getSpec().getTemplate();
        assertThat(pod.getMetadata().getAnnotations()).containsEntry(ClusterCertificates.GENERATION_ANNOTATION, "7");
        assertThat(pod.getSpec().getVolumes()).singleElement().satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("events-broker-certs"));
        Container broker = pod.getSpec().getContainers().get(0);
        assertThat(broker.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/etc/runnel/certs"));
        List<String> env = broker.getEnv().stream().map(EnvVar::getName).toList();
        // $(POD_NAME) in the keystore path is expanded by the kubelet only if POD_NAME comes first.
        assertThat(env.indexOf("RUNNEL_LISTENER_NAME_TLS_SSL_KEYSTORE_LOCATION")).isGreaterThan(env.indexOf("POD_NAME"));
        assertThat(env).contains("RUNNEL_LISTENER_SECURITY_PROTOCOL_MAP");
        // A new generation is a new template: the brokers roll onto the new certificates.
        assertThat(BrokerStatefulSet.build(c, names, "h", "0.1.0", 3, 8).getSpec().getTemplate()).isNotEqualTo(pod);
    }

    @Test
    void certificateAuthenticationWithoutTlsAndASecuredFirstListenerAreRefused() {
        assertThat(Listeners.validate(withListeners(new ListenerSpec("PLAIN", 9092), new ListenerSpec("MTLS", 9096, false,
                ListenerAuthentication.Type.TLS)))).singleElement().asString().contains("MTLS", "needs tls: true");
        assertThat(Listeners.validate(withListeners(new ListenerSpec("TLS", 9094, true, null)))).singleElement().asString()
                .contains("first listener", "inter-broker");
    }

    @Test
    void anMtlsInterBrokerListenerTrustsBothCasAndMakesTheBrokersAndTheOperatorSuperUsers() {
        Cluster c = withListeners(new ListenerSpec("PLAIN", 9092), new ListenerSpec("REPLICATION", 9091, true, ListenerAuthentication.Type.TLS));
        c.getSpec().interBrokerListener = "REPLICATION";
        c.getSpec().config.put("super.users", "User:admin");
        assertThat(Listeners.validate(c)).isEmpty();
        assertThat(Listeners.securitySettings(c)).containsEntry("inter.broker.listener.name", "REPLICATION")
                .containsEntry("listener.name.replication.ssl.truststore.location", "/etc/runnel/certs/cluster-and-clients-ca.crt")
                .containsEntry("listener.name.replication.ssl.client.auth", "required")
                .containsEntry("listener.name.replication.ssl.keystore.location", "/etc/runnel/certs/$(POD_NAME).pem");
        assertThat(BrokerConfigMap.superUsers(c, ClusterFixtures.names(c))).contains("User:admin;User:events-broker;User:events-operator");
        c.getSpec().config.remove("super.users");
        assertThat(BrokerConfigMap.superUsers(c, ClusterFixtures.names(c))).contains("User:events-broker;User:events-operator");
        c.getSpec().interBrokerListener = null;
        assertThat(BrokerConfigMap.superUsers(c, ClusterFixtures.names(c))).isEmpty();
    }

    @Test
    void anInterBrokerListenerThatIsMissingOrUsesScramIsRefused() {
        Cluster c = withListeners(new ListenerSpec("PLAIN", 9092), new ListenerSpec("SCRAM", 9095, true, ListenerAuthentication.Type.SCRAM_SHA_512));
        c.getSpec().interBrokerListener = "SCRAM";
        assertThat(Listeners.validate(c)).singleElement().asString().contains("scram-sha-512", "mTLS");
        c.getSpec().interBrokerListener = "NOPE";
        assertThat(Listeners.validate(c)).singleElement().asString().contains("NOPE is not one of the listeners");
    }
}
