package io.runnel.operator.resource;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reading the produce counter out of a broker's Prometheus page. */
class BrokerLoadTest {

    @Test
    void theBytesInCounterIsSummedOverTopicsAndNothingElseIsCounted() {
        String page = """
                # HELP runnel_topic_bytes_in_total Bytes appended by Produce
                # TYPE runnel_topic_bytes_in_total counter
                runnel_topic_bytes_in_total{topic="orders"} 1500.0
                runnel_topic_bytes_in_total{topic="__consumer_offsets"} 250.5
                runnel_topic_bytes_in_total_created{topic="orders"} 1.7E9
                runnel_topic_bytes_out_total{topic="orders"} 99999.0
                """;
        assertThat(BrokerLoad.sum(page, "runnel_topic_bytes_in_total")).isEqualTo(1750.5);
        assertThat(BrokerLoad.sum("", "runnel_topic_bytes_in_total")).isZero();
    }
}
