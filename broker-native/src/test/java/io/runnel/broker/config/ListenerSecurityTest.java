package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

/** Kafka's listener security settings: the protocol map, per-listener overrides, and what refuses to start. */
class ListenerSecurityTest {
    static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\" user_bob=\"b\";";

    static BrokerConfig config(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of("log.dirs", "data"));
        all.putAll(settings);
        return BrokerConfig.from(all);
    }

    @Test
    void theDefaultMapKeepsEveryListenerPlaintextAsBefore() {
        BrokerConfig config = config(Map.of("listeners", "PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093"));
        assertThat(config.security("PLAINTEXT").protocol()).isEqualTo(SecurityProtocol.PLAINTEXT);
        assertThat(config.security("INTERNAL").protocol()).as("unmapped, default map").isEqualTo(SecurityProtocol.PLAINTEXT);
        assertThat(config.security("CONTROLLER").protocol()).isEqualTo(SecurityProtocol.PLAINTEXT);
    }

    @Test
    void anExplicitMapMustNameEveryListener() {
        assertThatThrownBy(() -> config(Map.of("listeners", "PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9094",
                "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("INTERNAL");
    }

    @Test
    void listenerPrefixedSettingsOverrideTheBrokerWideOnes() {
        BrokerConfig config = config(Map.of("listeners", "EXTERNAL://127.0.0.1:9092,TLS2://127.0.0.1:9095",
                "listener.security.protocol.map", "EXTERNAL:SASL_SSL,TLS2:SSL",
                "ssl.keystore.location", "/broker.p12", "ssl.keystore.type", "PKCS12", "ssl.client.auth", "requested",
                "listener.name.external.ssl.keystore.location", "/external.jks",
                "listener.name.external.sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN",
                "listener.name.external.plain.sasl.jaas.config", JAAS,
                "listener.name.external.connections.max.reauth.ms", "60000"));
        ListenerSecurity external = config.security("EXTERNAL");
        assertThat(external.tls().keystoreLocation()).isEqualTo("/external.jks");
        assertThat(external.tls().keystoreType()).isEqualTo("PKCS12");
        assertThat(external.tls().clientAuth()).isEqualTo(ListenerSecurity.ClientAuth.REQUESTED);
        assertThat(external.tls().enabledProtocols()).containsExactly("TLSv1.2", "TLSv1.3");
        assertThat(external.sasl().enabledMechanisms()).containsExactly("SCRAM-SHA-512", "PLAIN");
        assertThat(external.sasl().plainUsers()).containsExactlyInAnyOrderEntriesOf(Map.of("alice", "alice-secret", "bob", "b"));
        assertThat(external.sasl().connectionsMaxReauthMs()).isEqualTo(60_000);
        assertThat(external.sasl().maxReceiveBytes()).isEqualTo(524_288);
        assertThat(external.toString()).doesNotContain("alice-secret");
        assertThat(config.security("TLS2").tls().keystoreLocation()).isEqualTo("/broker.p12");
        assertThat(config.asKafkaConfigs()).containsEntry("listener.security.protocol.map", "EXTERNAL:SASL_SSL,TLS2:SSL");
    }

    @Test
    void kafkasDefaultMechanismGssapiIsRefusedAtStartup() {
        assertThatThrownBy(() -> config(Map.of("listeners", "SASL_PLAINTEXT://127.0.0.1:9092")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GSSAPI");
    }

    @Test
    void whatCannotWorkRefusesToStart() {
        List<Map<String, String>> broken = List.of(
                Map.of("listeners", "SSL://127.0.0.1:9092"),
                Map.of("listeners", "SASL_PLAINTEXT://127.0.0.1:9092", "sasl.enabled.mechanisms", "PLAIN"),
                Map.of("listeners", "SASL_PLAINTEXT://127.0.0.1:9092", "sasl.enabled.mechanisms", "OAUTHBEARER"),
                Map.of("listeners", "SSL://127.0.0.1:9092", "ssl.keystore.location", "/k.jks", "ssl.client.auth", "sometimes"),
                Map.of("listeners", "SSL://127.0.0.1:9092", "ssl.keystore.location", "/k.jks", "ssl.principal.mapping.rules", "RULE:nonsense"),
                Map.of("listeners", "PLAINTEXT://127.0.0.1:9092", "listener.security.protocol.map", "PLAINTEXT:TLS"));
        for (Map<String, String> settings : broken) {
            assertThatThrownBy(() -> config(settings)).as(settings.toString()).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void librdkafkaNonceIsAcceptedByDefaultAndSwitchedOffPerListenerOrBrokerWide() {
        String listeners = "A://127.0.0.1:9092,B://127.0.0.1:9093";
        Map<String, String> base = Map.of("listeners", listeners, "listener.security.protocol.map", "A:SASL_PLAINTEXT,B:SASL_PLAINTEXT",
                "sasl.enabled.mechanisms", "SCRAM-SHA-512");
        BrokerConfig defaults = config(base);
        assertThat(defaults.security("A").sasl().acceptLibrdkafkaNonce()).isTrue();
        assertThat(defaults.security("B").sasl().acceptLibrdkafkaNonce()).isTrue();

        Map<String, String> perListener = new HashMap<>(base);
        perListener.put("listener.name.a.sasl.scram.accept.librdkafka.nonce", "false");
        assertThat(config(perListener).security("A").sasl().acceptLibrdkafkaNonce()).isFalse();
        assertThat(config(perListener).security("B").sasl().acceptLibrdkafkaNonce()).isTrue();

        Map<String, String> brokerWide = new HashMap<>(base);
        brokerWide.put("sasl.scram.accept.librdkafka.nonce", "false");
        brokerWide.put("listener.name.b.sasl.scram.accept.librdkafka.nonce", "TRUE");
        assertThat(config(brokerWide).security("A").sasl().acceptLibrdkafkaNonce()).isFalse();
        assertThat(config(brokerWide).security("B").sasl().acceptLibrdkafkaNonce()).isTrue();

        Map<String, String> typo = new HashMap<>(base);
        typo.put("sasl.scram.accept.librdkafka.nonce", "no");
        assertThatThrownBy(() -> config(typo)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sasl.scram.accept.librdkafka.nonce").hasMessageContaining("true or false");
    }
}
