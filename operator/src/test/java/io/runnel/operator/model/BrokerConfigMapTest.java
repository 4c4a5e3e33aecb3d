package io.runnel.operator.model;

import static io.runnel.operator.model.ClusterFixtures.cluster;
import static io.runnel.operator.model.ClusterFixtures.names;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.runnel.operator.api.Cluster;

/** The brokers' shared configuration and the identity it pins. */
class BrokerConfigMapTest {

    @Test
    void staticUserConfigBecomesBrokerEnvironmentBesideTheIdentityAndDynamicConfigStaysOut() {
        Cluster c = cluster("events", 5, Map.of("log.retention.ms", "3600000", "offsets.topic.replication.factor", "2"));
        BrokerIdentity identity = BrokerIdentity.fresh(5);
        ConfigMap cm = BrokerConfigMap.build(c, identity, names(c));
        assertThat(cm.getData())
                .doesNotContainKey("RUNNEL_LOG_RETENTION_MS")
                .containsEntry("RUNNEL_OFFSETS_TOPIC_REPLICATION_FACTOR", "2")
                .containsEntry("RUNNEL_CLUSTER_ID", identity.clusterId())
                .containsEntry("RUNNEL_CONTROLLER_QUORUM_VOTERS", "0@events-0.events-brokers.prod.svc.cluster.local:9093,"
                        + "1@events-1.events-brokers.prod.svc.cluster.local:9093,2@events-2.events-brokers.prod.svc.cluster.local:9093");
    }

    @Test
    void theIdentityReadBackFromTheConfigMapSurvivesAScale() {
        Cluster c = cluster("events", 1, Map.of());
        BrokerIdentity first = BrokerIdentity.fresh(1);
        ConfigMap written = BrokerConfigMap.build(c, first, names(c));
        c.getSpec().replicas = 5;
        BrokerIdentity read = BrokerConfigMap.identity(written).orElseThrow();
        assertThat(read).isEqualTo(first);
        assertThat(read.controllerCount()).isEqualTo(1);
        // A quorum of one keeps __consumer_offsets at one replica, and scaling does not change the hash (no roll).
        ConfigMap after = BrokerConfigMap.build(c, read, names(c));
        assertThat(after.getData()).containsEntry("RUNNEL_OFFSETS_TOPIC_REPLICATION_FACTOR", "1");
        assertThat(BrokerConfigMap.hash(after.getData())).isEqualTo(BrokerConfigMap.hash(written.getData()));
        assertThat(BrokerConfigMap.identity(null)).isEmpty();
    }

    @Test
    void aChangedSettingChangesTheHashThatRollsTheBrokers() {
        Cluster c = cluster("events", 3, Map.of("num.partitions", "3"));
        BrokerIdentity identity = BrokerIdentity.fresh(3);
        String before = BrokerConfigMap.hash(BrokerConfigMap.data(c, identity, names(c)));
        c.getSpec().config.put("num.partitions", "6");
        assertThat(BrokerConfigMap.hash(BrokerConfigMap.data(c, identity, names(c)))).isNotEqualTo(before);
    }

    @Test
    void aChangedDynamicSettingLeavesTheHashAndSoTheBrokersAlone() {
        Cluster c = cluster("events", 3, Map.of("log.retention.ms", "3600000"));
        BrokerIdentity identity = BrokerIdentity.fresh(3);
        String before = BrokerConfigMap.hash(BrokerConfigMap.data(c, identity, names(c)));
        c.getSpec().config.put("log.retention.ms", "7200000");
        c.getSpec().config.put("min.insync.replicas", "2");
        assertThat(BrokerConfigMap.hash(BrokerConfigMap.data(c, identity, names(c)))).isEqualTo(before);
    }

    @Test
    void keysTheOperatorOwnsAndNonKafkaKeysAreRefusedByName() {
        assertThat(BrokerConfigMap.validate(Map.of("node.id", "3", "Log Retention", "1", "log.retention.ms", "5")))
                .containsExactly("config key 'Log Retention' is not a Kafka config key",
                        "config key 'node.id' is set by the operator and cannot be given");
    }

    @Test
    void freshIdentitiesLookLikeKafkaClusterIdsAndCapTheQuorumAtThree() {
        BrokerIdentity a = BrokerIdentity.fresh(7);
        assertThat(a.clusterId()).hasSize(22).matches("[A-Za-z0-9_-]+");
        assertThat(a.controllerCount()).isEqualTo(3);
        assertThat(BrokerIdentity.fresh(2).controllerCount()).isEqualTo(2);
        assertThat(a.clusterId()).isNotEqualTo(BrokerIdentity.fresh(7).clusterId());
    }
}
