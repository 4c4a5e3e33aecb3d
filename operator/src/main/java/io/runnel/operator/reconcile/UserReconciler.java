package io.runnel.operator.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import jakarta.inject.Inject;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.errors.SecurityDisabledException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.runnel.operator.api.CertificatesSpec;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.User;
import io.runnel.operator.api.UserSpec;
import io.runnel.operator.api.UserStatus;
import io.runnel.operator.model.CertificateAuthority;
import io.runnel.operator.model.ClusterCertificates;
import io.runnel.operator.model.ClusterNames;
import io.runnel.operator.model.Conditions;
import io.runnel.operator.model.Listeners;
import io.runnel.operator.model.UserCredentials;
import io.runnel.operator.model.UserPlan;
import io.runnel.operator.resource.KafkaAdmins;
import io.runnel.operator.resource.KubernetesEvents;
import io.runnel.operator.resource.OwnedResources;
import io.runnel.operator.resource.StatusPatches;
import io.runnel.operator.resource.UserAdmin;

/**
 * Makes the brokers hold what a User says, one straight chain per pass:
 * <ol>
 * <li>check the spec; find the Cluster (same namespace) and its bootstrap address;
 * <li>credential: SCRAM — the password (the referenced Secret's, else the one already issued,
 *     else a new one) set as the user's SCRAM-SHA-512 credential when the brokers lack it or it
 *     changed, then the Secret; TLS — a certificate from the clients CA (kept while good) in the Secret;
 * <li>ACLs: describe the principal's, create the missing, delete the rest ({@link UserPlan});
 * <li>quotas: describe the user entity's, set and remove to match;
 * <li>status: Ready, or why not (per step, with the Kafka error's name).
 * </ol>
 * The credential is given to the brokers before the Secret names it: a client never reads a password
 * the brokers refuse (an operator killed in between issues the password again next pass). A
 * finalizer revokes everything on deletion; the Secret goes with the User (owner reference).
 */
@ControllerConfiguration(name = "user")
public class UserReconciler implements Reconciler<User>, Cleaner<User> {
    private static final Logger LOG = Logger.getLogger(UserReconciler.class);
    private static final Duration RETRY = Duration.ofSeconds(20);
    private static final Duration RESYNC = Duration.ofMinutes(5);

    @ConfigProperty(name = "runnel.operator.cluster-domain", defaultValue = "cluster.local")
    String clusterDomain;

    @Inject
    UserAdmin admin;

    @Inject
    KafkaAdmins kafkaAdmins;

    @Override
    public UpdateControl<User> reconcile(User user, Context<User> context) throws Exception {
        KubernetesClient client = context.getClient();
        if (user.getSpec() == null) return notReady(user, "InvalidSpec", "spec is missing", null);
        List<String> problems = UserPlan.validate(user.getSpec());
        if (!problems.isEmpty()) return notReady(user, "InvalidSpec", String.join("; ", problems), null);
        Cluster cluster = client.resources(Cluster.class).inNamespace(user.getMetadata().getNamespace()).withName(user.getSpec().cluster).get();
        if (cluster == null || cluster.getStatus() == null || cluster.getStatus().bootstrap == null)
            return notReady(user, "ClusterNotFound", "no Cluster '" + user.getSpec().cluster + "' in namespace " + user.getMetadata().getNamespace()
                    + " with a bootstrap address yet", RETRY);
        ClusterNames names = ClusterNames.of(cluster, clusterDomain);
        String principal = UserPlan.principal(user);
        Optional<String> reserved = Listeners.reservedPrincipal(names, user.userName());
        if (reserved.isPresent()) return notReady(user, "InvalidSpec", reserved.get(), null);
        String bootstrap = kafkaAdmins.bootstrap(client, cluster, names);

        List<String> notApplied = new ArrayList<>();
        int aclCount;
        try {
            Missing missing = credential(client, user, cluster, names, bootstrap);
            if (missing != null) return notReady(user, missing.reason(), missing.message(), RETRY);
            aclCount = acls(client, user, bootstrap, principal, notApplied);
            quotas(client, user, bootstrap, notApplied);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            String reason = cause instanceof TimeoutException ? "ClusterUnreachable" : cause.getClass().getSimpleName().replace("Exception", "");
            LOG.infof("User %s/%s: %s: %s", user.getMetadata().getNamespace(), user.getMetadata().getName(), reason, cause.getMessage());
            return notReady(user, reason, String.valueOf(cause.getMessage()), RETRY);
        }

        UserStatus status = new UserStatus();
        status.observedGeneration = user.getMetadata().getGeneration();
        status.username = user.userName();
        status.secret = user.getSpec().authentication == null ? null : user.getMetadata().getName();
        status.acls = aclCount;
        boolean ready = notApplied.isEmpty();
        status.conditions = Conditions.with(user.getStatus() == null ? null : user.getStatus().conditions, Conditions.READY, ready,
                ready ? "UserReady" : "NotApplied", ready ? "the brokers hold the user's credential, ACLs and quotas" : String.join("; ", notApplied),
                user.getMetadata().getGeneration(), Instant.now());
        return UpdateControl.patchStatus(StatusPatches.statusOnly(user, new User(), status)).rescheduleAfter(ready ? RESYNC : RETRY);
    }

    /** Something the credential needs and does not exist yet: the Ready condition's reason and message. */
    private record Missing(String reason, String message) {
    }

    /** Gives the brokers the credential and writes the Secret; returns what is missing when it cannot yet. */
    private Missing credential(KubernetesClient client, User user, Cluster cluster, ClusterNames names, String bootstrap) throws Exception {
        var secrets = client.secrets().inNamespace(user.getMetadata().getNamespace());
        Secret stored = secrets.withName(user.getMetadata().getName()).get();
        UserSpec.Authentication auth = user.getSpec().authentication;
        if (auth == null) {
            if (admin.hasScramCredential(bootstrap, user.userName())) admin.deleteScramCredential(bootstrap, user.userName());
            if (stored != null) secrets.withName(user.getMetadata().getName()).delete();
            return null;
        }
        CertificatesSpec certs = cluster.getSpec() == null || cluster.getSpec().certificates == null ? new CertificatesSpec() : cluster.getSpec().certificates;
        switch (auth.type) {
            case SCRAM_SHA_512 -> {
                String password;
                if (auth.password != null) {
                    var ref = auth.password.valueFrom.secretKeyRef;
                    Secret source = secrets.withName(ref.getName()).get();
                    password = source == null || source.getData() == null ? null : ClusterCertificates.decode(source.getData().get(ref.getKey()));
                    if (password == null || password.isEmpty())
                        return new Missing("PasswordNotFound", "Secret " + ref.getName() + " has no key " + ref.getKey());
                } else {
                    password = UserCredentials.password(stored);
                    if (password == null || password.isEmpty()) password = ClusterCertificates.password();
                }
                if (!UserCredentials.applied(stored, password) || !admin.hasScramCredential(bootstrap, user.userName())) {
                    admin.upsertScramCredential(bootstrap, user.userName(), password);
                    KubernetesEvents.normal(client, user, "CredentialSet", "SCRAM-SHA-512 credential of " + user.userName() + " set on cluster " + names.cluster());
                }
                OwnedResources.apply(client, UserCredentials.scram(user, password), stored);
            }
            case TLS -> {
                Secret caSecret = secrets.withName(names.clientsCaSecret()).get();
                if (caSecret == null || caSecret.getData() == null || !caSecret.getData().containsKey(ClusterCertificates.CA_KEY))
                    return new Missing("ClientsCaNotReady", "Secret " + names.clientsCaSecret() + " does not exist yet");
                CertificateAuthority clientsCa = CertificateAuthority.parse(ClusterCertificates.decode(caSecret.getData().get(ClusterCertificates.CA_KEY)),
                        ClusterCertificates.decode(caSecret.getData().get(ClusterCertificates.CA_CERT)));
                if (admin.hasScramCredential(bootstrap, user.userName())) admin.deleteScramCredential(bootstrap, user.userName());
                Secret desired = UserCredentials.tls(user, stored, clientsCa, Instant.now(), Duration.ofDays(certs.validityDays),
                        Duration.ofDays(certs.renewalDays));
                var applied = OwnedResources.apply(client, desired, stored);
                if (applied.outcome() != OwnedResources.Outcome.UNCHANGED)
                    KubernetesEvents.normal(client, user, "CertificateIssued", "certificate CN=" + user.userName() + " from " + names.clientsCaSecret());
            }
        }
        return null;
    }

    /** Converges the principal's ACLs; returns how many the brokers hold. */
    private int acls(KubernetesClient client, User user, String bootstrap, String principal, List<String> notApplied) throws Exception {
        Set<AclBinding> desired = UserPlan.acls(principal, user.getSpec());
        try {
            var current = admin.acls(bootstrap, principal);
            UserPlan.AclChanges changes = UserPlan.aclChanges(desired, current);
            if (!changes.isEmpty()) {
                admin.changeAcls(bootstrap, changes.create(), changes.delete());
                KubernetesEvents.normal(client, user, "AclsChanged", "created " + changes.create().size() + ", deleted " + changes.delete().size()
                        + " ACLs of " + principal);
            }
            return desired.size();
        } catch (ExecutionException e) {
            if (!unsupported(e.getCause())) throw e;
            // Brokers without an authorizer: nothing to converge when the spec asks for no ACLs.
            if (!desired.isEmpty()) notApplied.add("ACLs not applied: " + e.getCause().getMessage());
            return 0;
        }
    }

    private void quotas(KubernetesClient client, User user, String bootstrap, List<String> notApplied) throws Exception {
        Map<String, Double> desired = UserPlan.quotas(user.getSpec());
        try {
            Map<String, Double> changes = UserPlan.quotaChanges(desired, admin.quotas(bootstrap, user.userName()));
            if (changes.isEmpty()) return;
            admin.alterQuotas(bootstrap, user.userName(), changes);
            KubernetesEvents.normal(client, user, "QuotasChanged", "quotas of user " + user.userName() + ": " + changes);
        } catch (ExecutionException e) {
            if (!unsupported(e.getCause())) throw e;
            if (!desired.isEmpty()) notApplied.add("quotas not applied: " + e.getCause().getMessage());
        }
    }

    /** The brokers do not do this (no authorizer, or an API they lack): reported, not retried as a failure. */
    private static boolean unsupported(Throwable cause) {
        return cause instanceof SecurityDisabledException || cause instanceof UnsupportedVersionException;
    }

    /** Revokes the user: SCRAM credential, ACLs, quotas. The Secret is garbage-collected with the User. */
    @Override
    public DeleteControl cleanup(User user, Context<User> context) {
        if (user.getSpec() == null || user.getSpec().cluster == null) return DeleteControl.defaultDelete();
        Cluster cluster = context.getClient().resources(Cluster.class).inNamespace(user.getMetadata().getNamespace()).withName(user.getSpec().cluster).get();
        if (cluster == null || cluster.getStatus() == null || cluster.getStatus().bootstrap == null) return DeleteControl.defaultDelete();
        ClusterNames names = ClusterNames.of(cluster, clusterDomain);
        // A User refused for carrying the brokers' or the operator's principal never managed anything: revoking would strip them.
        if (Listeners.reservedPrincipal(names, user.userName()).isPresent()) return DeleteControl.defaultDelete();
        String bootstrap = kafkaAdmins.bootstrap(context.getClient(), cluster, names);
        try {
            admin.deleteScramCredential(bootstrap, user.userName());
            revoke(() -> admin.deleteAllAcls(bootstrap, UserPlan.principal(user)));
            revoke(() -> {
                Map<String, Double> remove = UserPlan.quotaChanges(Map.of(), admin.quotas(bootstrap, user.userName()));
                if (!remove.isEmpty()) admin.alterQuotas(bootstrap, user.userName(), remove);
            });
            LOG.infof("User %s/%s revoked on cluster %s", user.getMetadata().getNamespace(), user.getMetadata().getName(), cluster.getMetadata().getName());
            return DeleteControl.defaultDelete();
        } catch (Exception e) {
            LOG.warnf("User %s/%s: revoking failed (%s); retrying", user.getMetadata().getNamespace(), user.getMetadata().getName(), e.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(RETRY);
        }
    }

    private interface AdminCall {
        void run() throws Exception;
    }

    private static void revoke(AdminCall call) throws Exception {
        try {
            call.run();
        } catch (ExecutionException e) {
            if (!unsupported(e.getCause())) throw e;
        }
    }

    @Override
    public ErrorStatusUpdateControl<User> updateErrorStatus(User user, Context<User> context, Exception e) {
        LOG.warnf(e, "reconcile of User %s/%s failed; retrying", user.getMetadata().getNamespace(), user.getMetadata().getName());
        UserStatus status = user.getStatus() == null ? new UserStatus() : user.getStatus();
        status.conditions = Conditions.with(status.conditions, Conditions.READY, false, "ReconcileFailed", String.valueOf(e.getMessage()),
                user.getMetadata().getGeneration(), Instant.now());
        return ErrorStatusUpdateControl.patchStatus(StatusPatches.statusOnly(user, new User(), status));
    }

    private static UpdateControl<User> notReady(User user, String reason, String message, Duration retry) {
        UserStatus status = user.getStatus() == null ? new UserStatus() : user.getStatus();
        status.observedGeneration = user.getMetadata().getGeneration();
        status.username = user.userName();
        status.conditions = Conditions.with(status.conditions, Conditions.READY, false, reason, message, user.getMetadata().getGeneration(),
                Instant.now());
        UpdateControl<User> control = UpdateControl.patchStatus(StatusPatches.statusOnly(user, new User(), status));
        return retry == null ? control : control.rescheduleAfter(retry);
    }
}
