package io.runnel.broker.group;

import java.util.List;
import java.util.Map;

import org.apache.kafka.coordinator.group.api.assignor.ConsumerGroupPartitionAssignor;
import org.apache.kafka.coordinator.group.assignor.RangeAssignor;
import org.apache.kafka.coordinator.group.assignor.UniformAssignor;

/**
 * The server-side assignors of KIP-848 groups, by the names clients ask for
 * ({@code group.remote.assignor}): Kafka's own uniform and range assignors from
 * kafka-group-coordinator, so that a group gets the same partitions here as on Kafka. The assignors
 * are stateless; one instance of each serves every shard.
 */
final class ServerAssignors {
    static final List<String> NAMES = List.of(UniformAssignor.NAME, RangeAssignor.NAME);
    private static final Map<String, ConsumerGroupPartitionAssignor> BY_NAME =
            Map.of(UniformAssignor.NAME, new UniformAssignor(), RangeAssignor.NAME, new RangeAssignor());

    private ServerAssignors() {}

    static ConsumerGroupPartitionAssignor byName(String name) {
        ConsumerGroupPartitionAssignor assignor = BY_NAME.get(name);
        if (assignor == null) throw new IllegalArgumentException("unknown assignor " + name);
        return assignor;
    }
}
