package io.runnel.operator.api;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/**
 * A client listener: a name (Kafka's listener name) and a container port, exposed by the Services;
 * optionally TLS (with the operator's broker certificates) and client authentication.
 */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class ListenerSpec {
    @Required
    @Pattern("^[A-Z][A-Z0-9_]{0,24}$")
    @JsonPropertyDescription("Listener name as Kafka knows it, e.g. PLAINTEXT. CONTROLLER is reserved.")
    public String name;

    @Required
    @Min(1024)
    @Max(65535)
    public int port;

    @JsonPropertyDescription("TLS with the broker certificates the operator issues from the cluster CA (clients trust the Secret <cluster>-cluster-ca-cert).")
    public Boolean tls;

    @JsonPropertyDescription("Client authentication; none when unset (clients are User:ANONYMOUS).")
    public ListenerAuthentication authentication;

    public ListenerSpec() {
    }

    public ListenerSpec(String name, int port) {
        this.name = name;
        this.port = port;
    }

    public ListenerSpec(String name, int port, boolean tls, ListenerAuthentication.Type authentication) {
        this(name, port);
        this.tls = tls;
        this.authentication = authentication == null ? null : new ListenerAuthentication(authentication);
    }

    public boolean tlsEnabled() {
        return Boolean.TRUE.equals(tls);
    }

    public ListenerAuthentication.Type authenticationType() {
        return authentication == null ? null : authentication.type;
    }
}
