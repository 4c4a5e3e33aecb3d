package io.runnel.operator.model;

import java.util.Map;
import java.util.TreeMap;

import io.fabric8.kubernetes.api.model.Secret;
import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerSpec;

/**
 * How the operator's Admin client reaches a Cluster's brokers: over the mTLS inter-broker listener with its own
 * certificate ({@code User:<cluster>-operator}) when the cluster has one ({@link Listeners#operatorMtls}) and the
 * operator's Secret holds the certificate, else over the plain first listener as {@code User:ANONYMOUS}. The
 * client verifies the brokers' host names against the cluster CA (their certificates name the bootstrap Service
 * and every pod). Pure.
 *
 * @param bootstrap the bootstrap Service on the chosen listener's port
 * @param security  Kafka client settings (SSL, PEM key, chain and truststore inline); empty for the plain listener
 * @param principal who the brokers see
 */
public record OperatorConnection(String bootstrap, Map<String, Object> security, String principal) {
    public static OperatorConnection of(Cluster cluster, ClusterNames names, Secret operatorSecret) {
        Map<String, String> data = ClusterCertificates.data(operatorSecret);
        ListenerSpec mtls = Listeners.operatorMtls(cluster).orElse(null);
        String key = ClusterCertificates.decode(data.get(ClusterCertificates.OPERATOR_KEY));
        String chain = ClusterCertificates.decode(data.get(ClusterCertificates.OPERATOR_CERT));
        String ca = ClusterCertificates.decode(data.get(ClusterCertificates.CA_CERT));
        if (mtls == null || key == null || chain == null || ca == null)
            return new OperatorConnection(BrokerServices.bootstrapAddress(cluster, names), Map.of(), "User:ANONYMOUS");
        Map<String, Object> security = new TreeMap<>();
        security.put("security.protocol", "SSL");
        security.put("ssl.keystore.type", "PEM");
        security.put("ssl.keystore.key", key);
        security.put("ssl.keystore.certificate.chain", chain);
        security.put("ssl.truststore.type", "PEM");
        security.put("ssl.truststore.certificates", ca);
        return new OperatorConnection(names.bootstrapHost() + ":" + mtls.port, Map.copyOf(security), "User:" + Listeners.operatorPrincipalName(names));
    }
}
