package io.runnel.e2e.operator;

import static io.runnel.e2e.operator.CustomResources.clusterYaml;
import static io.runnel.e2e.operator.CustomResources.condition;
import static io.runnel.e2e.operator.CustomResources.ok;
import static io.runnel.e2e.operator.CustomResources.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.acl.AccessControlEntryFilter;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.ResourceNotFoundException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.apache.kafka.common.quota.ClientQuotaFilter;
import org.apache.kafka.common.quota.ClientQuotaFilterComponent;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePatternFilter;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.runnel.e2e.kube.KubeTestbed;
import io.runnel.e2e.support.E2eSettings;
import io.runnel.e2e.support.ExternalCommand;
import io.runnel.e2e.support.KafkaClients;
import io.runnel.e2e.support.VerifiableProducerProcess;

/**
 * The operator as a certificate authority and user manager (issue 11), on a real API server: a
 * three-broker Cluster with Kafka's authorizer ({@code spec.authorization}), a plain listener, a TLS
 * listener, a SCRAM-SHA-512 listener over TLS, an mTLS listener, and an mTLS inter-broker listener
 * the operator administers the brokers over with its own certificate ({@code User:secure-operator});
 * {@code User:ANONYMOUS} is no super user. The test administers as a TLS {@code User} {@code admin}
 * listed in {@code authorization.superUsers}. Clients trust only the public
 * {@code <cluster>-cluster-ca-cert} Secret and verify host names; {@code User}s yield working
 * credentials and are revoked on deletion; a forced certificate renewal rolls the brokers onto new
 * certificates while an acks=all producer over TLS loses nothing. The tests share one cluster and
 * run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorSecurityIT {
    private static final String CLUSTER = "secure";
    private static final String TOPIC = "ledger";
    /** A topic no ACL opens: anonymous clients are refused it. */
    private static final String PRIVATE_TOPIC = "vault";
    private static final int TLS_PORT = 9094;
    private static final int SCRAM_PORT = 9095;
    private static final int MTLS_PORT = 9096;
    private static final int REPLICATION_PORT = 9091;
    private static final Duration PATIENCE = Duration.ofMinutes(8);
    static final ResourceDefinitionContext USERS = new ResourceDefinitionContext.Builder().withGroup("runnel.dev").withVersion("v1alpha1")
            .withPlural("users").withKind("User").withNamespaced(true).build();

    private static KubeTestbed testbed;
    private static KubernetesClient kube;
    private static String ns;
    /** The plain listener: anonymous clients, allowed only what ACLs allow User:ANONYMOUS. */
    private static String plainBootstrap;
    /** The test's own administration: the mTLS listener as User:admin, a super user by spec.authorization. */
    private static Map<String, Object> adminSecurity;
    private static Path caTruststore;
    private static String caPassword;

    @BeforeAll
    static void aClusterWithTlsScramAndMutualTlsListeners() throws Exception {
        testbed = KubeTestbed.start("security");
        kube = testbed.client();
        Path repo = E2eSettings.repoRoot();
        ok(kubectl("apply", "-f", repo.resolve("crds").toString(), "-f", repo.resolve("k8s").toString()));
        ok(kubectl("-n", CustomResources.OPERATOR_NS, "wait", "--for=condition=Available", "deployment/runnel-operator", "--timeout=240s"));
        ns = testbed.createNamespace("security");
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("secure.yaml", clusterYaml(CLUSTER, 3,
                "  listeners:\n"
                        + "  - {name: PLAIN, port: 9092}\n"
                        + "  - {name: TLS, port: " + TLS_PORT + ", tls: true}\n"
                        + "  - {name: SCRAM, port: " + SCRAM_PORT + ", tls: true, authentication: {type: scram-sha-512}}\n"
                        + "  - {name: MTLS, port: " + MTLS_PORT + ", tls: true, authentication: {type: tls}}\n"
                        + "  - {name: REPLICATION, port: " + REPLICATION_PORT + ", tls: true, authentication: {type: tls}}\n"
                        // Brokers replicate, and the operator administers them, over mTLS; nobody anonymous is a super user.
                        + "  interBrokerListener: REPLICATION\n"
                        + "  authorization: {type: simple, superUsers: [\"User:admin\"]}\n"
                        + "  certificates: {validityDays: 30, renewalDays: 5}\n"
                        + "  config: {min.insync.replicas: \"2\"}\n"
                        + "  rollout: {settleSeconds: 10}"))));
        ok(kubectl("-n", ns, "wait", "--for=condition=Ready", "cluster/" + CLUSTER, "--timeout=300s"));
        plainBootstrap = (String) status(cluster()).get("bootstrap");
        assertThat(plainBootstrap).isEqualTo(CLUSTER + "-bootstrap." + ns + ".svc:9092");
        // What a client gets: the public copy of the cluster CA, nothing else.
        Secret caCert = kube.secrets().inNamespace(ns).withName(CLUSTER + "-cluster-ca-cert").get();
        assertThat(caCert.getData()).containsKeys("ca.crt", "ca.p12", "ca.password");
        caTruststore = Files.write(testbed.runDir().resolve("cluster-ca.p12"), bytes(caCert, "ca.p12"));
        caPassword = text(caCert, "ca.password");
        // The test's administrator: a certificate user the spec makes a super user (the operator, over its own mTLS, issues it).
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("admin.yaml", userYaml("admin", "tls", ""))));
        awaitPassDone("admin");
        adminSecurity = withCertificateOf("admin");
        adminSecurity.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, CLUSTER + "-bootstrap." + ns + ".svc:" + MTLS_PORT);
        try (Admin admin = Admin.create(adminSecurity)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3), new NewTopic(PRIVATE_TOPIC, 1, (short) 3))).all().get(2, TimeUnit.MINUTES);
            // Anonymous clients (the TLS listener's) may use the ledger topic, as ACLs say, and nothing else.
            var anonymous = new org.apache.kafka.common.acl.AccessControlEntry("User:ANONYMOUS", "*", AclOperation.ALL, AclPermissionType.ALLOW);
            admin.createAcls(List.of(
                    new AclBinding(new org.apache.kafka.common.resource.ResourcePattern(ResourceType.TOPIC, TOPIC, PatternType.LITERAL), anonymous),
                    new AclBinding(new org.apache.kafka.common.resource.ResourcePattern(ResourceType.GROUP, "over-tls", PatternType.PREFIXED), anonymous),
                    new AclBinding(new org.apache.kafka.common.resource.ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                            new org.apache.kafka.common.acl.AccessControlEntry("User:ANONYMOUS", "*", AclOperation.IDEMPOTENT_WRITE,
                                    AclPermissionType.ALLOW)))).all().get(1, TimeUnit.MINUTES);
        }
    }

    @AfterAll
    static void closeTestbed() {
        if (testbed != null) testbed.close();
    }

    @Test
    @Order(0)
    void theOperatorAdministersWithItsOwnCertificateAndAnonymousClientsAreNoSuperUsers() throws Exception {
        Secret operator = kube.secrets().inNamespace(ns).withName(CLUSTER + "-operator-certs").get();
        X509Certificate cert = certificate(text(operator, "operator.crt"));
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + CLUSTER + "-operator");
        cert.verify(certificate(text(kube.secrets().inNamespace(ns).withName(CLUSTER + "-cluster-ca-cert").get(), "ca.crt")).getPublicKey());
        Map<String, String> config = kube.configMaps().inNamespace(ns).withName(CLUSTER + "-config").get().getData();
        assertThat(config).containsEntry("RUNNEL_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .containsEntry("RUNNEL_SUPER_USERS", "User:admin;User:" + CLUSTER + "-broker;User:" + CLUSTER + "-operator");
        // The admin User is ready only after the operator described its SCRAM credentials and ACLs, which takes a super
        // user: the operator's own principal over mTLS. The plain listener gives an anonymous client no administration ...
        assertThat(condition(user("admin"), "Ready")).containsEntry("reason", "UserReady");
        try (Admin anonymous = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, plainBootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            assertThatThrownBy(() -> anonymous.describeAcls(AclBindingFilter.ANY).values().get(1, TimeUnit.MINUTES))
                    .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(ClusterAuthorizationException.class));
        }
        // ... and no topic its ACLs do not open.
        Map<String, Object> p = new HashMap<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, plainBootstrap, ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(PRIVATE_TOPIC, new byte[1])).get(1, TimeUnit.MINUTES))
                    .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(TopicAuthorizationException.class));
        }
    }

    @Test
    @Order(1)
    void theBrokersServeCertificatesOfTheOperatorsCaThatAClientVerifiesWithHostNamesThroughTheBootstrap() throws Exception {
        Secret brokers = kube.secrets().inNamespace(ns).withName(CLUSTER + "-broker-certs").get();
        X509Certificate ca = certificate(text(kube.secrets().inNamespace(ns).withName(CLUSTER + "-cluster-ca-cert").get(), "ca.crt"));
        for (int i = 0; i < 3; i++) {
            X509Certificate served = servedCertificate(brokerHost(i), TLS_PORT);
            served.verify(ca.getPublicKey());
            assertThat(served).isEqualTo(certificate(text(brokers, CLUSTER + "-" + i + ".pem")));
        }
        // Kafka's Java client, ssl.endpoint.identification.algorithm=https (its default): the bootstrap name and every
        // advertised broker name must be in the certificates.
        String tlsBootstrap = CLUSTER + "-bootstrap." + ns + ".svc:" + TLS_PORT;
        Map<String, Object> tls = trustingTheClusterCa();
        try (Admin admin = Admin.create(with(tls, AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, tlsBootstrap))) {
            assertThat(admin.describeCluster().nodes().get(1, TimeUnit.MINUTES)).hasSize(3);
        }
        produceAndReadBack(tlsBootstrap, tls, "over-tls");
        // A client trusting only the JDK's CAs refuses the brokers.
        Map<String, Object> untrusting = new HashMap<>(Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL",
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, tlsBootstrap, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
        try (Admin admin = Admin.create(untrusting)) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(1, TimeUnit.MINUTES))
                    .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(SslAuthenticationException.class));
        }
    }

    @Test
    @Order(2)
    void aScramUserGetsASecretWhoseCredentialProducesAndConsumesAndDeletingTheUserRevokesIt() throws Exception {
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("alice.yaml", userYaml("alice", "scram-sha-512",
                "  authorization:\n    acls:\n"
                        + "    - {resource: {type: topic, name: " + TOPIC + "}, operations: [Write, Read, Describe]}\n"
                        + "    - {resource: {type: group, name: alice-, patternType: prefix}, operations: [Read]}\n"))));
        awaitPassDone("alice");
        Secret secret = kube.secrets().inNamespace(ns).withName("alice").get();
        assertThat(secret.getData()).containsKeys("password", "sasl.jaas.config");
        String jaas = text(secret, "sasl.jaas.config");
        assertThat(jaas).contains("ScramLoginModule required", "username=\"alice\"", "password=\"" + text(secret, "password") + "\"");
        Map<String, Object> scram = scram(jaas);
        String scramBootstrap = CLUSTER + "-bootstrap." + ns + ".svc:" + SCRAM_PORT;
        produceAndReadBack(scramBootstrap, scram, "as-alice");
        // A wrong password is refused.
        Map<String, Object> wrong = scram(jaas.replace(text(secret, "password"), "not-the-password"));
        assertThatThrownBy(() -> produceAndReadBack(scramBootstrap, wrong, "as-mallory"))
                .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(SaslAuthenticationException.class));

        ok(kubectl("-n", ns, "delete", "user/alice", "--timeout=120s"));
        try (Admin admin = Admin.create(adminSecurity)) {
            Eventually.until("alice's SCRAM credential removed", PATIENCE, () -> {
                try {
                    admin.describeUserScramCredentials(List.of("alice")).description("alice").get();
                    return "alice still has a credential";
                } catch (ExecutionException e) {
                    return e.getCause() instanceof ResourceNotFoundException ? null : e.toString();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        assertThatThrownBy(() -> produceAndReadBack(scramBootstrap, scram, "as-deleted-alice"))
                .satisfies(e -> assertThat(causes(e)).hasAtLeastOneElementOfType(SaslAuthenticationException.class));
        Eventually.until("alice's Secret garbage-collected with the User", PATIENCE,
                () -> kube.secrets().inNamespace(ns).withName("alice").get() == null ? null : "the Secret is still there");
    }

    @Test
    @Order(3)
    void aTlsUserGetsAClientCertificateFromTheClientsCaThatTheMutualTlsListenerAccepts() throws Exception {
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("carol.yaml", userYaml("carol", "tls",
                "  authorization:\n    acls:\n    - {resource: {type: topic, name: " + TOPIC + "}, operations: [All]}\n"
                        + "    - {resource: {type: group, name: carol-, patternType: prefix}, operations: [Read]}\n"))));
        awaitPassDone("carol");
        Secret secret = kube.secrets().inNamespace(ns).withName("carol").get();
        assertThat(secret.getData()).containsKeys("user.crt", "user.key", "ca.crt", "user.p12", "user.password");
        X509Certificate cert = certificate(text(secret, "user.crt"));
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=carol");
        cert.verify(certificate(text(secret, "ca.crt")).getPublicKey());
        Map<String, Object> mtls = withCertificateOf("carol");
        produceAndReadBack(CLUSTER + "-bootstrap." + ns + ".svc:" + MTLS_PORT, mtls, "as-carol");
    }

    /**
     * ACLs and quotas reach the brokers through the Admin API. Needs brokers with an authorizer
     * (CreateAcls) and client quotas (AlterClientQuotas); on brokers without them this test is
     * aborted (reported skipped, never passed) with the User's own NotApplied reason.
     */
    @Test
    @Order(4)
    void aUsersAclsAndQuotasAreAppliedChangedAndRemovedWithTheUser() throws Exception {
        ok(kubectl("-n", ns, "apply", "-f", "-").stdin(write("bob.yaml", userYaml("bob", "scram-sha-512",
                "  authorization:\n    acls:\n"
                        + "    - {resource: {type: topic, name: orders}, operations: [Write, Describe]}\n"
                        + "    - {resource: {type: topic, name: payments}, operations: [All], type: deny}\n"
                        + "  quotas: {producerByteRate: 1048576, consumerByteRate: 2097152}\n"))));
        awaitPassDone("bob");
        Map<String, Object> ready = condition(user("bob"), "Ready");
        Assumptions.assumeTrue("True".equals(ready.get("status")),
                "pending brokers with ACLs and client quotas (issue 11 merge); the User reports: " + ready.get("message"));
        try (Admin admin = Admin.create(adminSecurity)) {
            assertThat(acls(admin, "User:bob")).extracting(b -> b.pattern().name() + " " + b.entry().operation() + " " + b.entry().permissionType())
                    .containsExactlyInAnyOrder("orders WRITE ALLOW", "orders DESCRIBE ALLOW", "payments ALL DENY");
            assertThat(quotas(admin, "bob")).containsOnly(Map.entry("producer_byte_rate", 1048576.0), Map.entry("consumer_byte_rate", 2097152.0));

            ok(kubectl("-n", ns, "patch", "user/bob", "--type=merge", "-p",
                    "{\"spec\":{\"authorization\":{\"acls\":[{\"resource\":{\"type\":\"topic\",\"name\":\"orders\"},\"operations\":[\"Read\"]}]},"
                            + "\"quotas\":{\"producerByteRate\":null,\"consumerByteRate\":4096}}}"));
            Eventually.until("bob's ACLs and quotas changed to the new spec", PATIENCE, () -> {
                try {
                    List<String> now = acls(admin, "User:bob").stream().map(b -> b.pattern().name() + " " + b.entry().operation()).toList();
                    Map<String, Double> q = quotas(admin, "bob");
                    return now.equals(List.of("orders READ")) && q.equals(Map.of("consumer_byte_rate", 4096.0)) ? null : now + " " + q;
                } catch (Exception e) {
                    return e.toString();
                }
            });
            ok(kubectl("-n", ns, "delete", "user/bob", "--timeout=120s"));
            assertThat(acls(admin, "User:bob")).isEmpty();
            assertThat(quotas(admin, "bob")).isEmpty();
        }
    }

    @Test
    @Order(5)
    void aForcedRenewalRollsTheBrokersOntoNewCertificatesWithoutLosingAnAcknowledgedRecord() throws Exception {
        Path clients = Files.createDirectories(testbed.runDir().resolve("clients"));
        Map<String, String> producerConfig = new HashMap<>(Map.of(
                "enable.idempotence", "true", "acks", "all", "retries", Integer.toString(Integer.MAX_VALUE),
                "max.in.flight.requests.per.connection", "1",
                "delivery.timeout.ms", "600000", "request.timeout.ms", "8000", "metadata.max.age.ms", "3000", "linger.ms", "5"));
        trustingTheClusterCa().forEach((k, v) -> producerConfig.put(k, String.valueOf(v)));
        BigInteger before = servedCertificate(brokerHost(0), TLS_PORT).getSerialNumber();
        String revisionBefore = statefulSet().getStatus().getUpdateRevision();
        try (VerifiableProducerProcess producer = VerifiableProducerProcess.start(CLUSTER + "-bootstrap." + ns + ".svc:" + TLS_PORT, TOPIC, 50, 30,
                producerConfig, clients)) {
            Eventually.until("the producer's first acknowledgements over TLS", PATIENCE,
                    () -> producer.ackedCount() > 0 ? null : producer.describe());
            ok(kubectl("-n", ns, "annotate", "cluster/" + CLUSTER, "runnel.dev/force-renew=true"));
            Eventually.until("new broker certificates (generation 2) and the annotation consumed", PATIENCE, () -> {
                Secret s = kube.secrets().inNamespace(ns).withName(CLUSTER + "-broker-certs").get();
                String generation = s.getMetadata().getAnnotations().get("runnel.dev/certificates-generation");
                var annotations = cluster().getMetadata().getAnnotations();
                boolean consumed = annotations == null || !annotations.containsKey("runnel.dev/force-renew");
                return "2".equals(generation) && consumed ? null : "generation " + generation + ", annotation consumed " + consumed;
            });
            Eventually.until("every broker restarted on the new template, Ready, the roll reported done", PATIENCE, () -> {
                String now = statefulSet().getStatus().getUpdateRevision();
                List<Pod> pods = brokerPods();
                long updated = pods.stream().filter(p -> now.equals(p.getMetadata().getLabels().get("controller-revision-hash"))).count();
                Object rollout = status(cluster()).get("rollout");
                boolean idle = rollout instanceof Map<?, ?> r && "Idle".equals(r.get("phase"));
                boolean ready = "True".equals(condition(cluster(), "Ready").get("status"));
                return !now.equals(revisionBefore) && updated == 3 && idle && ready ? null : updated + " of 3 updated, rollout " + rollout;
            });
            Secret brokers = kube.secrets().inNamespace(ns).withName(CLUSTER + "-broker-certs").get();
            for (int i = 0; i < 3; i++)
                assertThat(servedCertificate(brokerHost(i), TLS_PORT)).as("broker %d serves its new certificate", i)
                        .isEqualTo(certificate(text(brokers, CLUSTER + "-" + i + ".pem")));
            assertThat(servedCertificate(brokerHost(0), TLS_PORT).getSerialNumber()).isNotEqualTo(before);
            int ackedAtRollEnd = producer.ackedCount();
            Eventually.until("acknowledgements after the roll", PATIENCE, () -> producer.ackedCount() > ackedAtRollEnd + 50 ? null : producer.describe());
            producer.stop();
            assertThat(producer.errors()).as("sends the producer gave up on\n%s", producer.describe()).isEmpty();
            List<VerifiableProducerProcess.Ack> acked = producer.acked();
            Map<Integer, List<ConsumerRecord<byte[], byte[]>>> read = KafkaClients.readAll(properties(adminSecurity), TOPIC);
            List<String> lost = new ArrayList<>();
            for (var ack : acked) {
                List<ConsumerRecord<byte[], byte[]>> partition = read.get(ack.partition());
                boolean found = partition.stream().anyMatch(r -> r.offset() == ack.offset()
                        && ack.value().equals(new String(r.value(), StandardCharsets.UTF_8)));
                if (!found) lost.add(ack.toString());
            }
            assertThat(acked).hasSizeGreaterThan(100);
            assertThat(lost).as("acknowledged records not read back at their offsets").isEmpty();
        }
    }

    private static void produceAndReadBack(String bootstrap, Map<String, Object> security, String prefix) throws Exception {
        Map<String, Object> p = new HashMap<>(security);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // Plain acks=all: an idempotent producer would also need IdempotentWrite where an authorizer predates KIP-679.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class.getName());
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < 10; i++) acks.add(producer.send(new ProducerRecord<>(TOPIC, prefix + "-" + i)));
            for (Future<RecordMetadata> ack : acks) ack.get(1, TimeUnit.MINUTES);
        }
        Map<String, Object> c = new HashMap<>(security);
        c.put("bootstrap.servers", bootstrap);
        c.put("group.id", prefix.startsWith("as-") ? prefix.substring(3) + "-readers" : prefix + "-readers");
        c.put("auto.offset.reset", "earliest");
        c.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        c.put("value.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(c)) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (values.stream().filter(v -> v.startsWith(prefix + "-")).count() < 10 && System.nanoTime() < deadline)
                consumer.poll(Duration.ofMillis(500)).forEach(r -> values.add(r.value()));
        }
        assertThat(values).as("%s's records read back through %s", prefix, bootstrap).contains(prefix + "-0", prefix + "-9");
    }

    /** Client settings that trust the public cluster CA Secret (PKCS12) and verify host names (Kafka's default). */
    private static Map<String, Object> trustingTheClusterCa() {
        Map<String, Object> m = new HashMap<>();
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        m.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caTruststore.toString());
        m.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        m.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, caPassword);
        m.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "https");
        return m;
    }

    /** Trusting the cluster CA and presenting the certificate of the TLS User {@code user} (its Secret's PKCS12). */
    private static Map<String, Object> withCertificateOf(String user) throws Exception {
        Secret secret = kube.secrets().inNamespace(ns).withName(user).get();
        Path keystore = Files.write(testbed.runDir().resolve(user + ".p12"), bytes(secret, "user.p12"));
        Map<String, Object> mtls = trustingTheClusterCa();
        mtls.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore.toString());
        mtls.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        mtls.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, text(secret, "user.password"));
        return mtls;
    }

    private static Properties properties(Map<String, Object> settings) {
        Properties p = new Properties();
        p.putAll(settings);
        return p;
    }

    private static Map<String, Object> scram(String jaas) {
        Map<String, Object> m = trustingTheClusterCa();
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", jaas);
        return m;
    }

    /** An exception and its causes, outermost first. */
    private static List<Throwable> causes(Throwable e) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) chain.add(t);
        return chain;
    }

    private static Map<String, Object> with(Map<String, Object> m, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(m);
        copy.put(key, value);
        return copy;
    }

    /** The certificate a broker's TLS listener presents, read without trusting anything (to compare, not to trust). */
    private static X509Certificate servedCertificate(String host, int port) throws Exception {
        SSLContext context = io.runnel.e2e.kube.InsecureTls.context();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    private static String brokerHost(int ordinal) {
        return CLUSTER + "-" + ordinal + "." + CLUSTER + "-brokers." + ns + ".svc.cluster.local";
    }

    /** The first CERTIFICATE block of a PEM text (a broker's PEM starts with its key, then its certificate). */
    private static X509Certificate certificate(String pem) throws Exception {
        int start = pem.indexOf("-----BEGIN CERTIFICATE-----");
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.substring(start).getBytes(StandardCharsets.US_ASCII)));
    }

    private static Collection<AclBinding> acls(Admin admin, String principal) throws Exception {
        return admin.describeAcls(new AclBindingFilter(new ResourcePatternFilter(ResourceType.ANY, null, PatternType.ANY),
                new AccessControlEntryFilter(principal, null, AclOperation.ANY, AclPermissionType.ANY))).values().get(1, TimeUnit.MINUTES);
    }

    private static Map<String, Double> quotas(Admin admin, String user) throws Exception {
        var entities = admin.describeClientQuotas(ClientQuotaFilter.containsOnly(
                List.of(ClientQuotaFilterComponent.ofEntity(ClientQuotaEntity.USER, user)))).entities().get(1, TimeUnit.MINUTES);
        return entities.getOrDefault(new ClientQuotaEntity(Map.of(ClientQuotaEntity.USER, user)), Map.of());
    }

    /** The User's pass finished: its Ready condition is True, or False for what the brokers cannot do (NotApplied). */
    private static void awaitPassDone(String name) {
        Eventually.until("User " + name + " reconciled", PATIENCE, () -> {
            Map<String, Object> ready = condition(user(name), "Ready");
            return "UserReady".equals(ready.get("reason")) || "NotApplied".equals(ready.get("reason")) ? null : String.valueOf(ready);
        });
    }

    private static String userYaml(String name, String authentication, String extraSpecLines) {
        return "apiVersion: runnel.dev/v1alpha1\nkind: User\nmetadata:\n  name: " + name + "\nspec:\n  cluster: " + CLUSTER
                + "\n  authentication: {type: " + authentication + "}\n" + extraSpecLines;
    }

    private static GenericKubernetesResource user(String name) {
        return kube.genericKubernetesResources(USERS).inNamespace(ns).withName(name).get();
    }

    private static byte[] bytes(Secret s, String key) {
        return Base64.getDecoder().decode(s.getData().get(key));
    }

    private static String text(Secret s, String key) {
        return new String(bytes(s, key), StandardCharsets.UTF_8);
    }

    private static List<Pod> brokerPods() {
        return kube.pods().inNamespace(ns).withLabel("app.kubernetes.io/instance", CLUSTER).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static StatefulSet statefulSet() {
        return kube.apps().statefulSets().inNamespace(ns).withName(CLUSTER).get();
    }

    private static GenericKubernetesResource cluster() {
        return CustomResources.cluster(kube, ns, CLUSTER);
    }

    private static Path write(String file, String content) {
        return CustomResources.write(testbed.runDir(), file, content);
    }

    private static ExternalCommand kubectl(String... args) {
        return testbed.kubectl(args);
    }
}
