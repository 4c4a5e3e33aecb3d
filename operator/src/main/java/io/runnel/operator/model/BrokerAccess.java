package io.runnel.operator.model;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.runnel.operator.api.Cluster;

/**
 * What the brokers may do on the API server: their own ServiceAccount, and with rack awareness a
 * binding to the ClusterRole that reads nodes, so that each broker can read its node's zone label.
 * The binding is cluster-scoped and so cannot be owned by the Cluster: it carries the Cluster's
 * namespace and name as labels, and the operator deletes it with the Cluster. Pure.
 */
public final class BrokerAccess {
    private BrokerAccess() {
    }

    public static ServiceAccount serviceAccount(Cluster cluster, ClusterNames names) {
        return new ServiceAccountBuilder()
                .withNewMetadata().withName(names.serviceAccount()).withNamespace(names.namespace()).withLabels(names.labels())
                .withOwnerReferences(Owners.ownerReference(cluster)).endMetadata()
                .build();
    }

    public static ClusterRoleBinding rackBinding(ClusterNames names) {
        return new ClusterRoleBindingBuilder()
                .withNewMetadata().withName(names.rackRoleBinding()).withLabels(names.labels())
                .addToLabels(ClusterNames.OWNER_NAMESPACE_LABEL, names.namespace()).addToLabels(ClusterNames.OWNER_NAME_LABEL, names.cluster())
                .endMetadata()
                .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(ClusterNames.RACK_CLUSTER_ROLE).endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName(names.serviceAccount()).withNamespace(names.namespace()).endSubject()
                .build();
    }
}
