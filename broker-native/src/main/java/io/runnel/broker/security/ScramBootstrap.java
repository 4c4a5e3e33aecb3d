package io.runnel.broker.security;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.jboss.logging.Logger;

import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metadata.ScramCredentialAlterations;

/**
 * SCRAM credentials a cluster starts with (Runnel's {@code scram.bootstrap.credentials}, written
 * as Kafka's {@code kafka-storage format --add-scram} takes them), so that brokers can
 * authenticate to each other with SCRAM, or a SCRAM-only cluster admit its first admin, before
 * anyone could create a user. The active controller writes each listed credential the metadata
 * does not hold yet; one that exists (set or changed with {@code kafka-configs} since) is never
 * overwritten. {@link #parse} is pure; {@link #writeMissing} may be called from any thread and
 * runs at most one write at a time, on the {@code blocking} executor.
 */
public final class ScramBootstrap {
    private static final Logger LOG = Logger.getLogger(ScramBootstrap.class);
    /** Kafka's default for {@code --add-scram} without {@code iterations=}. */
    static final int DEFAULT_ITERATIONS = 4096;

    /** One credential to bootstrap; {@link #toString()} hides the password. */
    public record Credential(String user, ScramMechanism mechanism, String password, int iterations) {
        @Override
        public String toString() {
            return mechanism.mechanismName() + "[name=" + user + ",iterations=" + iterations + "]";
        }
    }

    private final List<Credential> credentials;
    private final MetadataController controller;
    private final ScramCredentials current;
    private final BooleanSupplier isActiveController;
    private final Executor blocking;
    private final AtomicBoolean writing = new AtomicBoolean();
    private final SecureRandom random = new SecureRandom();

    /** @param blocking where salting runs (a worker pool, never an event loop nor a pool the node's own start may occupy) */
    public ScramBootstrap(List<Credential> credentials, MetadataController controller, ScramCredentials current, BooleanSupplier isActiveController,
                          Executor blocking) {
        this.blocking = blocking;
        this.credentials = List.copyOf(credentials);
        this.controller = controller;
        this.current = current;
        this.isActiveController = isActiveController;
    }

    /**
     * Parses {@code SCRAM-SHA-512=[name=broker,password=broker-secret];SCRAM-SHA-256=[name=alice,password=…,iterations=8192]}:
     * entries separated by {@code ;}, each as Kafka's {@code --add-scram} argument (a value may be in double quotes).
     */
    public static List<Credential> parse(String spec) {
        List<Credential> out = new ArrayList<>();
        for (String raw : spec.split(";")) {
            String entry = raw.trim();
            if (entry.isEmpty()) continue;
            int eq = entry.indexOf('=');
            if (eq < 0 || !entry.endsWith("]") || entry.charAt(eq + 1) != '[')
                throw new IllegalArgumentException("runnel.scram.bootstrap.credentials entry '" + redact(entry)
                        + "' is not MECHANISM=[name=…,password=…]");
            ScramMechanism mechanism = ScramMechanism.forMechanismName(entry.substring(0, eq).trim().toUpperCase(Locale.ROOT));
            if (mechanism == null)
                throw new IllegalArgumentException("runnel.scram.bootstrap.credentials: unknown mechanism " + entry.substring(0, eq).trim()
                        + " (SCRAM-SHA-256 or SCRAM-SHA-512)");
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : splitOutsideQuotes(entry.substring(eq + 2, entry.length() - 1))) {
                int at = field.indexOf('=');
                if (at < 1) throw new IllegalArgumentException("runnel.scram.bootstrap.credentials: '" + redact(field) + "' is not key=value");
                String value = field.substring(at + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
                fields.put(field.substring(0, at).trim().toLowerCase(Locale.ROOT), value);
            }
            String user = fields.getOrDefault("name", "");
            String password = fields.getOrDefault("password", "");
            if (user.isEmpty() || password.isEmpty())
                throw new IllegalArgumentException("runnel.scram.bootstrap.credentials: an entry of " + mechanism.mechanismName()
                        + " needs name= and password=");
            int iterations = Integer.parseInt(fields.getOrDefault("iterations", Integer.toString(DEFAULT_ITERATIONS)));
            if (iterations < mechanism.minIterations() || iterations > ScramCredentialAlterations.MAX_ITERATIONS)
                throw new IllegalArgumentException("runnel.scram.bootstrap.credentials: iterations of " + user + " must be between "
                        + mechanism.minIterations() + " and " + ScramCredentialAlterations.MAX_ITERATIONS);
            out.add(new Credential(user, mechanism, password, iterations));
        }
        return List.copyOf(out);
    }

    /** Splits on commas that are not inside double quotes, so that a quoted password may hold commas. */
    private static List<String> splitOutsideQuotes(String text) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        boolean quoted = false;
        for (char ch : text.toCharArray()) {
            if (ch == '"') quoted = !quoted;
            if (ch == ',' && !quoted) {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(ch);
            }
        }
        parts.add(part.toString());
        return parts;
    }

    private static String redact(String text) {
        return text.replaceAll("(?i)password=[^,\\]]*", "password=…");
    }

    /**
     * On the active controller: writes, one after another, the listed credentials the metadata
     * lacks. Does nothing on other nodes, or while an earlier call is still writing.
     */
    public void writeMissing() {
        if (!isActiveController.getAsBoolean()) return;
        List<Credential> missing = credentials.stream().filter(c -> current.lookup(c.user(), c.mechanism()).isEmpty()).toList();
        if (missing.isEmpty() || !writing.compareAndSet(false, true)) return;
        // Salting and hashing (PBKDF2) costs milliseconds: not on the caller's (event loop) thread.
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Credential c : missing) {
            // One credential per request: the controller refuses a user altered twice in one request.
            chain = chain.thenComposeAsync(ignored -> controller.alterUserScramCredentials(List.of(), List.of(upsertion(c))), blocking)
                    .thenAccept(results -> results.stream().filter(r -> r.error() != org.apache.kafka.common.protocol.Errors.NONE)
                            .forEach(r -> LOG.warnf("Could not bootstrap SCRAM credential %s: %s %s", c, r.error(), r.message())));
        }
        chain.whenComplete((ignored, error) -> {
            writing.set(false);
            if (error != null) LOG.debugf("Bootstrapping SCRAM credentials deferred: %s", error.toString());
        });
    }

    private ScramCredentialAlterations.Upsertion upsertion(Credential c) {
        try {
            byte[] salt = new byte[32];
            random.nextBytes(salt);
            byte[] saltedPassword = new ScramFormatter(c.mechanism()).saltedPassword(c.password(), salt, c.iterations());
            byte type = org.apache.kafka.clients.admin.ScramMechanism.fromMechanismName(c.mechanism().mechanismName()).type();
            return new ScramCredentialAlterations.Upsertion(c.user(), type, c.iterations(), salt, saltedPassword);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot salt the SCRAM password of " + c, e);
        }
    }
}
