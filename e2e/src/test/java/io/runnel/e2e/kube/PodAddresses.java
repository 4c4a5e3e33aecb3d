package io.runnel.e2e.kube;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Pod networking: each pod gets its own address in {@code 10.244.0.0/16} (the usual pod range),
 * added to {@code lo} as a /32 so the pod's processes can bind it and everyone on the machine can
 * reach it. Addresses are stable per namespace/name for the agent's life, so a StatefulSet pod
 * that is deleted and recreated comes back on the same IP (peers that cached it still reach it);
 * they are handed out from 10.244.0.1 upwards, skipping .0 and .255.
 *
 * <p>Why not 127.x: the API server rejects loopback addresses in Endpoints
 * ({@code may not be in the loopback range}), so Services would never get endpoints. Agent thread
 * only; the addresses leave lo with the agent ({@link LoopbackAddresses#removeAll}).
 */
final class PodAddresses {
    private static final int FIRST = 1;
    private static final int LAST = (1 << 16) - 2;

    private final LoopbackAddresses loopback;
    private final Map<String, String> byPod = new HashMap<>();
    private int next = FIRST;

    PodAddresses(LoopbackAddresses loopback) {
        this.loopback = loopback;
    }

    /** The pod's address, allocated and added to lo on first use. */
    String addressOf(String namespace, String name) {
        return byPod.computeIfAbsent(namespace + "/" + name, key -> allocate());
    }

    Optional<String> existing(String namespace, String name) {
        return Optional.ofNullable(byPod.get(namespace + "/" + name));
    }

    private String allocate() {
        while ((next & 0xff) == 0 || (next & 0xff) == 255) next++;
        if (next > LAST) throw new IllegalStateException("out of pod addresses in 10.244.0.0/16");
        int value = next++;
        String address = "10.244." + ((value >> 8) & 0xff) + "." + (value & 0xff);
        loopback.add(address);
        return address;
    }
}
