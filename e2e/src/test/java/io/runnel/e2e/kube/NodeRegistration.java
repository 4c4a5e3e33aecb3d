package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * The test node's Node object: registered once with a large capacity (so the scheduler never
 * runs out of room), address 127.0.0.1 and a Ready condition, then kept fresh by a status
 * heartbeat (every {@link #HEARTBEAT_PERIOD_SECONDS} s, well inside the node-lifecycle
 * controller's 40 s grace period) so the node is never marked NotReady, tainted or evicted.
 * Heartbeats go through the status subresource. Agent thread.
 */
final class NodeRegistration {
    static final int HEARTBEAT_PERIOD_SECONDS = 10;
    static final Map<String, Quantity> ALLOCATABLE = Map.of(
            "cpu", new Quantity("64"),
            "memory", new Quantity("256Gi"),
            "pods", new Quantity("110"),
            "ephemeral-storage", new Quantity("1Ti"));

    private final KubernetesClient client;
    private final String nodeName;
    private final Instant registeredAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    NodeRegistration(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    /** Creates the Node (or takes over one left by an earlier agent) and posts a fresh status. */
    void register() {
        Node existing = client.nodes().withName(nodeName).get();
        if (existing == null) client.nodes().resource(desired(Instant.now())).create();
        heartbeat();
    }

    void heartbeat() {
        client.nodes().resource(desired(Instant.now())).patchStatus();
    }

    /** The Node as the agent reports it at {@code now}: pure. */
    Node desired(Instant now) {
        String heartbeat = now.truncatedTo(ChronoUnit.SECONDS).toString();
        String since = registeredAt.toString();
        return new NodeBuilder()
                .withNewMetadata()
                    .withName(nodeName)
                    .addToLabels("kubernetes.io/hostname", nodeName)
                    .addToLabels("kubernetes.io/os", "linux")
                    .addToLabels("kubernetes.io/arch", "amd64")
                    .addToLabels("runnel.io/testbed-node", "true")
                .endMetadata()
                .withNewStatus()
                    .withCapacity(ALLOCATABLE)
                    .withAllocatable(ALLOCATABLE)
                    .withConditions(List.of(
                            condition("Ready", "True", "KubeletReady", "runnel test node agent is posting ready status", heartbeat, since),
                            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "", heartbeat, since),
                            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "", heartbeat, since),
                            condition("PIDPressure", "False", "KubeletHasSufficientPID", "", heartbeat, since)))
                    .addNewAddress().withType("InternalIP").withAddress("127.0.0.1").endAddress()
                    .addNewAddress().withType("Hostname").withAddress(nodeName).endAddress()
                    .withNewNodeInfo()
                        .withKubeletVersion("v1.20.2").withKubeProxyVersion("v1.20.2")
                        .withOperatingSystem("linux").withArchitecture("amd64")
                        .withContainerRuntimeVersion("runnel-testbed://1").withOsImage("local processes")
                        .withKernelVersion(System.getProperty("os.version")).withMachineID("").withSystemUUID("").withBootID("")
                    .endNodeInfo()
                .endStatus()
                .build();
    }

    private static NodeCondition condition(String type, String status, String reason, String message, String heartbeat, String since) {
        return new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastHeartbeatTime(heartbeat).withLastTransitionTime(since).build();
    }
}
