package io.runnel.e2e.observability;

import io.runnel.e2e.support.RunnelCluster;
import java.nio.file.Path;
import java.util.List;

/**
 * The dashboards ({@link DashboardScenario}) against a 3-broker cluster, every topic with three
 * replicas: the same queries must answer with one series per broker where they are per broker,
 * count three brokers up, and show the lag the group's coordinator (whichever broker it is)
 * reports, as {@code kafka-consumer-groups} does.
 */
class DashboardsOnAClusterIT extends DashboardScenario {
    private RunnelCluster cluster;

    @Override
    String startBrokers() {
        cluster = RunnelCluster.builder("dashboards-cluster").nodes(3).config("group.initial.rebalance.delay.ms", "0").start();
        return cluster.bootstrap();
    }

    @Override
    List<String> scrapeTargets() {
        return cluster.nodeIds().stream().map(id -> "127.0.0.1:" + cluster.httpPort(id)).toList();
    }

    @Override
    String name(String base) {
        return base + "-" + Long.toHexString(System.nanoTime());
    }

    @Override
    short replicationFactor() {
        return 3;
    }

    @Override
    Path workDir() {
        return cluster.dir();
    }

    @Override
    void stopBrokers() {
        if (cluster != null) cluster.close();
    }
}
