package io.runnel.e2e.support;

import java.util.List;

/**
 * Where each node of a {@link RunnelCluster} lives on the network: the address its listeners bind
 * and advertise, and what its launch command is prefixed with to put the process there.
 *
 * <p>Contract: every address is reachable from the test's own process (so the test, Kafka's tools
 * and the other nodes connect to it directly), and stays the same for the cluster's life, since a
 * node's address is part of the quorum's voter set.
 */
public interface NodeNetwork {
    /** All nodes on the loopback interface of the test's own network namespace: the default. */
    NodeNetwork LOOPBACK = new NodeNetwork() {
        @Override
        public String host(int nodeId) {
            return "127.0.0.1";
        }

        @Override
        public List<String> launchPrefix(int nodeId) {
            return List.of();
        }

        @Override
        public String toString() {
            return "loopback";
        }
    };

    /** The IPv4 address node {@code nodeId} binds its client, controller and HTTP listeners to. */
    String host(int nodeId);

    /** Words put before node {@code nodeId}'s {@code java} command (e.g. {@code ip netns exec <ns>}); it must exec java in its own pid. */
    List<String> launchPrefix(int nodeId);
}
