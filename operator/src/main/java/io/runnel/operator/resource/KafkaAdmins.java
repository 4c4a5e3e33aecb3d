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

    private final Map<String, Admin> admins = new ConcurrentHashMap<>();

    public Admin admin(String bootstrap) {
        return admins.computeIfAbsent(bootstrap, b -> {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b);
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "runnel-operator");
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT_MS);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            return Admin.create(p);
        });
    }

    static <T> T get(KafkaFuture<T> f) throws ExecutionException, InterruptedException, TimeoutException {
        return f.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @jakarta.annotation.PreDestroy
    @Override
    public void close() {
        admins.values().forEach(Admin::close);
        admins.clear();
    }
}
