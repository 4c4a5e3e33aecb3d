package io.runnel.operator.model;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * What a Cluster is fixed to when it is first created: its Kafka cluster id and its metadata
 * quorum (the first min(replicas, 3) brokers). Changing either would orphan the brokers' logs, so the
 * reconciler reads them back from the ConfigMap it wrote and never recomputes them. Immutable.
 */
public record BrokerIdentity(String clusterId, int controllerCount) {
    public static final int MAX_CONTROLLERS = 3;

    public BrokerIdentity {
        if (clusterId == null || clusterId.isBlank()) throw new IllegalArgumentException("cluster id is empty");
        if (controllerCount < 1) throw new IllegalArgumentException("a cluster needs at least one controller");
    }

    /** A new identity for a cluster created with {@code replicas} brokers. */
    public static BrokerIdentity fresh(int replicas) {
        UUID u = UUID.randomUUID();
        ByteBuffer b = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        return new BrokerIdentity(Base64.getUrlEncoder().withoutPadding().encodeToString(b.array()), Math.min(replicas, MAX_CONTROLLERS));
    }

    /** Kafka's static voter list: {@code 0@<broker-0 DNS name>:9093,...}. */
    public String voters(ClusterNames names) {
        return IntStream.range(0, controllerCount).mapToObj(i -> i + "@" + names.brokerHost(i) + ":" + ClusterNames.CONTROLLER_PORT)
                .collect(Collectors.joining(","));
    }

    /** Reads the identity back from the voter list the ConfigMap holds. */
    public static BrokerIdentity parse(String clusterId, String voters) {
        if (voters == null || voters.isBlank()) throw new IllegalArgumentException("no controller quorum voters recorded");
        return new BrokerIdentity(clusterId, voters.split(",").length);
    }

    public boolean isController(int ordinal) {
        return ordinal < controllerCount;
    }
}
