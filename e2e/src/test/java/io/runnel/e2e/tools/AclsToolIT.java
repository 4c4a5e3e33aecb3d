package io.runnel.e2e.tools;

import static io.runnel.e2e.support.ExternalCommand.ok;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.BrokerProcess;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.RawKafkaConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateAclsResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka's own {@code kafka-acls} (org.apache.kafka.tools.AclCommand), run as a separate process,
 * against a broker with Kafka's KRaft authorizer on: it adds ACLs (literal and prefixed, allow and
 * deny), lists them the way Kafka prints them, and removes them. The broker's PLAINTEXT principal,
 * User:ANONYMOUS, is the super user (the tool and, on Kafka, the controller connect as it), as an
 * operator sets it for a PLAINTEXT inter-broker listener. Passes against Apache Kafka 4.4 too
 * ({@code -Drunnel.e2e.broker=kafka}).
 */
class AclsToolIT {
    private static final String ACLS = "org.apache.kafka.tools.AclCommand";
    private static BrokerProcess broker;

    @BeforeAll
    static void startBroker() {
        broker = BrokerProcess.builder("acls-tool")
                .config("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .config("super.users", "User:ANONYMOUS")
                .start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void kafkaAclsAddsListsAndRemovesAclsAsOnKafka() throws Exception {
        String topic = broker.topic("orders");
        String prefix = broker.topic("pay") + "-";
        ok(acls("--add", "--allow-principal", "User:alice", "--operation", "Read", "--operation", "Write", "--topic", topic));
        ok(acls("--add", "--allow-principal", "User:alice", "--operation", "Read", "--group", "billing",
                "--resource-pattern-type", "prefixed"));
        ok(acls("--add", "--deny-principal", "User:bob", "--deny-host", "10.0.0.1", "--operation", "Write", "--topic", prefix,
                "--resource-pattern-type", "prefixed"));

        String listed = awaitListing(topic, "operation=WRITE");
        assertThat(listed).contains("Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=" + topic + ", patternType=LITERAL)`")
                .contains("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)")
                .contains("(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)");
        String all = ok(acls("--list"));
        assertThat(all).contains("ResourcePattern(resourceType=GROUP, name=billing, patternType=PREFIXED)")
                .contains("ResourcePattern(resourceType=TOPIC, name=" + prefix + ", patternType=PREFIXED)")
                .contains("(principal=User:bob, host=10.0.0.1, operation=WRITE, permissionType=DENY)");
        // --principal lists what applies to one user, across resources.
        assertThat(ok(acls("--list", "--principal", "User:bob"))).contains("principal=User:bob").doesNotContain("principal=User:alice");

        ok(acls("--remove", "--force", "--allow-principal", "User:alice", "--operation", "Write", "--topic", topic));
        String afterOne = awaitListingWithout(topic, "operation=WRITE");
        assertThat(afterOne).contains("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)");

        ok(acls("--remove", "--force", "--topic", topic));
        ok(acls("--remove", "--force", "--group", "billing", "--resource-pattern-type", "prefixed"));
        ok(acls("--remove", "--force", "--topic", prefix, "--resource-pattern-type", "prefixed"));
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        String empty;
        do {
            empty = ok(acls("--list"));
        } while (empty.contains("principal=") && Instant.now().isBefore(deadline));
        assertThat(empty).doesNotContain("principal=");
    }

    @Test
    void kafkaAclsRefusesAnOperationATopicDoesNotHaveAndManagesClusterAcls() {
        // An operation topics do not have is refused by the tool itself; --cluster names kafka-cluster for us.
        ExternalCommand.Result bad = acls("--add", "--allow-principal", "User:alice", "--operation", "IdempotentWrite", "--topic", broker.topic("x"));
        assertThat(bad.succeeded()).isFalse();
        assertThat(bad.stdout() + bad.stderr()).as(bad.describe()).contains("IdempotentWrite");
        ok(acls("--add", "--allow-principal", "User:alice", "--operation", "Describe", "--cluster"));
        assertThat(ok(acls("--list", "--cluster"))).contains("ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, patternType=LITERAL)");
        ok(acls("--remove", "--force", "--cluster"));
    }

    /**
     * Bad ACL requests get what Kafka gives them: a binding of a filter-only value (resource type
     * ANY, pattern MATCH) fails the whole CreateAcls with UNKNOWN_SERVER_ERROR; an UNKNOWN code in
     * CreateAcls, DescribeAcls or DeleteAcls closes the connection (Kafka cannot parse the request).
     */
    @Test
    void badAclRequestsAreAnsweredOrCutOffAsByKafka() throws Exception {
        var good = new CreateAclsRequestData.AclCreation().setResourceType((byte) 2).setResourceName(broker.topic("bad"))
                .setResourcePatternType((byte) 3).setPrincipal("User:a").setHost("*").setOperation((byte) 3).setPermissionType((byte) 3);
        var anyType = good.duplicate().setResourceType((byte) 1);
        var matchPattern = good.duplicate().setResourcePatternType((byte) 2);
        for (List<CreateAclsRequestData.AclCreation> creations : List.of(List.of(anyType, good.duplicate()), List.of(matchPattern))) {
            try (RawKafkaConnection raw = RawKafkaConnection.open(broker.bootstrap())) {
                CreateAclsResponse response = raw.request(ApiKeys.CREATE_ACLS, (short) 3, new CreateAclsRequestData().setCreations(creations));
                assertThat(response.data().results()).hasSize(creations.size())
                        .allSatisfy(r -> assertThat(Errors.forCode(r.errorCode())).isEqualTo(Errors.UNKNOWN_SERVER_ERROR));
            }
        }
        assertThat(ok(acls("--list", "--topic", good.resourceName()))).doesNotContain("principal=");

        assertClosed(ApiKeys.CREATE_ACLS, new CreateAclsRequestData().setCreations(List.of(good.duplicate().setOperation((byte) 0))));
        assertClosed(ApiKeys.DESCRIBE_ACLS, new DescribeAclsRequestData().setResourceTypeFilter((byte) 0).setPatternTypeFilter((byte) 1)
                .setOperation((byte) 1).setPermissionType((byte) 1).setPrincipalFilter(null).setHostFilter(null));
        assertClosed(ApiKeys.DELETE_ACLS, new DeleteAclsRequestData().setFilters(List.of(new DeleteAclsRequestData.DeleteAclsFilter()
                .setResourceTypeFilter((byte) 0).setPatternTypeFilter((byte) 1).setOperation((byte) 1).setPermissionType((byte) 1)
                .setPrincipalFilter(null).setHostFilter(null))));
    }

    private static void assertClosed(ApiKeys api, org.apache.kafka.common.protocol.ApiMessage body) throws Exception {
        try (RawKafkaConnection raw = RawKafkaConnection.open(broker.bootstrap())) {
            raw.send(RawKafkaConnection.frame(api, (short) 3, raw.nextCorrelationId(), body));
            assertThat(raw.closedByBroker(Duration.ofSeconds(30))).as(api + " with an UNKNOWN code closes the connection").isTrue();
        }
    }

    /** The listing of {@code topic} once it shows {@code text} (ACLs reach the listing broker's image a moment after the write). */
    private static String awaitListing(String topic, String text) {
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        String out;
        do {
            out = ok(acls("--list", "--topic", topic));
        } while (!out.contains(text) && Instant.now().isBefore(deadline));
        return out;
    }

    private static String awaitListingWithout(String topic, String text) {
        Instant deadline = Instant.now().plus(KafkaClients.PATIENCE);
        String out;
        do {
            out = ok(acls("--list", "--topic", topic));
        } while (out.contains(text) && Instant.now().isBefore(deadline));
        return out;
    }

    private static ExternalCommand.Result acls(String... args) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", broker.bootstrap()));
        all.addAll(List.of(args));
        return ExternalCommand.kafkaTool(ACLS, all.toArray(String[]::new)).dir(broker.dir()).timeout(Duration.ofMinutes(3)).run();
    }
}
