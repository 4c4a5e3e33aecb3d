package io.runnel.operator.resource;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaFuture;

/**
 * One Kafka Admin client per bootstrap address, shared by every reconcile (Admin is thread-safe)
 * and closed with the operator. Every call waits at most {@link #CALL_TIMEOUT_MS}: a reconcile
 * never hangs on a dead cluster.
 */
@jakarta.inject.Singleton
public final class KafkaAdmins implements AutoCloseable {
    static final long CALL_TIMEOUT_MS = 20_000;

    /** An Admin and the security settings it was made with. */
    private record Entry(Map<String, Object> security, Admin admin) {
    }

    private final Map<String, Entry> admins = new ConcurrentHashMap<>();
    /** Per bootstrap address, the security settings its Admin must use (see {@link #secure}); none: plaintext. */
    private final Map<String, Map<String, Object>> security = new ConcurrentHashMap<>();

    /** The Admin for {@code bootstrap}, made afresh (the old one closed) when its security settings changed, e.g. a renewed certificate. */
    public Admin admin(String bootstrap) {
        Map<String, Object> wanted = security.getOrDefault(bootstrap, Map.of());
        return admins.compute(bootstrap, (b, old) -> {
            if (old != null && old.security().equals(wanted)) return old;
            if (old != null) old.admin().close(java.time.Duration.ZERO);
            Properties p = new Properties();
            p.putAll(wanted);
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b);
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "runnel-operator");
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT_MS);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            return new Entry(wanted, Admin.create(p));
        }).admin();
    }

    /** Says which security settings (Kafka client keys) the Admin of {@code bootstrap} must use from now on. */
    public void secure(String bootstrap, Map<String, Object> settings) {
        security.put(bootstrap, Map.copyOf(settings));
    }

    /**
     * Where the operator administers {@code cluster} from now on, its Admin secured to match: the mTLS listener
     * with the operator's certificate as the Secret holds it this moment, else the plain first listener.
     */
    public String bootstrap(io.fabric8.kubernetes.client.KubernetesClient client, io.runnel.operator.api.Cluster cluster,
                            io.runnel.operator.model.ClusterNames names) {
        var secret = client.secrets().inNamespace(names.namespace()).withName(names.operatorCertsSecret()).get();
        var connection = io.runnel.operator.model.OperatorConnection.of(cluster, names, secret);
        secure(connection.bootstrap(), connection.security());
        return connection.bootstrap();
    }

    static <T> T get(KafkaFuture<T> f) throws ExecutionException, InterruptedException, TimeoutException {
        return f.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @jakarta.annotation.PreDestroy
    @Override
    public void close() {
        admins.values().forEach(e -> e.admin().close());
        admins.clear();
    }
}
