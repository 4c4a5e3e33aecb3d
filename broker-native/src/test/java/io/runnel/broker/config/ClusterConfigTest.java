package io.runnel.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** KRaft's cluster keys as a node reads them: what a valid node looks like and what each mistake is told. */
class ClusterConfigTest {
    private static final String VOTERS = "1@127.0.0.1:9093,2@127.0.0.2:9093,3@[::1]:9095";

    private static BrokerConfig config(Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(Map.of(
                "node.id", "2",
                "cluster.id", "MkU3OEVBNTcwNTJENDM2Qk",
                "listeners", "PLAINTEXT://127.0.0.2:9092,CONTROLLER://127.0.0.2:9093",
                "controller.quorum.voters", VOTERS));
        all.putAll(overrides);
        return BrokerConfig.from(all);
    }

    @Test
    void aCombinedNodeSeparatesItsControllerListenerFromItsClientListeners() {
        BrokerConfig config = config(Map.of());
        assertThat(config.cluster().isBroker()).isTrue();
        assertThat(config.cluster().isController()).isTrue();
        assertThat(config.cluster().voters()).containsOnlyKeys(1, 2, 3);
        assertThat(config.cluster().voters().get(3).getHostString()).isEqualTo("::1");
        assertThat(config.cluster().voters().get(3).getPort()).isEqualTo(9095);
        assertThat(config.clientListeners()).extracting(BrokerConfig.Listener::name).containsExactly("PLAINTEXT");
        assertThat(config.advertisedListeners()).extracting(BrokerConfig.Listener::name).containsExactly("PLAINTEXT");
        assertThat(config.controllerListener()).map(BrokerConfig.Listener::port).contains(9093);
        assertThat(config.asKafkaConfigs()).containsEntry("controller.quorum.voters", "1@127.0.0.1:9093,2@127.0.0.2:9093,3@::1:9095")
                .containsEntry("process.roles", "broker,controller");
    }

    @Test
    void theEmbeddedDefaultIsAQuorumOfOneWithoutAControllerListener() {
        BrokerConfig config = BrokerConfig.from(Map.of());
        assertThat(config.cluster().isSingleNode()).isTrue();
        assertThat(config.controllerListener()).isEmpty();
        assertThat(config.clientListeners()).hasSize(1);
    }

    @Test
    void eachMistakeNamesTheKeyAtFault() {
        assertThatThrownBy(() -> config(Map.of("controller.quorum.voters", "1@host")))
                .hasMessageContaining("controller.quorum.voters entry '1@host' is not id@host:port");
        assertThatThrownBy(() -> config(Map.of("controller.quorum.voters", "1@a:1,1@b:2"))).hasMessageContaining("names node 1 twice");
        assertThatThrownBy(() -> config(Map.of("node.id", "4", "process.roles", "broker,controller")))
                .hasMessageContaining("not in runnel.controller.quorum.voters");
        assertThatThrownBy(() -> config(Map.of("listeners", "PLAINTEXT://127.0.0.2:9092")))
                .hasMessageContaining("a controller needs a listener named in runnel.controller.listener.names");
        assertThatThrownBy(() -> config(Map.of("listeners", "CONTROLLER://127.0.0.2:9093"))).hasMessageContaining("has no client listener");
        assertThatThrownBy(() -> config(Map.of("cluster.id", ""))).hasMessageContaining("needs runnel.cluster.id");
        assertThatThrownBy(() -> config(Map.of("process.roles", "controller"))).hasMessageContaining("not supported yet");
        assertThatThrownBy(() -> config(Map.of("process.roles", "broker,zookeeper"))).hasMessageContaining("runnel.process.roles must be");
        assertThatThrownBy(() -> config(Map.of("process.roles", "broker"))).hasMessageContaining("has no controller");
        assertThatThrownBy(() -> BrokerConfig.from(Map.of("process.roles", "broker"))).hasMessageContaining("needs runnel.controller.quorum.voters");
    }

    @Test
    void aBrokerOnlyNodeJoinsTheVotersItIsNotOneOf() {
        BrokerConfig config = config(Map.of("node.id", "7", "process.roles", "broker", "listeners", "PLAINTEXT://127.0.0.7:9092"));
        assertThat(config.cluster().isController()).isFalse();
        assertThat(config.controllerListener()).isEmpty();
    }

    @Test
    void withoutProcessRolesAVoterIsACombinedNodeAndAnyOtherNodeABroker() {
        assertThat(config(Map.of()).cluster().processRoles()).containsExactlyInAnyOrder("broker", "controller");
        BrokerConfig fourth = config(Map.of("node.id", "4", "listeners", "PLAINTEXT://127.0.0.4:9092,CONTROLLER://127.0.0.4:9093"));
        assertThat(fourth.cluster().processRoles()).containsExactly("broker");
        assertThat(BrokerConfig.from(Map.of()).cluster().processRoles()).containsExactlyInAnyOrder("broker", "controller");
    }

    @Test
    void fromHostnameTakesTheStatefulSetOrdinalOfThePodName() {
        assertThat(BrokerConfig.parseNodeId("from-hostname", () -> "events-2")).isEqualTo(2);
        assertThat(BrokerConfig.parseNodeId("from-hostname", () -> "my-cluster-12.my-cluster-brokers.ns.svc.cluster.local")).isEqualTo(12);
        assertThat(BrokerConfig.parseNodeId(" 5 ", () -> "ignored-1")).isEqualTo(5);
        assertThatThrownBy(() -> BrokerConfig.parseNodeId("from-hostname", () -> "laptop"))
                .hasMessageContaining("host name 'laptop' does not end in -<number>");
    }
}
