package io.runnel.broker.txn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The transaction coordinator's settings, with Kafka's key names and defaults (read under the
 * {@code runnel.} prefix by the application, like {@code GroupConfig}). Immutable.
 *
 * @param stateLogNumPartitions            transaction.state.log.num.partitions: partitions of {@code __transaction_state}, fixed at its creation
 * @param stateLogReplicationFactor        transaction.state.log.replication.factor in a multi-node cluster; a quorum of one uses 1
 * @param stateLogMinIsr                   transaction.state.log.min.isr, capped at the replication factor when the topic is created
 * @param stateLogSegmentBytes             transaction.state.log.segment.bytes
 * @param maxTimeoutMs                     transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for
 * @param transactionalIdExpirationMs      transactional.id.expiration.ms: an id idle (no transaction, no request) this long is forgotten
 * @param abortTimedOutIntervalMs          transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out transactions are looked for
 * @param removeExpiredIntervalMs          transaction.remove.expired.transaction.cleanup.interval.ms: how often expired ids are looked for
 * @param partitionVerificationEnabled     transaction.partition.verification.enable: a transaction's first batch in a partition is checked
 *                                         with its coordinator before it is appended (KIP-890 part 1)
 */
public record TransactionConfig(
        int stateLogNumPartitions,
        short stateLogReplicationFactor,
        int stateLogMinIsr,
        int stateLogSegmentBytes,
        int maxTimeoutMs,
        long transactionalIdExpirationMs,
        long abortTimedOutIntervalMs,
        long removeExpiredIntervalMs,
        boolean partitionVerificationEnabled) {

    public static final String TRANSACTION_STATE_TOPIC = "__transaction_state";

    /** Kafka's defaults. */
    public static final Map<String, String> DEFAULTS = defaults();

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("transaction.state.log.num.partitions", "50");
        d.put("transaction.state.log.replication.factor", "3");
        d.put("transaction.state.log.min.isr", "2");
        d.put("transaction.state.log.segment.bytes", "104857600");
        d.put("transaction.max.timeout.ms", "900000");
        d.put("transactional.id.expiration.ms", "604800000");
        d.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "10000");
        d.put("transaction.remove.expired.transaction.cleanup.interval.ms", "3600000");
        d.put("transaction.partition.verification.enable", "true");
        return Map.copyOf(d);
    }

    public static final TransactionConfig DEFAULT = from(Map.of());

    public TransactionConfig {
        if (stateLogNumPartitions < 1) throw new IllegalArgumentException("transaction.state.log.num.partitions must be >= 1");
        if (stateLogReplicationFactor < 1) throw new IllegalArgumentException("transaction.state.log.replication.factor must be >= 1");
        if (stateLogMinIsr < 1) throw new IllegalArgumentException("transaction.state.log.min.isr must be >= 1");
        if (stateLogSegmentBytes < 1) throw new IllegalArgumentException("transaction.state.log.segment.bytes must be >= 1");
        if (maxTimeoutMs < 1) throw new IllegalArgumentException("transaction.max.timeout.ms must be >= 1");
        if (transactionalIdExpirationMs < 1) throw new IllegalArgumentException("transactional.id.expiration.ms must be >= 1");
        if (abortTimedOutIntervalMs < 1) throw new IllegalArgumentException("transaction.abort.timed.out.transaction.cleanup.interval.ms must be >= 1");
        if (removeExpiredIntervalMs < 1) throw new IllegalArgumentException("transaction.remove.expired.transaction.cleanup.interval.ms must be >= 1");
    }

    /** The topic's min.insync.replicas for a given replication factor: Kafka caps the configured value at it. */
    public int minIsrFor(short replicationFactor) {
        return Math.min(stateLogMinIsr, replicationFactor);
    }

    /** Reads Kafka key names (without the {@code runnel.} prefix); absent keys take {@link #DEFAULTS}. */
    public static TransactionConfig from(Function<String, Optional<String>> source) {
        Function<String, String> get = key -> source.apply(key).filter(v -> !v.isBlank()).orElseGet(() -> DEFAULTS.get(key));
        return new TransactionConfig(
                Integer.parseInt(get.apply("transaction.state.log.num.partitions")),
                Short.parseShort(get.apply("transaction.state.log.replication.factor")),
                Integer.parseInt(get.apply("transaction.state.log.min.isr")),
                Integer.parseInt(get.apply("transaction.state.log.segment.bytes")),
                Integer.parseInt(get.apply("transaction.max.timeout.ms")),
                Long.parseLong(get.apply("transactional.id.expiration.ms")),
                Long.parseLong(get.apply("transaction.abort.timed.out.transaction.cleanup.interval.ms")),
                Long.parseLong(get.apply("transaction.remove.expired.transaction.cleanup.interval.ms")),
                Boolean.parseBoolean(get.apply("transaction.partition.verification.enable")));
    }

    public static TransactionConfig from(Map<String, String> overrides) {
        return from(key -> Optional.ofNullable(overrides.get(key)));
    }
}
