package io.runnel.broker.security;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

/** SCRAM credentials held in a map, made with kafka-clients' ScramFormatter as kafka-configs makes them. Test only. */
public final class InMemoryScramCredentials implements ScramCredentials {
    private final Map<String, ScramCredential> credentials = new ConcurrentHashMap<>();

    public InMemoryScramCredentials add(String user, String password, ScramMechanism mechanism) {
        try {
            credentials.put(user + '\0' + mechanism.mechanismName(), new ScramFormatter(mechanism).generateCredential(password, 4096));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    @Override
    public Optional<ScramCredential> lookup(String user, ScramMechanism mechanism) {
        return Optional.ofNullable(credentials.get(user + '\0' + mechanism.mechanismName()));
    }
}
