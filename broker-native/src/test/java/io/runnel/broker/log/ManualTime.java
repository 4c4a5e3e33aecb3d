package io.runnel.broker.log;

import org.apache.kafka.common.utils.Time;

/** A clock the test moves by hand (kafka-clients' MockTime lives in its test jar, not available here). */
final class ManualTime implements Time {
    private long nowMs;

    ManualTime(long startMs) {
        this.nowMs = startMs;
    }

    void advance(long ms) {
        nowMs += ms;
    }

    @Override
    public long milliseconds() {
        return nowMs;
    }

    @Override
    public long nanoseconds() {
        return nowMs * 1_000_000L;
    }

    @Override
    public void sleep(long ms) {
        advance(ms);
    }
}
