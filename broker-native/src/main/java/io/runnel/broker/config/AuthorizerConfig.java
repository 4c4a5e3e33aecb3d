package io.runnel.broker.config;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The authorization settings, with Kafka's names: {@code authorizer.class.name} (empty: no
 * authorization, every principal may do everything; else Kafka's KRaft authorizer, the only one
 * Runnel has), {@code super.users} (principals that pass every check, {@code ;}-separated as in
 * Kafka) and {@code allow.everyone.if.no.acl.found}. Immutable.
 */
public record AuthorizerConfig(boolean enabled, List<String> superUsers, boolean allowEveryoneIfNoAclFound) {
    /** The class Kafka users name for the KRaft authorizer; Runnel's authorizer is that class. */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    static final Map<String, String> DEFAULTS = Map.of(
            "authorizer.class.name", "",
            "super.users", "",
            "allow.everyone.if.no.acl.found", "false");

    public static final AuthorizerConfig DISABLED = new AuthorizerConfig(false, List.of(), false);

    public AuthorizerConfig {
        superUsers = List.copyOf(superUsers);
    }

    static AuthorizerConfig from(Function<String, String> get) {
        String className = get.apply("authorizer.class.name").trim();
        if (!className.isEmpty() && !className.equals(STANDARD_AUTHORIZER))
            throw new IllegalArgumentException("authorizer.class.name " + className + " is not supported: the only authorizer is "
                    + STANDARD_AUTHORIZER);
        List<String> superUsers = Arrays.stream(get.apply("super.users").split(";")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String user : superUsers)
            if (user.indexOf(':') < 1) throw new IllegalArgumentException("super.users entry " + user + " is not a principal like User:alice");
        return new AuthorizerConfig(!className.isEmpty(), superUsers, Boolean.parseBoolean(get.apply("allow.everyone.if.no.acl.found")));
    }
}
