package io.runnel.broker.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The log cleaner's broker settings, named as Kafka names them. Immutable.
 *
 * @param enable              whether compacted topics are cleaned at all ({@code log.cleaner.enable})
 * @param backoffMs           how long the cleaner sleeps when no log needs cleaning
 * @param dedupeBufferBytes   memory for the key → latest offset map of one cleaning pass; a pass over
 *                            more keys cleans only the part that fits, the rest waits for the next pass
 * @param ioMaxBytesPerSecond the cleaner's read plus write rate limit, so cleaning never starves produce and fetch
 */
public record CleanerConfig(boolean enable, long backoffMs, long dedupeBufferBytes, double ioMaxBytesPerSecond) {
    static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("log.cleaner.enable", "true");
        d.put("log.cleaner.backoff.ms", "15000");
        d.put("log.cleaner.dedupe.buffer.size", "134217728");
        d.put("log.cleaner.io.max.bytes.per.second", Double.toString(Double.MAX_VALUE));
        return Map.copyOf(d);
    }

    public CleanerConfig {
        if (backoffMs < 1) throw new IllegalArgumentException("log.cleaner.backoff.ms must be >= 1");
        if (dedupeBufferBytes < 1024 * 1024) throw new IllegalArgumentException("log.cleaner.dedupe.buffer.size must be >= 1048576");
        if (!(ioMaxBytesPerSecond > 0)) throw new IllegalArgumentException("log.cleaner.io.max.bytes.per.second must be > 0");
    }

    /** Reads the keys through {@code get}, which already falls back to the defaults. */
    static CleanerConfig from(Function<String, String> get) {
        return new CleanerConfig(Boolean.parseBoolean(get.apply("log.cleaner.enable")), Long.parseLong(get.apply("log.cleaner.backoff.ms")),
                Long.parseLong(get.apply("log.cleaner.dedupe.buffer.size")), Double.parseDouble(get.apply("log.cleaner.io.max.bytes.per.second")));
    }

    void putKafkaConfigs(Map<String, String> m) {
        m.put("log.cleaner.enable", Boolean.toString(enable));
        m.put("log.cleaner.backoff.ms", Long.toString(backoffMs));
        m.put("log.cleaner.dedupe.buffer.size", Long.toString(dedupeBufferBytes));
        m.put("log.cleaner.io.max.bytes.per.second", Double.toString(ioMaxBytesPerSecond));
    }
}
