package io.runnel.operator.api;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.SecretKeySelector;

/** What a User asks for: a credential, ACLs and quotas. The field names are the API (Strimzi's KafkaUser's where they exist). */
// Tolerates fields it does not know: an operator must read resources a newer version wrote.
@JsonIgnoreProperties(ignoreUnknown = true)
public class UserSpec {
    @Required
    @JsonPropertyDescription("The Cluster (same namespace) this user belongs to.")
    public String cluster;

    @JsonPropertyDescription("The credential; none when unset (the user then only has ACLs and quotas, e.g. for a principal another system authenticates).")
    public Authentication authentication;

    @JsonPropertyDescription("ACLs of User:<name>. The operator owns every ACL of this principal: ones not listed are removed.")
    public Authorization authorization;

    @JsonPropertyDescription("Client quotas of user <name>; unset ones are removed.")
    public Quotas quotas;

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Authentication {
        public enum Type {
            @JsonProperty("scram-sha-512") SCRAM_SHA_512,
            @JsonProperty("tls") TLS
        }

        @Required
        @JsonPropertyDescription("scram-sha-512: a password (generated unless given) set as the user's SCRAM-SHA-512 credential; tls: a certificate with CN=<name> from the clients CA.")
        public Type type;

        @JsonPropertyDescription("scram-sha-512 only: take the password from this key of a Secret instead of generating one.")
        public Password password;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Password {
        @Required
        public PasswordSource valueFrom;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class PasswordSource {
        @Required
        public SecretKeySelector secretKeyRef;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Authorization {
        public List<AclRule> acls = new ArrayList<>();
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class AclRule {
        public enum Type { allow, deny }

        public enum Operation { Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All }

        @Required
        public AclResource resource;

        @Required
        public List<Operation> operations = new ArrayList<>();

        @Default("\"*\"")
        @JsonPropertyDescription("The client host the rule is for; * (the default) for any.")
        public String host = "*";

        @Default("allow")
        public Type type = Type.allow;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class AclResource {
        public enum Type { topic, group, cluster, transactionalId }

        public enum PatternType { literal, prefix }

        @Required
        public Type type;

        @JsonPropertyDescription("The resource's name, or its prefix with patternType prefix; * for every one. Not used for type cluster.")
        public String name;

        @Default("literal")
        public PatternType patternType = PatternType.literal;
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public static class Quotas {
        @Min(0)
        @JsonPropertyDescription("producer_byte_rate: bytes per second this user may produce, per broker.")
        public Long producerByteRate;

        @Min(0)
        @JsonPropertyDescription("consumer_byte_rate: bytes per second this user may fetch, per broker.")
        public Long consumerByteRate;

        @Min(0)
        @Max(100000)
        @JsonPropertyDescription("request_percentage: share of a broker's request handler time, in percent of one thread.")
        public Double requestPercentage;

        @Min(0)
        @JsonPropertyDescription("controller_mutation_rate: partition mutations per second (creating, deleting topics and partitions).")
        public Double controllerMutationRate;
    }
}
