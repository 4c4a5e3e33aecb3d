package io.runnel.operator.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
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
import io.runnel.operator.api.AutoscalingSpec;
import io.runnel.operator.api.AutoscalingStatus;
import io.runnel.operator.api.ClusterStatus;
import io.runnel.operator.api.ProgressStatus;
import io.runnel.operator.model.AutoscalePlan;
import io.runnel.operator.model.BrokerAccess;
import io.runnel.operator.model.BrokerConfigMap;
import io.runnel.operator.model.BrokerDisruptionBudget;
import io.runnel.operator.model.BrokerIdentity;
import io.runnel.operator.model.BrokerServices;
import io.runnel.operator.model.BrokerStatefulSet;
import io.runnel.operator.model.ClusterCertificates;
import io.runnel.operator.model.ClusterHealth;
import io.runnel.operator.model.ClusterNames;
import io.runnel.operator.model.ClusterView;
import io.runnel.operator.model.DynamicBrokerConfigs;
import io.runnel.operator.model.RollPlan;
import io.runnel.operator.model.ScalePlan;
import io.runnel.operator.model.Conditions;
import io.runnel.operator.model.Listeners;
import io.runnel.operator.resource.BrokerLoad;
import io.runnel.operator.resource.ClusterAdmin;
import io.runnel.operator.resource.ClusterGauges;
import io.runnel.operator.resource.KafkaAdmins;
import io.runnel.operator.resource.KubernetesEvents;
import io.runnel.operator.resource.OwnedResources;
import io.runnel.operator.resource.StatusPatches;

/**
 * Turns a Cluster into its brokers. One straight chain per pass:
 * <ol>
 * <li>check the spec; a spec that cannot be applied changes nothing and says why in status;
 * <li>identity: read the cluster id and quorum from the ConfigMap, or make them on first creation;
 * <li>certificates: the cluster and clients CAs and every broker's certificate, created or renewed
 *     ({@link ClusterCertificates}); new broker certificates go on the pod template and so roll the brokers;
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

    @Inject
    ClusterAdmin clusterAdmin;

    @Inject
    KafkaAdmins kafkaAdmins;

    @Inject
    BrokerLoad brokerLoad;

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
        problems.addAll(AutoscalePlan.validate(cluster.getSpec().autoscaling));
        problems.addAll(ClusterCertificates.validate(cluster.getSpec().certificates));
        problems.addAll(BrokerConfigMap.validateAuthorization(cluster));
        if (!problems.isEmpty()) return refuse(client, cluster, problems);

        ConfigMap existingConfig = client.configMaps().inNamespace(names.namespace()).withName(names.configMap()).get();
        BrokerIdentity identity = BrokerConfigMap.identity(existingConfig).orElseGet(() -> BrokerIdentity.fresh(cluster.getSpec().replicas));

        ConfigMap config = BrokerConfigMap.build(cluster, identity, names);
        apply(client, cluster, config);
        StatefulSet existing = client.apps().statefulSets().inNamespace(names.namespace()).withName(names.statefulSet()).get();
        long certificatesGeneration = certificates(client, cluster, names, existing);
        apply(client, cluster, BrokerAccess.serviceAccount(cluster, names));
        if (cluster.getSpec().rack != null) apply(client, cluster, BrokerAccess.rackBinding(names));
        else deleteRackBinding(client, names);
        apply(client, cluster, BrokerServices.headless(cluster, names));
        apply(client, cluster, BrokerServices.bootstrap(cluster, names));

        // One look at the brokers feeds every decision of this pass; none is taken blind.
        Integer stsReplicas = existing == null ? null : existing.getSpec().getReplicas();
        int desired = cluster.getSpec().replicas;
        // The operator's own address: the mTLS listener with its certificate when there is one (status.bootstrap stays the first listener's).
        String bootstrap = kafkaAdmins.bootstrap(client, cluster, names);
        ClusterView view = null;
        String unreachable = existing == null ? "the brokers are being created" : null;
        if (existing != null) {
            try {
                Set<Integer> leaving = new TreeSet<>();
                for (int id = desired; id < (stsReplicas == null ? 0 : stsReplicas); id++) leaving.add(id);
                view = clusterAdmin.view(bootstrap, leaving);
            } catch (Exception e) {
                unreachable = why(e);
                LOG.debugf("Cluster %s/%s: brokers not reachable at %s: %s", names.namespace(), names.cluster(), bootstrap, unreachable);
            }
        }
        Map<String, Pod> pods = client.pods().inNamespace(names.namespace()).withLabels(names.selectorLabels()).list().getItems().stream()
                .collect(Collectors.toMap(p -> p.getMetadata().getName(), Function.identity()));
        Instant now = Instant.now();
        AutoscalingStatus autoscaling = null;
        if (cluster.getSpec().autoscaling != null) {
            autoscaling = autoscale(client, cluster, names, existing, view, identity.controllerCount(), pods, now);
            desired = cluster.getSpec().replicas;
        } else {
            brokerLoad.forget(names.namespace() + "/" + names.cluster());
        }
        ScalePlan.Decision scale = ScalePlan.decide(desired, stsReplicas, identity.controllerCount(), view, unreachable);

        OwnedResources.Applied<StatefulSet> applied = apply(client, cluster,
                BrokerStatefulSet.build(cluster, names, BrokerConfigMap.hash(config.getData()), defaultBrokerVersion, scale.statefulSetReplicas(),
                        certificatesGeneration),
                existing);
        StatefulSet previous = applied.before();
        if (previous != null && previous.getSpec().getReplicas() != scale.statefulSetReplicas())
            KubernetesEvents.normal(client, cluster, "Scaling",
                    "StatefulSet " + names.statefulSet() + " from " + previous.getSpec().getReplicas() + " to " + scale.statefulSetReplicas() + " brokers");
        apply(client, cluster, BrokerDisruptionBudget.build(cluster, names, supportsPolicyV1(client)));
        if (view != null) applyDynamicConfigs(client, cluster, bootstrap, view, scale.step());

        StatefulSet statefulSet = applied.stored();
        RollPlan.Decision roll = RollPlan.decide(RollPlan.BrokerPod.of(pods.values(), names), scale.statefulSetReplicas(),
                statefulSet.getStatus() == null ? null : statefulSet.getStatus().getUpdateRevision(), identity.controllerCount(), view,
                Duration.ofSeconds(cluster.getSpec().rollout.settleSeconds), now);
        ProgressStatus rollout = act(client, cluster, names, roll);
        ProgressStatus rebalance = act(client, cluster, bootstrap, view, scale.step(), roll);
        deleteClaimsOfRemovedBrokers(client, cluster, names, scale.statefulSetReplicas(), pods);

        ClusterStatus status = ClusterHealth.status(cluster, names, identity, statefulSet, pods, now, rebalance, rollout);
        status.autoscaling = autoscaling;
        reportTransitions(client, cluster, status);
        gauges.record(names.namespace(), names.cluster(), status, cluster.getSpec().replicas);
        LOG.infof("Cluster %s/%s reconciled: %d/%d brokers ready, %s", names.namespace(), names.cluster(), status.readyReplicas,
                cluster.getSpec().replicas, Conditions.find(status.conditions, Conditions.RECONCILING).map(c -> c.getMessage()).orElse(""));
        // The StatefulSet informer wakes us on every change; the periodic pass catches what it cannot
        // see (a pod that stops being ready without the StatefulSet noticing yet, partitions catching up).
        boolean busy = Conditions.isTrue(status.conditions, Conditions.RECONCILING);
        Duration next = busy ? BUSY_RESYNC : cluster.getSpec().autoscaling != null ? AUTOSCALING_RESYNC : IDLE_RESYNC;
        return UpdateControl.patchStatus(StatusPatches.statusOnly(cluster, new Cluster(), status)).rescheduleAfter(next);
    }

    /**
     * Creates or renews the CAs and the brokers' certificates and returns the generation the brokers
     * must run with. A forced renewal's annotation is removed only after the new certificates are
     * stored: an operator killed in between renews once more, which is harmless.
     */
    private static long certificates(KubernetesClient client, Cluster cluster, ClusterNames names, StatefulSet existing) {
        var secrets = client.secrets().inNamespace(names.namespace());
        var stored = new ClusterCertificates.Existing(secrets.withName(names.clusterCaSecret()).get(), secrets.withName(names.clusterCaCertSecret()).get(),
                secrets.withName(names.clientsCaSecret()).get(), secrets.withName(names.clientsCaCertSecret()).get(),
                secrets.withName(names.brokerCertsSecret()).get(), secrets.withName(names.operatorCertsSecret()).get());
        int brokers = Math.max(cluster.getSpec().replicas, existing == null ? 0 : existing.getSpec().getReplicas());
        ClusterCertificates.ForceRenew force = ClusterCertificates.forceRenew(cluster);
        ClusterCertificates.Plan plan = ClusterCertificates.plan(cluster, names, stored, brokers, force, Instant.now());
        for (var secret : plan.secrets()) apply(client, cluster, secret);
        for (String renewal : plan.renewed()) {
            KubernetesEvents.normal(client, cluster, "CertificatesRenewed", renewal);
            LOG.infof("Cluster %s/%s: %s", names.namespace(), names.cluster(), renewal);
        }
        if (force != ClusterCertificates.ForceRenew.NONE) {
            client.resources(Cluster.class).inNamespace(names.namespace()).withName(names.cluster()).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"annotations\":{\"" + ClusterCertificates.FORCE_RENEW_ANNOTATION + "\":null}}}");
        }
        return plan.generation();
    }

    private static final Duration BUSY_RESYNC = Duration.ofSeconds(5);
    private static final Duration IDLE_RESYNC = Duration.ofSeconds(60);
    /** How often the autoscaler looks at the load of an otherwise idle cluster. */
    private static final Duration AUTOSCALING_RESYNC = Duration.ofSeconds(15);

    /**
     * With spec.autoscaling: measures the load, decides the size and, when it changes, sets
     * spec.replicas as an HPA would (the scaling that follows moves the data). The last scale time
     * lives in status, as an HPA's does: it is what the cooldowns are measured from.
     */
    private AutoscalingStatus autoscale(KubernetesClient client, Cluster cluster, ClusterNames names, StatefulSet existing, ClusterView view,
                                        int controllerCount, Map<String, Pod> pods, Instant now) {
        AutoscalingSpec spec = cluster.getSpec().autoscaling;
        AutoscalingStatus before = cluster.getStatus() == null ? null : cluster.getStatus().autoscaling;
        Map<String, String> annotations = cluster.getMetadata().getAnnotations();
        Instant lastScale = AutoscalePlan.lastScale(annotations == null ? null : annotations.get(AutoscalePlan.LAST_SCALE_ANNOTATION),
                before == null ? null : before.lastScaleTime);
        Double load;
        double perBroker;
        if (spec.target.bytesInPerSecond != null) {
            Map<String, String> endpoints = new TreeMap<>();
            for (Pod p : pods.values())
                if (p.getStatus() != null && p.getStatus().getPodIP() != null && p.getMetadata().getDeletionTimestamp() == null)
                    endpoints.put(p.getMetadata().getUid(), "http://" + p.getStatus().getPodIP() + ":" + ClusterNames.HTTP_PORT + "/q/metrics");
            load = brokerLoad.bytesInPerSecond(names.namespace() + "/" + names.cluster(), endpoints, now);
            perBroker = spec.target.bytesInPerSecond;
        } else {
            load = view == null ? null : (double) view.partitions().values().stream().mapToInt(p -> p.replicas().size()).sum();
            perBroker = spec.target.partitionReplicas;
        }
        int floor = view == null ? controllerCount : Math.max(controllerCount, view.maxReplicationFactor());
        AutoscalePlan.Decision d = AutoscalePlan.decide(spec, cluster.getSpec().replicas, load, perBroker, floor,
                busy(cluster, existing, view), lastScale, now);
        AutoscalingStatus status = new AutoscalingStatus();
        status.load = load;
        status.desiredReplicas = d.replicas();
        status.message = d.reason();
        status.lastScaleTime = lastScale == null ? null : lastScale.toString();
        if (d.replicas() != cluster.getSpec().replicas) {
            client.resources(Cluster.class).inNamespace(names.namespace()).withName(names.cluster())
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"" + AutoscalePlan.LAST_SCALE_ANNOTATION + "\":\""
                            + now + "\"}},\"spec\":{\"replicas\":" + d.replicas() + "}}");
            KubernetesEvents.normal(client, cluster, "Autoscaled", "from " + cluster.getSpec().replicas + " to " + d.replicas() + " brokers: " + d.reason());
            LOG.infof("Cluster %s/%s autoscaled from %d to %d brokers: %s", names.namespace(), names.cluster(), cluster.getSpec().replicas,
                    d.replicas(), d.reason());
            cluster.getSpec().replicas = d.replicas();
            status.lastScaleTime = now.toString();
        }
        return status;
    }

    /** What keeps the autoscaler still: the StatefulSet not at its size or not all Ready and updated, partitions moving. */
    private static String busy(Cluster cluster, StatefulSet sts, ClusterView view) {
        if (sts == null) return "the brokers are being created";
        if (view == null) return "the brokers cannot be reached";
        int replicas = sts.getSpec().getReplicas();
        if (replicas != cluster.getSpec().replicas) return "scaling to " + cluster.getSpec().replicas + " brokers";
        var st = sts.getStatus();
        if (st == null || st.getReadyReplicas() == null || st.getReadyReplicas() < replicas) return "brokers not Ready";
        if (st.getUpdatedReplicas() == null || st.getUpdatedReplicas() < replicas) return "a roll";
        if (!view.reassigning().isEmpty()) return view.reassigning().size() + " partition(s) moving";
        return null;
    }

    /** Restarts the next broker of a roll (deleting its pod: the broker shuts down in a controlled way, the StatefulSet recreates it). */
    private static ProgressStatus act(KubernetesClient client, Cluster cluster, ClusterNames names, RollPlan.Decision roll) {
        return switch (roll) {
            case RollPlan.UpToDate u -> new ProgressStatus(ClusterHealth.IDLE, u.describe(), 0);
            case RollPlan.Wait w -> new ProgressStatus(ClusterHealth.WAITING, w.describe(), w.pending());
            case RollPlan.Restart r -> {
                KubernetesEvents.normal(client, cluster, "RestartingBroker", r.pod().name() + " for the new pod template (" + r.why() + ")");
                LOG.infof("Cluster %s/%s: %s", names.namespace(), names.cluster(), r.describe());
                client.pods().inNamespace(names.namespace()).withName(r.pod().name()).delete();
                yield new ProgressStatus(ClusterHealth.IN_PROGRESS, r.describe(), r.pending());
            }
        };
    }

    /** Partition moves and leader elections, while no roll is under way (a roll waits for moves, moves wait for a roll). */
    private ProgressStatus act(KubernetesClient client, Cluster cluster, String bootstrap, ClusterView view, ScalePlan.Step step,
                               RollPlan.Decision roll) {
        try {
            if (view != null && view.reassigning().isEmpty() && !view.throttledTopics().isEmpty()
                    && !(step instanceof ScalePlan.Reassign)) clusterAdmin.unthrottle(bootstrap, view.throttledTopics());
            boolean rolling = !(roll instanceof RollPlan.UpToDate);
            switch (step) {
                case ScalePlan.Idle i -> {
                    return new ProgressStatus(ClusterHealth.IDLE, i.describe(), 0);
                }
                case ScalePlan.Refused r -> {
                    if (cluster.getStatus() == null || cluster.getStatus().rebalance == null || !r.reason().equals(cluster.getStatus().rebalance.message))
                        KubernetesEvents.warning(client, cluster, "ScaleRefused", r.reason());
                    return new ProgressStatus(ClusterHealth.REFUSED, r.reason(), 0);
                }
                case ScalePlan.Wait w -> {
                    return new ProgressStatus(ClusterHealth.WAITING, w.reason(), view == null ? null : view.reassigning().size());
                }
                case ScalePlan.Reassign r -> {
                    if (rolling) return new ProgressStatus(ClusterHealth.WAITING, "waiting for the roll to finish before: " + r.describe(), r.targets().size());
                    clusterAdmin.reassign(bootstrap, r.targets(), cluster.getSpec().rebalance.throttleBytesPerSecond, cluster.getSpec().config);
                    KubernetesEvents.normal(client, cluster, "Rebalancing", r.describe());
                    LOG.infof("Cluster %s/%s: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), r.describe());
                    return new ProgressStatus(ClusterHealth.IN_PROGRESS, r.describe(), r.targets().size());
                }
                case ScalePlan.ElectPreferred e -> {
                    if (rolling) return new ProgressStatus(ClusterHealth.IDLE, "leaders move back after the roll", 0);
                    clusterAdmin.electPreferred(bootstrap, e.partitions());
                    LOG.infof("Cluster %s/%s: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), e.describe());
                    return new ProgressStatus(ClusterHealth.IN_PROGRESS, e.describe(), e.partitions().size());
                }
            }
        } catch (Exception e) {
            LOG.warnf("Cluster %s/%s: %s failed: %s", cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), step.describe(), why(e));
            return new ProgressStatus(ClusterHealth.WAITING, "retrying after a failure: " + why(e), null);
        }
    }

    /** Cluster-wide dynamic defaults from spec.config, applied to the running brokers (no restart). */
    private void applyDynamicConfigs(KubernetesClient client, Cluster cluster, String bootstrap, ClusterView view, ScalePlan.Step step) {
        try {
            boolean throttling = !view.reassigning().isEmpty() || step instanceof ScalePlan.Reassign;
            var changes = DynamicBrokerConfigs.changes(cluster.getSpec().config, clusterAdmin.clusterDefaults(bootstrap), throttling);
            if (changes.isEmpty()) return;
            clusterAdmin.alterClusterDefaults(bootstrap, changes);
            KubernetesEvents.normal(client, cluster, "BrokerConfigsApplied", "without a restart: set " + changes.set().keySet()
                    + (changes.remove().isEmpty() ? "" : ", removed " + changes.remove()));
        } catch (Exception e) {
            LOG.warnf("Cluster %s/%s: applying dynamic broker configs failed (retried next pass): %s", cluster.getMetadata().getNamespace(),
                    cluster.getMetadata().getName(), why(e));
        }
    }

    /** What went wrong in an Admin call: the cause its future carried, else the exception itself. */
    private static String why(Exception e) {
        return e.getCause() != null ? e.getCause().toString() : e.toString();
    }

    /** With removedBrokerClaims=Delete, the claims of ordinals at or above the StatefulSet's size once their pods are gone. */
    private static void deleteClaimsOfRemovedBrokers(KubernetesClient client, Cluster cluster, ClusterNames names, int replicas, Map<String, Pod> pods) {
        if (cluster.getSpec().storage.removedBrokerClaims != io.runnel.operator.api.StorageSpec.ClaimPolicy.Delete) return;
        var claims = client.persistentVolumeClaims().inNamespace(names.namespace()).withLabels(names.selectorLabels()).list().getItems();
        String prefix = ClusterNames.DATA_VOLUME + "-";
        for (var claim : claims) {
            String name = claim.getMetadata().getName();
            if (!name.startsWith(prefix) || claim.getMetadata().getDeletionTimestamp() != null) continue;
            int ordinal = names.ordinalOf(name.substring(prefix.length()));
            if (ordinal < replicas || pods.containsKey(names.pod(ordinal))) continue;
            client.persistentVolumeClaims().inNamespace(names.namespace()).withName(name).delete();
            KubernetesEvents.normal(client, cluster, "ClaimDeleted", name + " of removed broker " + ordinal);
        }
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
        return apply(client, cluster, desired, client.resource(desired).get());
    }

    /** Applies {@code desired}, read just before as {@code before} (null if absent), and records an event when it changed. */
    private static <T extends HasMetadata> OwnedResources.Applied<T> apply(KubernetesClient client, Cluster cluster, T desired, T before) {
        OwnedResources.Applied<T> applied = OwnedResources.apply(client, desired, before);
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
