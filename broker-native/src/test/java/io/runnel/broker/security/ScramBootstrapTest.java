package io.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.junit.jupiter.api.Test;

/** {@code scram.bootstrap.credentials}: Kafka's {@code --add-scram} syntax, what it accepts and what it refuses. */
class ScramBootstrapTest {
    @Test
    void parsesKafkasAddScramSyntaxOneEntryPerSemicolon() {
        var credentials = ScramBootstrap.parse("SCRAM-SHA-512=[name=broker,password=broker-secret]; "
                + "scram-sha-256=[name=alice,password=\"a,b=c\",iterations=8192]");
        assertThat(credentials).containsExactly(
                new ScramBootstrap.Credential("broker", ScramMechanism.SCRAM_SHA_512, "broker-secret", ScramBootstrap.DEFAULT_ITERATIONS),
                new ScramBootstrap.Credential("alice", ScramMechanism.SCRAM_SHA_256, "a,b=c", 8192));
        assertThat(credentials.toString()).doesNotContain("secret").contains("SCRAM-SHA-512[name=broker,iterations=4096]");
        assertThat(ScramBootstrap.parse("")).isEmpty();
    }

    @Test
    void refusesWhatCannotBeACredentialWithoutEchoingThePassword() {
        assertThatThrownBy(() -> ScramBootstrap.parse("SCRAM-SHA-1=[name=a,password=p]")).hasMessageContaining("unknown mechanism SCRAM-SHA-1");
        assertThatThrownBy(() -> ScramBootstrap.parse("SCRAM-SHA-512=[password=top-secret]")).hasMessageContaining("needs name= and password=");
        assertThatThrownBy(() -> ScramBootstrap.parse("SCRAM-SHA-512=[name=a,password=p,iterations=100]"))
                .hasMessageContaining("iterations of a must be between 4096 and 16384");
        assertThatThrownBy(() -> ScramBootstrap.parse("SCRAM-SHA-512 name=a password=top-secret"))
                .hasMessageContaining("is not MECHANISM=[name=…,password=…]").message().doesNotContain("top-secret");
    }
}
