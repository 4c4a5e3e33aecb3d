package io.runnel.e2e.support;

/**
 * The broker the transaction suites launch: {@link BrokerProcess}'s defaults plus the transaction
 * settings they rely on, under Kafka's names (Apache Kafka reads them from server.properties,
 * Runnel as {@code RUNNEL_<NAME>}), so one suite runs unchanged against both brokers.
 *
 * <ul>
 *   <li>{@code transaction.state.log.replication.factor} and {@code .min.isr} 1: one broker holds
 *       the transaction log (Kafka's defaults, 3 and 2, cannot be met by a single node).</li>
 *   <li>{@code transaction.abort.timed.out.transaction.cleanup.interval.ms} 500: the coordinator
 *       looks for transactions past their timeout twice a second instead of every 10 s, so a
 *       test that leaves one open (timeout a few seconds) sees it aborted soon after.</li>
 *   <li>{@code transaction.max.timeout.ms} 15 min (Kafka's default, stated so Runnel reads the
 *       same) and {@code transactional.id.expiration.ms} 7 days: nothing a test uses expires on
 *       its own while it runs.</li>
 * </ul>
 */
public final class TransactionBrokers {
    public static final int ABORT_CHECK_INTERVAL_MS = 500;

    private TransactionBrokers() {}

    public static BrokerProcess.Builder builder(String name) {
        return BrokerProcess.builder(name)
                .config("transaction.state.log.replication.factor", "1")
                .config("transaction.state.log.min.isr", "1")
                .config("transaction.abort.timed.out.transaction.cleanup.interval.ms", Integer.toString(ABORT_CHECK_INTERVAL_MS))
                .config("transaction.max.timeout.ms", "900000")
                .config("transactional.id.expiration.ms", "604800000");
    }

    public static BrokerProcess start(String name) {
        return builder(name).start();
    }
}
