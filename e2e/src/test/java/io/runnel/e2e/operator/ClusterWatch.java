package io.runnel.e2e.operator;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.Pause;

/**
 * Samples a Cluster once a second while the operator scales and rolls it, and keeps what must
 * never be seen: a partition of the watched topic with fewer in-sync replicas than its
 * min.insync.replicas, a broker pod going away while replicas are still assigned to it, more than
 * one broker of the StatefulSet not Ready at once; and how the Cluster's spec.replicas changed. Sampling can miss a state that lasts less than
 * a second; what it records did happen. Its own thread writes; readers take copies (synchronized).
 */
final class ClusterWatch implements AutoCloseable {
    private final KubernetesClient kube;
    private final String ns;
    private final String statefulSet;
    private final String topic;
    private final int minInsyncReplicas;
    private final Admin admin;
    private final Thread thread;
    private volatile boolean running = true;

    private final List<String> belowMinIsr = new ArrayList<>();
    private final List<String> removedWhileHolding = new ArrayList<>();
    private final Set<String> seenPods = new HashSet<>();
    private final List<Integer> replicasHistory = new ArrayList<>();
    private int maxNotReady;
    private int samples;

    ClusterWatch(KubernetesClient kube, String ns, String statefulSet, String bootstrap, String topic, int minInsyncReplicas) {
        this.kube = kube;
        this.ns = ns;
        this.statefulSet = statefulSet;
        this.topic = topic;
        this.minInsyncReplicas = minInsyncReplicas;
        this.admin = KafkaClients.admin(bootstrap);
        this.thread = new Thread(this::run, "cluster-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                sample();
            } catch (Exception e) {
                // A broker restarting can fail one sample; the next one looks again.
            }
            Pause.sleep(1000);
        }
    }

    private void sample() throws Exception {
        Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(10, TimeUnit.SECONDS);
        Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
        var sts = kube.apps().statefulSets().inNamespace(ns).withName(statefulSet).get();
        List<Pod> pods = kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", statefulSet).list().getItems();
        var cluster = CustomResources.cluster(kube, ns, statefulSet);
        synchronized (this) {
            samples++;
            TopicDescription watched = topics.get(topic);
            if (watched != null) {
                for (TopicPartitionInfo p : watched.partitions())
                    if (p.isr().size() < minInsyncReplicas)
                        belowMinIsr.add(java.time.Instant.now() + " " + topic + "-" + p.partition() + " ISR " + ids(p.isr()));
            }
            Set<Integer> holding = new HashSet<>();
            for (TopicDescription t : topics.values()) for (TopicPartitionInfo p : t.partitions()) holding.addAll(ids(p.replicas()));
            Set<String> present = new HashSet<>();
            for (Pod pod : pods) {
                String name = pod.getMetadata().getName();
                int ordinal = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
                present.add(name);
                seenPods.add(name);
                if (pod.getMetadata().getDeletionTimestamp() != null && sts != null && ordinal >= sts.getSpec().getReplicas()
                        && holding.contains(ordinal))
                    removedWhileHolding.add(java.time.Instant.now() + " " + name + " terminating while it holds replicas");
            }
            for (String name : seenPods) {
                int ordinal = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
                // A pod of the StatefulSet's size that is briefly absent is being restarted, not removed.
                if (!present.contains(name) && sts != null && ordinal >= sts.getSpec().getReplicas() && holding.contains(ordinal))
                    removedWhileHolding.add(java.time.Instant.now() + " " + name + " gone while replicas are assigned to it");
            }
            Object spec = cluster == null ? null : cluster.getAdditionalProperties().get("spec");
            if (spec instanceof Map<?, ?> m && m.get("replicas") instanceof Number n
                    && (replicasHistory.isEmpty() || replicasHistory.get(replicasHistory.size() - 1) != n.intValue()))
                replicasHistory.add(n.intValue());
            if (sts != null) {
                int notReady = 0;
                for (int i = 0; i < sts.getSpec().getReplicas(); i++) {
                    String name = statefulSet + "-" + i;
                    Pod pod = pods.stream().filter(p -> p.getMetadata().getName().equals(name)).findFirst().orElse(null);
                    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null || !ready(pod)) notReady++;
                }
                maxNotReady = Math.max(maxNotReady, notReady);
            }
        }
    }

    private static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    synchronized List<String> belowMinIsr() {
        return List.copyOf(belowMinIsr);
    }

    synchronized List<String> removedWhileHolding() {
        return List.copyOf(removedWhileHolding);
    }

    /** The most brokers of the StatefulSet seen not Ready at once since the last reset. */
    synchronized int maxNotReady() {
        return maxNotReady;
    }

    synchronized void resetNotReady() {
        maxNotReady = 0;
    }

    /** The Cluster's spec.replicas as it changed, from the first sample on (consecutive repeats dropped). */
    synchronized List<Integer> replicasHistory() {
        return List.copyOf(replicasHistory);
    }

    synchronized int samples() {
        return samples;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        admin.close();
    }
}
