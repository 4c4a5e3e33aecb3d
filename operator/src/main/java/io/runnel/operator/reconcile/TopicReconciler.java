package io.runnel.operator.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.Topic;
import io.runnel.operator.api.TopicSpec;
import io.runnel.operator.api.TopicStatus;
import io.runnel.operator.model.ClusterNames;
import io.runnel.operator.model.Conditions;
import io.runnel.operator.model.TopicOwnership;
import io.runnel.operator.model.TopicPlan;
import io.runnel.operator.resource.KafkaAdmins;
import io.runnel.operator.resource.KubernetesEvents;
import io.runnel.operator.resource.StatusPatches;
import io.runnel.operator.resource.TopicAdmin;

/**
 * Makes a Kafka topic match its Topic resource through the Admin API:
 * <ol>
 * <li>refuse to act when an older Topic manages the same Kafka topic ({@link TopicOwnership});
 * <li>find the Cluster the Topic names (same namespace) and its bootstrap address;
 * <li>describe the topic on the brokers and plan ({@link TopicPlan}): create, add partitions, set
 *     and reset configs; refuse what Kafka cannot do;
 * <li>apply the plan and report what the brokers now hold, with any refusal as the Ready condition.
 * </ol>
 * A finalizer lets the topic be deleted with the resource (deletionPolicy Delete) or kept (Retain).
 * Errors from the brokers become a condition and a retry later, never a crash loop.
 */
@ControllerConfiguration(name = "topic")
public class TopicReconciler implements Reconciler<Topic>, Cleaner<Topic> {
    private static final Logger LOG = Logger.getLogger(TopicReconciler.class);
    private static final Duration RETRY = Duration.ofSeconds(20);
    private static final Duration RESYNC = Duration.ofMinutes(5);

    @Inject
    TopicAdmin admin;

    @Inject
    KafkaAdmins kafkaAdmins;

    @ConfigProperty(name = "runnel.operator.cluster-domain", defaultValue = "cluster.local")
    String clusterDomain;

    @Override
    public UpdateControl<Topic> reconcile(Topic topic, Context<Topic> context) throws Exception {
        KubernetesClient client = context.getClient();
        if (topic.getSpec() == null) return notReady(topic, "InvalidSpec", "spec is missing", RESYNC);
        String name = topic.topicName();
        Optional<String> bootstrap = bootstrapOf(client, topic);
        Optional<Topic> owner = managedByAnother(client, topic);
        if (owner.isPresent()) return notReady(topic, "TopicNameInUse", "Kafka topic " + name + " of cluster " + topic.getSpec().cluster
                + " is managed by Topic " + owner.get().getMetadata().getName(), RESYNC);
        if (bootstrap.isEmpty()) return notReady(topic, "ClusterNotFound", "no Cluster '" + topic.getSpec().cluster + "' in namespace "
                + topic.getMetadata().getNamespace() + " with a bootstrap address yet", RETRY);

        TopicPlan plan;
        Optional<TopicAdmin.Described> before;
        try {
            before = admin.describe(bootstrap.get(), name);
            plan = TopicPlan.of(topic.getSpec(), before.map(TopicAdmin.Described::actual).orElse(null));
            apply(client, topic, bootstrap.get(), name, plan);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String reason = cause instanceof TimeoutException ? "ClusterUnreachable" : cause.getClass().getSimpleName().replace("Exception", "");
            LOG.infof("Topic %s/%s: %s: %s", topic.getMetadata().getNamespace(), topic.getMetadata().getName(), reason, cause.getMessage());
            return notReady(topic, reason, String.valueOf(cause.getMessage()), RETRY);
        }

        // Read the brokers again only when the plan changed something on them.
        Optional<TopicAdmin.Described> after = plan.changesNothing() ? before : admin.describe(bootstrap.get(), name);
        TopicStatus status = observed(topic, name, after, plan.refusals());
        if (!plan.refusals().isEmpty()) {
            boolean known = Conditions.find(topic.getStatus() == null ? null : topic.getStatus().conditions, Conditions.READY)
                    .map(c -> "ChangeRefused".equals(c.getReason()) && String.join("; ", plan.refusals()).equals(c.getMessage())).orElse(false);
            if (!known) KubernetesEvents.warning(client, topic, "ChangeRefused", String.join("; ", plan.refusals()));
        }
        boolean ready = plan.refusals().isEmpty();
        status.conditions = Conditions.with(topic.getStatus() == null ? null : topic.getStatus().conditions, Conditions.READY, ready,
                ready ? "TopicReady" : "ChangeRefused", ready ? "the brokers hold the topic as specified" : String.join("; ", plan.refusals()),
                topic.getMetadata().getGeneration(), Instant.now());
        // Someone may change the topic behind our back (kafka-configs, kafka-topics): look again now and then.
        return UpdateControl.patchStatus(StatusPatches.statusOnly(topic, new Topic(), status)).rescheduleAfter(RESYNC);
    }

    private void apply(KubernetesClient client, Topic topic, String bootstrap, String name, TopicPlan plan) throws Exception {
        TopicSpec spec = topic.getSpec();
        if (plan.create()) {
            admin.create(bootstrap, name, spec.partitions, spec.replicationFactor, spec.config);
            KubernetesEvents.normal(client, topic, "Created", "topic " + name + " with " + spec.partitions + " partitions, replication factor "
                    + spec.replicationFactor);
            return;
        }
        if (plan.growPartitionsTo() > 0) {
            admin.growPartitions(bootstrap, name, plan.growPartitionsTo());
            KubernetesEvents.normal(client, topic, "PartitionsAdded", "topic " + name + " now has " + plan.growPartitionsTo() + " partitions");
        }
        if (!plan.setConfigs().isEmpty() || !plan.resetConfigs().isEmpty()) {
            admin.alterConfigs(bootstrap, name, plan.setConfigs(), plan.resetConfigs());
            KubernetesEvents.normal(client, topic, "ConfigsChanged", "set " + plan.setConfigs() + ", reset " + plan.resetConfigs());
        }
    }

    @Override
    public DeleteControl cleanup(Topic topic, Context<Topic> context) throws Exception {
        if (topic.getSpec() == null || topic.getSpec().deletionPolicy == TopicSpec.DeletionPolicy.Retain) return DeleteControl.defaultDelete();
        // A duplicate never deletes the topic another resource manages.
        if (managedByAnother(context.getClient(), topic).isPresent()) return DeleteControl.defaultDelete();
        Optional<String> bootstrap = bootstrapOf(context.getClient(), topic);
        if (bootstrap.isEmpty()) {
            // The cluster is gone, and its topics with it: nothing left to delete.
            LOG.infof("Topic %s/%s deleted after its Cluster %s", topic.getMetadata().getNamespace(), topic.getMetadata().getName(),
                    topic.getSpec().cluster);
            return DeleteControl.defaultDelete();
        }
        try {
            admin.delete(bootstrap.get(), topic.topicName());
            return DeleteControl.defaultDelete();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("Topic %s/%s: deleting topic %s failed (%s); retrying", topic.getMetadata().getNamespace(), topic.getMetadata().getName(),
                    topic.topicName(), e.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(RETRY);
        }
    }

    @Override
    public ErrorStatusUpdateControl<Topic> updateErrorStatus(Topic topic, Context<Topic> context, Exception e) {
        LOG.warnf(e, "reconcile of Topic %s/%s failed; retrying", topic.getMetadata().getNamespace(), topic.getMetadata().getName());
        TopicStatus status = topic.getStatus() == null ? new TopicStatus() : topic.getStatus();
        status.conditions = Conditions.with(status.conditions, Conditions.READY, false, "ReconcileFailed", String.valueOf(e.getMessage()),
                topic.getMetadata().getGeneration(), Instant.now());
        return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(topic, new Topic(), status));
    }

    private static Optional<Topic> managedByAnother(KubernetesClient client, Topic topic) {
        return TopicOwnership.managedByAnother(topic, client.resources(Topic.class).inNamespace(topic.getMetadata().getNamespace()).list().getItems());
    }

    /** The operator's address of the Topic's Cluster (see {@link KafkaAdmins#bootstrap}), once the Cluster has come up. */
    private Optional<String> bootstrapOf(KubernetesClient client, Topic topic) {
        Cluster cluster = client.resources(Cluster.class).inNamespace(topic.getMetadata().getNamespace()).withName(topic.getSpec().cluster).get();
        if (cluster == null || cluster.getStatus() == null || cluster.getStatus().bootstrap == null) return Optional.empty();
        return Optional.of(kafkaAdmins.bootstrap(client, cluster, ClusterNames.of(cluster, clusterDomain)));
    }

    private static UpdateControl<Topic> notReady(Topic topic, String reason, String message, Duration retry) {
        TopicStatus status = topic.getStatus() == null ? new TopicStatus() : topic.getStatus();
        status.observedGeneration = topic.getMetadata().getGeneration();
        status.conditions = Conditions.with(status.conditions, Conditions.READY, false, reason, message, topic.getMetadata().getGeneration(),
                Instant.now());
        return UpdateControl.patchStatus(StatusPatches.statusOnly(topic, new Topic(), status)).rescheduleAfter(retry);
    }

    private static TopicStatus observed(Topic topic, String name, Optional<TopicAdmin.Described> described, List<String> refusals) {
        TopicStatus s = new TopicStatus();
        s.observedGeneration = topic.getMetadata().getGeneration();
        s.topicName = name;
        described.ifPresent(d -> {
            s.topicId = d.topicId();
            s.partitions = d.actual().partitions();
            s.replicationFactor = d.actual().replicationFactor();
            s.config = d.actual().dynamicConfigs();
        });
        s.drift = new ArrayList<>(refusals);
        return s;
    }
}
