package io.runnel.operator.resource;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialDeletion;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.admin.UserScramCredentialsDescription;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.resource.ResourcePatternFilter;

/**
 * A user's credential, ACLs and quotas through the Kafka Admin API: the calls {@code kafka-configs
 * --entity-type users} and {@code kafka-acls} make, on the shared clients of {@link KafkaAdmins}.
 * Stateless; any thread.
 */
@jakarta.inject.Singleton
public final class UserAdmin {
    /** Kafka's default iteration count for SCRAM-SHA-512 (kafka-configs' too). */
    static final int SCRAM_ITERATIONS = 4096;

    @jakarta.inject.Inject
    KafkaAdmins admins;

    /** Whether the brokers hold a SCRAM-SHA-512 credential for {@code user}. */
    public boolean hasScramCredential(String bootstrap, String user) throws Exception {
        Admin admin = admins.admin(bootstrap);
        try {
            UserScramCredentialsDescription d = KafkaAdmins.get(admin.describeUserScramCredentials(List.of(user)).description(user));
            return d.credentialInfos().stream().anyMatch(i -> i.mechanism() == ScramMechanism.SCRAM_SHA_512);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ResourceNotFoundException) return false;
            throw e;
        }
    }

    public void upsertScramCredential(String bootstrap, String user, String password) throws Exception {
        UserScramCredentialAlteration upsert = new UserScramCredentialUpsertion(user,
                new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password);
        KafkaAdmins.get(admins.admin(bootstrap).alterUserScramCredentials(List.of(upsert)).all());
    }

    /** Removes the SCRAM-SHA-512 credential; none to remove is not an error. */
    public void deleteScramCredential(String bootstrap, String user) throws Exception {
        try {
            KafkaAdmins.get(admins.admin(bootstrap).alterUserScramCredentials(
                    List.of(new UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512))).all());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof ResourceNotFoundException)) throw e;
        }
    }

    /** Every ACL of {@code principal}, on any resource. */
    public Collection<AclBinding> acls(String bootstrap, String principal) throws Exception {
        return KafkaAdmins.get(admins.admin(bootstrap).describeAcls(byPrincipal(principal)).values());
    }

    public void changeAcls(String bootstrap, Collection<AclBinding> create, Collection<AclBinding> delete) throws Exception {
        Admin admin = admins.admin(bootstrap);
        if (!create.isEmpty()) KafkaAdmins.get(admin.createAcls(create).all());
        if (!delete.isEmpty()) KafkaAdmins.get(admin.deleteAcls(delete.stream().map(AclBinding::toFilter).toList()).all());
    }

    public void deleteAllAcls(String bootstrap, String principal) throws Exception {
        KafkaAdmins.get(admins.admin(bootstrap).deleteAcls(List.of(byPrincipal(principal))).all());
    }

    /** The quotas set on user {@code user} itself (not defaults), by quota key. */
    public Map<String, Double> quotas(String bootstrap, String user) throws Exception {
        ClientQuotaFilter filter = ClientQuotaFilter.containsOnly(List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, user)));
        Map<ClientQuotaEntity, Map<String, Double>> all = KafkaAdmins.get(admins.admin(bootstrap).describeClientQuotas(filter).entities());
        return new TreeMap<>(all.getOrDefault(entity(user), Map.of()));
    }

    /** Sets each quota to its value, or removes it for a null value. */
    public void alterQuotas(String bootstrap, String user, Map<String, Double> changes) throws Exception {
        List<ClientQuotaAlteration.Op> ops = new ArrayList<>();
        changes.forEach((k, v) -> ops.add(new ClientQuotaAlteration.Op(k, v)));
        KafkaAdmins.get(admins.admin(bootstrap).alterClientQuotas(List.of(new ClientQuotaAlteration(entity(user), ops))).all());
    }

    private static ClientQuotaEntity entity(String user) {
        return new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user));
    }

    private static AclBindingFilter byPrincipal(String principal) {
        return new AclBindingFilter(ResourcePatternFilter.ANY, new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY));
    }
}
