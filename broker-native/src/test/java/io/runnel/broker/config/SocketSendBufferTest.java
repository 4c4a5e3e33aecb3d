package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** socket.send.buffer.bytes: Kafka's name and default, -1 for the kernel's own. */
class SocketSendBufferTest {
    @Test
    void defaultsToKafkasHundredKibAndIsListedUnderKafkasName() {
        BrokerConfig config = BrokerConfig.from(Map.of());
        assertThat(config.socketSendBufferBytes()).isEqualTo(102_400);
        assertThat(config.asKafkaConfigs()).containsEntry("socket.send.buffer.bytes", "102400");
    }

    @Test
    void minusOneLeavesTheOsDefaultAndZeroOrLessIsRefused() {
        assertThat(BrokerConfig.from(Map.of("socket.send.buffer.bytes", "-1")).socketSendBufferBytes()).isEqualTo(-1);
        assertThat(BrokerConfig.from(Map.of("socket.send.buffer.bytes", "1048576")).socketSendBufferBytes()).isEqualTo(1_048_576);
        assertThatThrownBy(() -> BrokerConfig.from(Map.of("socket.send.buffer.bytes", "0"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("socket.send.buffer.bytes");
        assertThatThrownBy(() -> BrokerConfig.from(Map.of("socket.send.buffer.bytes", "-2"))).isInstanceOf(IllegalArgumentException.class);
    }
}
