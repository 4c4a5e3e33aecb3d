package io.runnel.operator.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.runnel.operator.api.Cluster;
import io.runnel.operator.api.ListenerAuthentication;
import io.runnel.operator.api.ListenerSpec;

/**
 * A Cluster's client listeners with their default, their checks and the broker settings they make:
 * the addresses, and for TLS and authentication the security protocol map and per-listener
 * settings ({@code listener.name.<listener>.*}, Kafka's names) pointing at the certificates the
 * operator mounts. The first listener carries inter-broker traffic unless an interBrokerListener is
 * named, and the operator's own Admin connection unless that one is mTLS ({@link #operatorMtls}), so it
 * stays plain. Pure.
 */
public final class Listeners {
    private Listeners() {
    }

    public static List<ListenerSpec> of(Cluster cluster) {
        List<ListenerSpec> l = cluster.getSpec().listeners;
        return l == null || l.isEmpty() ? List.of(new ListenerSpec("PLAINTEXT", 9092)) : l;
    }

    public static List<String> validate(Cluster cluster) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<Integer> ports = new HashSet<>(Set.of(ClusterNames.CONTROLLER_PORT, ClusterNames.HTTP_PORT));
        for (ListenerSpec l : of(cluster)) {
            if (ClusterNames.CONTROLLER_LISTENER.equals(l.name)) problems.add("listener name CONTROLLER is reserved for the metadata quorum");
            else if (!names.add(l.name)) problems.add("listener " + l.name + " is named twice");
            if (!ports.add(l.port))
                problems.add("listener " + l.name + " port " + l.port + " is taken (9093 is the controller's, 8080 HTTP's, or another listener's)");
        }
        List<ListenerSpec> listeners = of(cluster);
        for (ListenerSpec l : listeners)
            if (l.authenticationType() == ListenerAuthentication.Type.TLS && !l.tlsEnabled())
                problems.add("listener " + l.name + " authenticates clients by certificate (authentication.type tls) and so needs tls: true");
        String interBroker = cluster.getSpec().interBrokerListener;
        if (interBroker != null) {
            ListenerSpec l = listeners.stream().filter(x -> x.name.equals(interBroker)).findFirst().orElse(null);
            if (l == null) problems.add("interBrokerListener " + interBroker + " is not one of the listeners");
            else if (l.authenticationType() == ListenerAuthentication.Type.SCRAM_SHA_512)
                problems.add("interBrokerListener " + interBroker + " uses scram-sha-512: the operator manages no SCRAM credential for the brokers;"
                        + " use authentication type tls (mTLS) between brokers");
        }
        ListenerSpec first = listeners.get(0);
        if (first.tlsEnabled() || first.authentication != null)
            problems.add("listener " + first.name + " is the first listener, which carries inter-broker traffic and the operator's Admin connection,"
                    + " and must be plain (no tls, no authentication): put a plain listener first");
        return problems;
    }

    /** Where the broker certificates' Secret is mounted in every broker pod. */
    public static final String CERTS_MOUNT_PATH = "/etc/runnel/certs";
    /** A client certificate's CN is its user: CN=alice,O=… is User:alice, as a SCRAM login alice is. */
    public static final String PRINCIPAL_MAPPING_RULES = "RULE:^CN=([^,]+).*$/$1/,DEFAULT";

    /** The brokers' principal on an mTLS inter-broker listener: the CN of every broker certificate. */
    public static String brokerPrincipalName(ClusterNames names) {
        return names.cluster() + "-broker";
    }

    /** The operator's principal over its mTLS connection: the CN of its certificate, mapped by {@link #PRINCIPAL_MAPPING_RULES}. */
    public static String operatorPrincipalName(ClusterNames names) {
        return names.cluster() + "-operator";
    }

    /**
     * Why no User may take {@code userName} on the cluster: it is the brokers' or the operator's own principal,
     * and a user of that name would act as them. Empty when the name is free.
     */
    public static java.util.Optional<String> reservedPrincipal(ClusterNames names, String userName) {
        String whose = userName.equals(brokerPrincipalName(names)) ? "brokers'" : userName.equals(operatorPrincipalName(names)) ? "operator's" : null;
        if (whose == null) return java.util.Optional.empty();
        return java.util.Optional.of("the name " + userName + " is the " + whose + " own principal on cluster " + names.cluster()
                + ": a user of that name would act as " + (whose.equals("brokers'") ? "a broker" : "the operator"));
    }

    /**
     * The listener the operator administers the brokers over with its certificate: the inter-broker listener when
     * it is mTLS, the only listener whose truststore holds the cluster CA (that issued the operator's certificate;
     * other mTLS listeners trust the clients CA, users' issuer). Empty: the first listener, plain, as User:ANONYMOUS.
     */
    public static java.util.Optional<ListenerSpec> operatorMtls(Cluster cluster) {
        String interBroker = cluster.getSpec().interBrokerListener;
        if (interBroker == null) return java.util.Optional.empty();
        return of(cluster).stream().filter(l -> l.name.equals(interBroker) && l.tlsEnabled()
                && l.authenticationType() == ListenerAuthentication.Type.TLS).findFirst();
    }

    /**
     * Whether the controller listener is mTLS: with {@code spec.authorization} and an mTLS inter-broker listener, so that
     * the quorum's and the brokers' requests to the controllers (which need ClusterAction) come from
     * {@code User:<cluster>-broker}, not from an anonymous principal that would have to be a super user. Otherwise it
     * stays PLAINTEXT, as before: switching an existing cluster's controller listener cannot be rolled one broker at a time.
     */
    public static boolean controllerMtls(Cluster cluster) {
        return cluster.getSpec().authorization != null && operatorMtls(cluster).isPresent();
    }

    /** Kafka's security protocol of a listener. */
    public static String protocol(ListenerSpec l) {
        boolean sasl = l.authenticationType() == ListenerAuthentication.Type.SCRAM_SHA_512;
        return l.tlsEnabled() ? (sasl ? "SASL_SSL" : "SSL") : (sasl ? "SASL_PLAINTEXT" : "PLAINTEXT");
    }

    /**
     * The broker settings (Kafka keys) that make the listeners' TLS and authentication; empty when
     * every listener is plain, so that plain clusters keep the broker's defaults. The keystore path
     * names the pod ({@code $(POD_NAME)}, expanded by the kubelet): one template, a certificate per broker.
     */
    public static Map<String, String> securitySettings(Cluster cluster) {
        Map<String, String> settings = new LinkedHashMap<>();
        List<ListenerSpec> listeners = of(cluster);
        String interBroker = cluster.getSpec().interBrokerListener;
        if (interBroker != null) settings.put("inter.broker.listener.name", interBroker);
        if (listeners.stream().allMatch(l -> !l.tlsEnabled() && l.authentication == null)) return settings;
        boolean controllerMtls = controllerMtls(cluster);
        settings.put("listener.security.protocol.map", listeners.stream().map(l -> l.name + ":" + protocol(l)).collect(Collectors.joining(","))
                + "," + ClusterNames.CONTROLLER_LISTENER + (controllerMtls ? ":SSL" : ":PLAINTEXT"));
        if (controllerMtls) {
            // Only nodes speak on the controller listener: each presents its own certificate (User:<cluster>-broker, a super user)
            // and trusts the cluster CA alone.
            String prefix = "listener.name." + ClusterNames.CONTROLLER_LISTENER.toLowerCase(Locale.ROOT) + ".";
            settings.put(prefix + "ssl.keystore.type", "PEM");
            settings.put(prefix + "ssl.keystore.location", CERTS_MOUNT_PATH + "/$(POD_NAME).pem");
            settings.put(prefix + "ssl.truststore.type", "PEM");
            settings.put(prefix + "ssl.truststore.location", CERTS_MOUNT_PATH + "/" + ClusterCertificates.CA_CERT);
            settings.put(prefix + "ssl.client.auth", "required");
            settings.put(prefix + "ssl.principal.mapping.rules", PRINCIPAL_MAPPING_RULES);
        }
        for (ListenerSpec l : listeners) {
            String prefix = "listener.name." + l.name.toLowerCase(Locale.ROOT) + ".";
            if (l.tlsEnabled()) {
                settings.put(prefix + "ssl.keystore.type", "PEM");
                settings.put(prefix + "ssl.keystore.location", CERTS_MOUNT_PATH + "/$(POD_NAME).pem");
            }
            boolean interBrokerTls = l.name.equals(interBroker) && l.tlsEnabled();
            if (l.authenticationType() == ListenerAuthentication.Type.TLS || interBrokerTls) {
                // Between brokers the truststore checks both sides: peers' server certificates and, with mTLS, client
                // certificates, which come from the cluster CA (brokers) as well as the clients CA (users).
                String trusted = interBrokerTls ? ClusterCertificates.ALL_CAS_CERT : ClusterCertificates.CLIENTS_CA_CERT;
                settings.put(prefix + "ssl.truststore.type", "PEM");
                settings.put(prefix + "ssl.truststore.location", CERTS_MOUNT_PATH + "/" + trusted);
            }
            if (l.authenticationType() == ListenerAuthentication.Type.TLS) {
                settings.put(prefix + "ssl.client.auth", "required");
                settings.put(prefix + "ssl.principal.mapping.rules", PRINCIPAL_MAPPING_RULES);
            }
            if (l.authenticationType() == ListenerAuthentication.Type.SCRAM_SHA_512)
                settings.put(prefix + "sasl.enabled.mechanisms", "SCRAM-SHA-512");
        }
        return settings;
    }

    /** The broker's {@code listeners}: every client listener and the controller listener, on the pod's address. */
    public static String bind(Cluster cluster) {
        return of(cluster).stream().map(l -> l.name + "://$(POD_IP):" + l.port).collect(Collectors.joining(","))
                + "," + ClusterNames.CONTROLLER_LISTENER + "://$(POD_IP):" + ClusterNames.CONTROLLER_PORT;
    }

    /** The broker's {@code advertised.listeners}: its stable DNS name under the headless Service. */
    public static String advertised(Cluster cluster, ClusterNames names) {
        return of(cluster).stream()
                .map(l -> l.name + "://$(POD_NAME)." + names.headlessService() + ".$(POD_NAMESPACE).svc." + names.clusterDomain() + ":" + l.port)
                .collect(Collectors.joining(","));
    }
}
