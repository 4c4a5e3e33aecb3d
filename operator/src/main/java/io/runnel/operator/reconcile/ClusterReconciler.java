package io.runnel.operator.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ClusterStatus;
import io.runnel.operator.model.BrokerAccess;
import io.runnel.operator.model.BrokerConfigMap;
import io.runnel.operator.model.BrokerDisruptionBudget;
import io.runnel.operator.model.BrokerIdentity;
import io.runnel.operator.model.BrokerServices;
import io.runnel.operator.model.BrokerStatefulSet;
import io.runnel.operator.model.ClusterHealth;
import io.runnel.operator.model.ClusterNames;
import io.runnel.operator.model.Conditions;
import io.runnel.operator.model.Listeners;
import io.runnel.operator.resource.ClusterGauges;
import io.runnel.operator.resource.KubernetesEvents;
import io.runnel.operator.resource.OwnedResources;
import io.runnel.operator.resource.StatusPatches;

/**
 * Turns a Cluster into its brokers. One straight chain per pass:
 * <ol>
 * <li>check the spec; a spec that cannot be applied changes nothing and says why in status;
 * <li>identity: read the cluster id and quorum from the ConfigMap, or make them on first creation;
 * <li>apply the ConfigMap, the brokers' ServiceAccount (and with rack awareness its binding to read
 *     nodes), the headless and bootstrap Services, the StatefulSet, the PodDisruptionBudget;
 * <li>status from the StatefulSet and pods: Ready, Reconciling, Degraded, the brokers, the bootstrap address.
 * </ol>
 * Every step is an idempotent server-side apply, so a pass interrupted anywhere (operator killed)
 * is finished by the next, and a pass over an unchanged spec writes nothing. JOSDK runs one pass
 * per Cluster at a time; passes for different Clusters run in parallel and share no state.
 */
@ControllerConfiguration(name = "cluster")
public class ClusterReconciler implements Reconciler<Cluster>, Cleaner<Cluster> {
    private static final Logger LOG = Logger.getLogger(ClusterReconciler.class);

    @ConfigProperty(name = "runnel.operator.cluster-domain", defaultValue = "cluster.local")
    String clusterDomain;

    @ConfigProperty(name = "runnel.operator.broker-version", defaultValue = "0.1.0")
    String defaultBrokerVersion;

    @Inject
    ClusterGauges gauges;

    @Override
    public List<EventSource<?, Cluster>> prepareEventSources(EventSourceContext<Cluster> context) {
        // The StatefulSet's status (ready brokers, rollout) drives the Cluster's; owner references map it back.
        var statefulSets = new InformerEventSource<>(InformerEventSourceConfiguration.from(StatefulSet.class, Cluster.class)
                .withLabelSelector("app.kubernetes.io/managed-by=runnel-operator").build(), context);
        return List.of(statefulSets);
    }

    @Override
    public UpdateControl<Cluster> reconcile(Cluster cluster, Context<Cluster> context) {
        KubernetesClient client = context.getClient();
        ClusterNames names = ClusterNames.of(cluster, clusterDomain);

        if (cluster.getSpec() == null) return refuse(client, cluster, List.of("spec is missing"));
        List<String> problems = new ArrayList<>(Listeners.validate(cluster));
        problems.addAll(BrokerConfigMap.validate(cluster.getSpec().config));
        if (!problems.isEmpty()) return refuse(client, cluster, problems);

        ConfigMap existingConfig = client.configMaps().inNamespace(names.namespace()).withName(names.configMap()).get();
        BrokerIdentity identity = BrokerConfigMap.identity(existingConfig).orElseGet(() -> BrokerIdentity.fresh(cluster.getSpec().replicas));

        ConfigMap config = BrokerConfigMap.build(cluster, identity, names);
        apply(client, cluster, config);
        apply(client, cluster, BrokerAccess.serviceAccount(cluster, names));
        if (cluster.getSpec().rack != null) apply(client, cluster, BrokerAccess.rackBinding(names));
        else deleteRackBinding(client, names);
        apply(client, cluster, BrokerServices.headless(cluster, names));
        apply(client, cluster, BrokerServices.bootstrap(cluster, names));
        OwnedResources.Applied<StatefulSet> applied =
                apply(client, cluster, BrokerStatefulSet.build(cluster, names, BrokerConfigMap.hash(config.getData()), defaultBrokerVersion));
        StatefulSet previous = applied.before();
        if (previous != null && previous.getSpec().getReplicas() != cluster.getSpec().replicas)
            KubernetesEvents.normal(client, cluster, "Scaling",
                    "StatefulSet " + names.statefulSet() + " from " + previous.getSpec().getReplicas() + " to " + cluster.getSpec().replicas + " brokers");
        apply(client, cluster, BrokerDisruptionBudget.build(cluster, names, supportsPolicyV1(client)));

        StatefulSet statefulSet = applied.stored();
        Map<String, Pod> pods = client.pods().inNamespace(names.namespace()).withLabels(names.selectorLabels()).list().getItems().stream()
                .collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity()));
        ClusterStatus status = ClusterHealth.status(cluster, names, identity, statefulSet, pods, Instant.now());
        reportTransitions(client, cluster, status);
        gauges.record(names.namespace(), names.cluster(), status, cluster.getSpec().replicas);
        LOG.infof("Cluster %s/%s reconciled: %d/%d brokers ready, %s", names.namespace(), names.cluster(), status.readyReplicas,
                cluster.getSpec().replicas, Conditions.find(status.conditions, Conditions.RECONCILING).map(c -> c.getMessage()).orElse(""));
        // The StatefulSet informer wakes us on every change; the periodic pass catches what it cannot
        // see (a pod that stops being ready without the StatefulSet noticing yet).
        return UpdateControl.patchStatus(StatusPatches.statusOnly(cluster, new Cluster(), status)).rescheduleAfter(Duration.ofSeconds(60));
    }

    /** The one thing garbage collection cannot remove: the cluster-scoped rack binding. */
    @Override
    public DeleteControl cleanup(Cluster cluster, Context<Cluster> context) {
        deleteRackBinding(context.getClient(), ClusterNames.of(cluster, clusterDomain));
        gauges.remove(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName());
        return DeleteControl.defaultDelete();
    }

    private static void deleteRackBinding(KubernetesClient client, ClusterNames names) {
        var binding = client.rbac().clusterRoleBindings().withName(names.rackRoleBinding());
        if (binding.get() != null) binding.delete();
    }

    @Override
    public ErrorStatusUpdateControl<Cluster> updateErrorStatus(Cluster cluster, Context<Cluster> context, Exception e) {
        LOG.warnf(e, "reconcile of Cluster %s/%s failed; retrying", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName());
        ClusterStatus status = cluster.getStatus() == null ? new ClusterStatus() : cluster.getStatus();
        status.conditions = Conditions.with(status.conditions, Conditions.RECONCILING, true, "ReconcileFailed",
                String.valueOf(e.getMessage()), cluster.getMetadata().getGeneration(), Instant.now());
        return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(cluster, new Cluster(), status));
    }

    private UpdateControl<Cluster> refuse(KubernetesClient client, Cluster cluster, List<String> problems) {
        boolean wasRefused = Conditions.find(cluster.getStatus() == null ? null : cluster.getStatus().conditions, Conditions.READY)
                .map(c -> "InvalidSpec".equals(c.getReason())).orElse(false);
        if (!wasRefused) KubernetesEvents.warning(client, cluster, "InvalidSpec", String.join("; ", problems));
        ClusterStatus status = ClusterHealth.invalid(cluster, problems, Instant.now());
        if (cluster.getSpec() != null) gauges.record(cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), status, cluster.getSpec().replicas);
        // Nothing to retry: the next edit of the spec triggers the next pass.
        return UpdateControl.patchStatus(StatusPatches.statusOnly(cluster, new Cluster(), status));
    }

    private static <T extends HasMetadata> OwnedResources.Applied<T> apply(KubernetesClient client, Cluster cluster, T desired) {
        OwnedResources.Applied<T> applied = OwnedResources.apply(client, desired);
        switch (applied.outcome()) {
            case CREATED -> KubernetesEvents.normal(client, cluster, "Created", desired.getKind() + " " + desired.getMetadata().getName());
            case UPDATED -> KubernetesEvents.normal(client, cluster, "Updated", desired.getKind() + " " + desired.getMetadata().getName());
            case UNCHANGED -> { }
        }
        return applied;
    }

    private static void reportTransitions(KubernetesClient client, Cluster cluster, ClusterStatus next) {
        List<io.fabric8.kubernetes.api.model.Condition> before = cluster.getStatus() == null ? null : cluster.getStatus().conditions;
        boolean wasReady = Conditions.isTrue(before, Conditions.READY);
        boolean ready = Conditions.isTrue(next.conditions, Conditions.READY);
        if (ready && !wasReady) KubernetesEvents.normal(client, cluster, "Ready", next.readyReplicas + " brokers ready at " + next.bootstrap);
        if (!ready && wasReady) {
            String message = Conditions.find(next.conditions, Conditions.READY).map(io.fabric8.kubernetes.api.model.Condition::getMessage).orElse("");
            KubernetesEvents.warning(client, cluster, "NotReady", message);
        }
    }

    /** policy/v1 PodDisruptionBudgets exist from Kubernetes 1.21; older servers only have policy/v1beta1. */
    private static boolean supportsPolicyV1(KubernetesClient client) {
        return client.supports(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class);
    }
}
