package io.runnel.broker.group;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.metadata.MetadataController;

/**
 * The real broker ({@link RunningBroker}) with group settings for fast tests: 4 offsets
 * partitions, no initial rebalance delay, session timeouts down to 500 ms; each test may override
 * any key. Restartable on the same data folder.
 */
final class GroupTestBroker implements AutoCloseable {
    static final Map<String, String> FAST_GROUPS = Map.of(
            "offsets.topic.num.partitions", "4",
            "group.initial.rebalance.delay.ms", "0",
            "group.min.session.timeout.ms", "500");

    private final RunningBroker broker;

    GroupTestBroker(Path dataDir, Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(FAST_GROUPS);
        settings.putAll(overrides);
        broker = new RunningBroker(dataDir, settings);
    }

    GroupTestBroker(Path dataDir) {
        this(dataDir, Map.of());
    }

    void restart() {
        broker.restart();
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    String host() {
        return bootstrapServers().substring(0, bootstrapServers().lastIndexOf(':'));
    }

    int port() {
        return Integer.parseInt(bootstrapServers().substring(bootstrapServers().lastIndexOf(':') + 1));
    }

    GroupCoordinator groups() {
        return broker.broker().groupCoordinator();
    }

    io.runnel.broker.RunningBroker running() {
        return broker;
    }

    MetadataController controller() {
        return broker.broker().controller();
    }

    @Override
    public void close() {
        broker.close();
    }
}
