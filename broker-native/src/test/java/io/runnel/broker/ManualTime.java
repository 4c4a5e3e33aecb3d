package io.runnel.broker;

import org.apache.kafka.common.utils.Time;

/**
 * A clock the test moves by hand (kafka-clients' MockTime lives in its test jar, not available
 * here). Volatile, since the code under test may read it on its own threads.
 */
public final class ManualTime implements Time {
    private volatile long nowMs;

    public ManualTime(long startMs) {
        this.nowMs = startMs;
    }

    public void advance(long ms) {
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
