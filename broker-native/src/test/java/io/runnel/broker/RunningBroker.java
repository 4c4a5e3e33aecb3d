package io.runnel.broker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.utils.Time;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.txn.TransactionConfig;
import io.vertx.core.Vertx;

/**
 * A real broker in the test JVM on an OS-chosen port with its data in a test folder; restartable
 * on the same folder. Not a mock: the same {@link Broker} the application runs.
 */
public final class RunningBroker implements AutoCloseable {
    private final Path dataDir;
    private final Map<String, String> overrides;
    private Vertx vertx;
    private Broker broker;
    private SimpleMeterRegistry registry;
    private final io.runnel.broker.security.ScramCredentials scramCredentials;

    public RunningBroker(Path dataDir, Map<String, String> overrides) {
        this(dataDir, overrides, null);
    }

    /** @param scramCredentials what SCRAM authentication on SASL listeners looks users up in; null: the cluster metadata's */
    public RunningBroker(Path dataDir, Map<String, String> overrides, io.runnel.broker.security.ScramCredentials scramCredentials) {
        this.dataDir = dataDir;
        this.overrides = overrides;
        this.scramCredentials = scramCredentials;
        start();
    }

    public RunningBroker(Path dataDir) {
        this(dataDir, Map.of());
    }

    public void start() {
        Map<String, String> config = new HashMap<>(Map.of(
                "listeners", "PLAINTEXT://127.0.0.1:0",
                "log.dirs", dataDir.toString(),
                "num.network.threads", "2"));
        config.putAll(overrides);
        vertx = Vertx.vertx();
        broker = new Broker(BrokerConfig.from(config), GroupConfig.from(config), TransactionConfig.from(config), vertx, registry = new SimpleMeterRegistry(), Time.SYSTEM);
        if (scramCredentials != null) broker.scramCredentials(scramCredentials);
        broker.start();
    }

    public void restart() {
        close();
        start();
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The meters of the running broker (a fresh registry per start). */
    public SimpleMeterRegistry registry() {
        return registry;
    }

    public Broker broker() {
        return broker;
    }

    @Override
    public void close() {
        if (broker != null) broker.close();
        if (vertx != null) vertx.close().toCompletionStage().toCompletableFuture().join();
        broker = null;
        vertx = null;
    }
}
