package io.runnel.operator.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Required;

/** Who may do what on the brokers: Kafka's StandardAuthorizer (ACLs) and its super users. A plain value object. */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class AuthorizationSpec {
    public enum Type {
        @JsonProperty("simple") SIMPLE
    }

    @Required
    @JsonPropertyDescription("simple: Kafka's StandardAuthorizer (authorizer.class.name), ACLs from User resources. Needs an mTLS interBrokerListener, over which the operator connects as User:<cluster>-operator.")
    public Type type = Type.SIMPLE;

    @JsonPropertyDescription("Principals allowed everything besides the operator's and the brokers' own, e.g. User:admin.")
    public List<String> superUsers = new ArrayList<>();

    public AuthorizationSpec() {
    }

    public AuthorizationSpec(List<String> superUsers) {
        this.superUsers = new ArrayList<>(superUsers);
    }
}
