package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The rack from a Kubernetes node's label: parsing the Node object, and what a broker outside a pod
 * is told. The call to a real API server is proven by the operator's e2e suite (OperatorIT).
 */
class NodeRackTest {

    @Test
    void theLabelIsReadFromTheNodeObjectsMetadata() {
        String node = """
                {"kind":"Node","apiVersion":"v1","metadata":{"name":"worker-1",
                 "labels":{"kubernetes.io/hostname":"worker-1","topology.kubernetes.io/zone":"eu-west-1b"}},
                 "status":{"conditions":[]}}""";
        assertThat(NodeRack.labelOf(node, "topology.kubernetes.io/zone")).contains("eu-west-1b");
        assertThat(NodeRack.labelOf(node, "topology.kubernetes.io/region")).isEmpty();
        assertThat(NodeRack.labelOf("{\"metadata\":{\"name\":\"bare\"}}", "topology.kubernetes.io/zone")).isEmpty();
    }

    @Test
    void outsideAPodTheBrokerRefusesToStartAndSaysWhatIsMissing() {
        assertThatThrownBy(() -> NodeRack.lookup("topology.kubernetes.io/zone", Map.of(), Path.of("/nonexistent")))
                .hasMessageContaining("needs NODE_NAME and KUBERNETES_SERVICE_HOST");
        assertThatThrownBy(() -> NodeRack.lookup("topology.kubernetes.io/zone",
                Map.of("NODE_NAME", "n1", "KUBERNETES_SERVICE_HOST", "127.0.0.1"), Path.of("/nonexistent")))
                .hasMessageContaining("reading node n1 for its rack label topology.kubernetes.io/zone");
    }

    @Test
    void anExplicitRackWinsOverTheNodeLabel() {
        BrokerConfig config = BrokerConfig.from(Map.of("broker.rack", "r1", "broker.rack.node.label", "topology.kubernetes.io/zone"));
        assertThat(config.rack()).isEqualTo("r1");
    }
}
