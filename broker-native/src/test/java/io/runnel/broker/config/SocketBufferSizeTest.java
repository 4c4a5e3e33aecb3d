package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** socket.send.buffer.bytes and socket.receive.buffer.bytes: Kafka's names and defaults, -1 for the kernel's own. */
class SocketBufferSizeTest {
    @Test
    void bothDefaultToKafkasHundredKibAndAreListedUnderKafkasNames() {
        BrokerConfig config = BrokerConfig.from(Map.of());
        assertThat(config.socketSendBufferBytes()).isEqualTo(102_400);
        assertThat(config.socketReceiveBufferBytes()).isEqualTo(102_400);
        assertThat(config.asKafkaConfigs()).containsEntry("socket.send.buffer.bytes", "102400")
                .containsEntry("socket.receive.buffer.bytes", "102400");
    }

    @Test
    void minusOneLeavesTheOsDefaultAndZeroOrLessIsRefused() {
        for (String key : new String[] {"socket.send.buffer.bytes", "socket.receive.buffer.bytes"}) {
            assertThat(sizeOf(key, BrokerConfig.from(Map.of(key, "-1")))).isEqualTo(-1);
            assertThat(sizeOf(key, BrokerConfig.from(Map.of(key, "1048576")))).isEqualTo(1_048_576);
            assertThatThrownBy(() -> BrokerConfig.from(Map.of(key, "0"))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key);
            assertThatThrownBy(() -> BrokerConfig.from(Map.of(key, "-2"))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key);
        }
    }

    @Test
    void eachKeySetsOnlyItsOwnBuffer() {
        BrokerConfig config = BrokerConfig.from(Map.of("socket.receive.buffer.bytes", "65536"));
        assertThat(config.socketReceiveBufferBytes()).isEqualTo(65_536);
        assertThat(config.socketSendBufferBytes()).isEqualTo(102_400);
    }

    private static int sizeOf(String key, BrokerConfig config) {
        return key.startsWith("socket.send") ? config.socketSendBufferBytes() : config.socketReceiveBufferBytes();
    }
}
