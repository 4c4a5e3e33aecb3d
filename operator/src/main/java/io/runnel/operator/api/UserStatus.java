package io.runnel.operator.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.kubernetes.api.model.Condition;

/** What the operator made of a User: where its credential is, and whether the brokers hold what the spec says. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class UserStatus {
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The Kafka user name; the principal is User:<username>.")
    public String username;

    @JsonPropertyDescription("The Secret with the credential: password and sasl.jaas.config, or user.crt, user.key, user.p12, user.password and ca.crt.")
    public String secret;

    @JsonPropertyDescription("How many ACLs of the user the brokers hold.")
    public Integer acls;
}
