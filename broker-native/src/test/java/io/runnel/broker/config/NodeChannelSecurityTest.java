package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

/**
 * Which listener carries inter-broker and controller traffic, and the client side of its security
 * (Kafka's {@code inter.broker.listener.name}, {@code sasl.mechanism.*.protocol}, the listener's
 * {@code ssl.*} and JAAS credentials): what resolves, and what refuses to start with which message.
 */
class NodeChannelSecurityTest {
    static final String PLAIN_JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"node\" password=\"node-secret\" "
            + "user_node=\"node-secret\" user_alice=\"alice-secret\";";
    static final String SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"node\" password=\"node-secret\";";

    /** One voter of a three-node cluster, with {@code settings} over it. */
    static BrokerConfig node(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("log.dirs", "data", "node.id", "1", "cluster.id", "MkU3OEVBNTcwNTJENDM2Qg",
                "controller.quorum.voters", "1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293"));
        all.putAll(settings);
        return BrokerConfig.from(all);
    }

    static Map<String, String> saslSslEverywhere() {
        Map<String, String> m = new HashMap<>(Map.of(
                "listeners", "SASL_SSL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                "listener.security.protocol.map", "SASL_SSL:SASL_SSL,CONTROLLER:SASL_SSL",
                "ssl.keystore.location", "/etc/runnel/node.p12", "ssl.keystore.password", "ks-secret", "ssl.keystore.type", "PKCS12",
                "ssl.truststore.location", "/etc/runnel/ca.p12", "ssl.truststore.password", "ts-secret", "ssl.truststore.type", "PKCS12",
                "sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512"));
        m.put("plain.sasl.jaas.config", PLAIN_JAAS);
        m.put("sasl.mechanism.controller.protocol", "PLAIN");
        m.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-512");
        m.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", SCRAM_JAAS);
        return m;
    }

    @Test
    void saslSslOnEveryListenerGivesBothChannelsTheListenersTlsAndTheNodesOwnCredentials() {
        BrokerConfig config = node(saslSslEverywhere());
        NodeChannelSecurity interBroker = config.interBrokerChannel();
        assertThat(interBroker.listenerName()).isEqualTo("SASL_SSL");
        assertThat(interBroker.protocol()).isEqualTo(SecurityProtocol.SASL_SSL);
        assertThat(interBroker.saslMechanism()).isEqualTo("SCRAM-SHA-512");
        assertThat(interBroker.saslUser()).isEqualTo("node");
        assertThat(interBroker.clientConfigs()).containsEntry("sasl.jaas.config", SCRAM_JAAS)
                .containsEntry("ssl.keystore.location", "/etc/runnel/node.p12").containsEntry("ssl.truststore.location", "/etc/runnel/ca.p12")
                .containsEntry("ssl.truststore.password", "ts-secret").doesNotContainKey("ssl.endpoint.identification.algorithm");
        NodeChannelSecurity controller = config.controllerChannel();
        assertThat(controller.listenerName()).isEqualTo("CONTROLLER");
        assertThat(controller.saslMechanism()).isEqualTo("PLAIN");
        assertThat(controller.clientConfigs()).containsEntry("sasl.jaas.config", PLAIN_JAAS);
        assertThat(controller.toString()).doesNotContain("secret");
        assertThat(config.asKafkaConfigs()).containsEntry("inter.broker.listener.name", "SASL_SSL");
    }

    @Test
    void theListenerPrefixedSettingWinsOverTheBrokerWideOneAndABlankIdentificationAlgorithmIsKept() {
        Map<String, String> settings = saslSslEverywhere();
        settings.put("listener.name.controller.ssl.keystore.location", "/etc/runnel/controller.p12");
        settings.put("listener.name.controller.ssl.endpoint.identification.algorithm", "");
        BrokerConfig config = node(settings);
        assertThat(config.controllerChannel().clientConfigs()).containsEntry("ssl.keystore.location", "/etc/runnel/controller.p12")
                .containsEntry("ssl.endpoint.identification.algorithm", "");
        assertThat(config.interBrokerChannel().clientConfigs()).containsEntry("ssl.keystore.location", "/etc/runnel/node.p12");
    }

    @Test
    void mtlsBetweenNodesNeedsNoSaslSettings() {
        BrokerConfig config = node(Map.of("listeners", "INTERNAL://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
                "listener.security.protocol.map", "INTERNAL:SSL,CONTROLLER:SSL", "ssl.client.auth", "required",
                "ssl.keystore.location", "/etc/runnel/node.p12", "ssl.truststore.location", "/etc/runnel/ca.p12"));
        assertThat(config.interBrokerChannel().protocol()).isEqualTo(SecurityProtocol.SSL);
        assertThat(config.interBrokerChannel().saslMechanism()).isNull();
        assertThat(config.controllerChannel().clientConfigs()).containsEntry("ssl.keystore.location", "/etc/runnel/node.p12");
    }

    @Test
    void interBrokerListenerNameAndSecurityInterBrokerProtocolChooseTheListenerAsInKafka() {
        String listeners = "EXTERNAL://127.0.0.1:9092,INTERNAL://127.0.0.1:9094,PLAINTEXT://127.0.0.1:9095,CONTROLLER://127.0.0.1:9093";
        assertThat(node(Map.of("listeners", listeners)).interBrokerListener()).as("Runnel's default: the first client listener").isEqualTo("EXTERNAL");
        assertThat(node(Map.of("listeners", listeners, "inter.broker.listener.name", "INTERNAL")).interBrokerListener()).isEqualTo("INTERNAL");
        assertThat(node(Map.of("listeners", listeners, "security.inter.broker.protocol", "PLAINTEXT")).interBrokerListener()).isEqualTo("PLAINTEXT");
        assertThatThrownBy(() -> node(Map.of("listeners", listeners, "inter.broker.listener.name", "INTERNAL", "security.inter.broker.protocol", "PLAINTEXT")))
                .hasMessageContaining("only one of runnel.inter.broker.listener.name and runnel.security.inter.broker.protocol");
        assertThatThrownBy(() -> node(Map.of("listeners", listeners, "inter.broker.listener.name", "CONTROLLER")))
                .hasMessageContaining("is a controller listener");
        assertThatThrownBy(() -> node(Map.of("listeners", listeners, "inter.broker.listener.name", "REPLICATION")))
                .hasMessageContaining("inter-broker listener REPLICATION (from runnel.inter.broker.listener.name) is not in runnel.listeners");
    }

    @Test
    void whatCannotAuthenticateToPeersRefusesToStartNamingTheKey() {
        Map<String, String> noCredentials = saslSslEverywhere();
        noCredentials.remove("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config");
        assertThatThrownBy(() -> node(noCredentials)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("inter-broker listener SASL_SSL uses SASL SCRAM-SHA-512 but listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config is not set");

        Map<String, String> noPassword = saslSslEverywhere();
        noPassword.put("plain.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"node\" user_node=\"x\";");
        noPassword.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        assertThatThrownBy(() -> node(noPassword)).hasMessageContaining("has no password=");

        Map<String, String> wrongModule = saslSslEverywhere();
        wrongModule.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", PLAIN_JAAS);
        assertThatThrownBy(() -> node(wrongModule)).hasMessageContaining("must hold one org.apache.kafka.common.security.scram.ScramLoginModule entry");

        Map<String, String> kafkasDefaultMechanism = saslSslEverywhere();
        kafkasDefaultMechanism.remove("sasl.mechanism.controller.protocol");
        assertThatThrownBy(() -> node(kafkasDefaultMechanism)).hasMessageContaining("sasl.mechanism.controller.protocol is GSSAPI");

        Map<String, String> notEnabled = saslSslEverywhere();
        notEnabled.put("sasl.mechanism.inter.broker.protocol", "SCRAM-SHA-256");
        assertThatThrownBy(() -> node(notEnabled)).hasMessageContaining("SCRAM-SHA-256 is not among the sasl.enabled.mechanisms");

        Map<String, String> scramController = saslSslEverywhere();
        scramController.put("sasl.mechanism.controller.protocol", "SCRAM-SHA-512");
        assertThatThrownBy(() -> node(scramController)).hasMessageContaining("SCRAM credentials live in the cluster metadata");
    }

    @Test
    void aBrokerOnlyNodeTakesTheControllerListenersProtocolFromTheMap() {
        Map<String, String> settings = new HashMap<>(Map.of("node.id", "4", "process.roles", "broker",
                "listeners", "PLAINTEXT://127.0.0.1:9092", "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
                "sasl.mechanism.controller.protocol", "PLAIN", "listener.name.controller.plain.sasl.jaas.config", PLAIN_JAAS));
        BrokerConfig config = node(settings);
        assertThat(config.controllerChannel().protocol()).isEqualTo(SecurityProtocol.SASL_PLAINTEXT);
        assertThat(config.controllerChannel().saslUser()).isEqualTo("node");
        settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT");
        assertThatThrownBy(() -> node(settings)).hasMessageContaining("controller listener CONTROLLER has no security protocol");
    }

    @Test
    void aSingleNodeNeedsNoCredentialsOfItsOwn() {
        BrokerConfig config = BrokerConfig.from(Map.of("log.dirs", "data", "listeners", "SASL_PLAINTEXT://127.0.0.1:9092",
                "sasl.enabled.mechanisms", "SCRAM-SHA-512"));
        assertThat(config.interBrokerListener()).isEqualTo("SASL_PLAINTEXT");
    }
}
