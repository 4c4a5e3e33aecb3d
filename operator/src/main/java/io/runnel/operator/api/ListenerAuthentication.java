package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Required;

/** How clients of a listener prove who they are: SCRAM-SHA-512 over SASL, or a client certificate (mTLS). */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ListenerAuthentication {
    public enum Type {
        @JsonProperty("scram-sha-512") SCRAM_SHA_512,
        @JsonProperty("tls") TLS
    }

    @Required
    @JsonPropertyDescription("scram-sha-512 (SASL; SASL_SSL with tls: true, else SASL_PLAINTEXT) or tls (a client certificate from the clients CA; needs tls: true). The principal is User:<name>: the SCRAM user, or the certificate's CN.")
    public Type type;

    public ListenerAuthentication() {
    }

    public ListenerAuthentication(Type type) {
        this.type = type;
    }
}
