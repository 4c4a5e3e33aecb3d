package io.runnel.broker;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.runnel.broker.api.AllocateProducerIdsHandler;
import io.runnel.broker.api.AlterConfigsHandler;
import io.runnel.broker.api.AlterPartitionHandler;
import io.runnel.broker.api.AlterPartitionReassignmentsHandler;
import io.runnel.broker.api.AlterUserScramCredentialsHandler;
import io.runnel.broker.api.ElectLeadersHandler;
import io.runnel.broker.api.ForwardingHandler;
import io.runnel.broker.api.ListPartitionReassignmentsHandler;
import io.runnel.broker.api.ApiVersionsHandler;
import io.runnel.broker.api.CreatePartitionsHandler;
import io.runnel.broker.api.CreateTopicsHandler;
import io.runnel.broker.api.DeleteRecordsHandler;
import io.runnel.broker.api.DeleteTopicsHandler;
import io.runnel.broker.api.DescribeClusterHandler;
import io.runnel.broker.api.DescribeConfigsHandler;
import io.runnel.broker.api.DescribeLogDirsHandler;
import io.runnel.broker.api.DescribeProducersHandler;
import io.runnel.broker.api.DescribeUserScramCredentialsHandler;
import io.runnel.broker.api.WriteTxnMarkersHandler;
import io.runnel.broker.api.DescribeTopicPartitionsHandler;
import io.runnel.broker.api.FetchHandler;
import io.runnel.broker.api.IncrementalAlterConfigsHandler;
import io.runnel.broker.api.ListOffsetsHandler;
import io.runnel.broker.api.MetadataHandler;
import io.runnel.broker.api.OffsetForLeaderEpochHandler;
import io.runnel.broker.api.ProduceHandler;
import io.runnel.broker.api.QuorumRequestHandler;
import io.runnel.broker.api.BrokerHeartbeatHandler;
import io.runnel.broker.api.BrokerRegistrationHandler;
import io.runnel.broker.api.SaslIllegalStateHandler;
import io.runnel.broker.api.CreateAclsHandler;
import io.runnel.broker.api.DeleteAclsHandler;
import io.runnel.broker.api.DescribeAclsHandler;
import io.runnel.broker.api.EnvelopeHandler;
import io.runnel.broker.security.Authorization;
import io.runnel.broker.cluster.AlterPartitionSender;
import io.runnel.broker.cluster.BrokerLifecycleManager;
import io.runnel.broker.cluster.ControllerChannel;
import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.group.GroupApis;
import io.runnel.broker.group.GroupConfig;
import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.log.LogManager;
import io.runnel.broker.metadata.BrokerImage;
import io.runnel.broker.metadata.QuorumMetadataLog;
import io.runnel.broker.metadata.MetaProperties;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.metrics.BrokerMetrics;
import io.runnel.broker.metrics.ConsumerGroupMetrics;
import io.runnel.broker.metrics.ConsumerLagMetrics;
import io.runnel.broker.network.KafkaServer;
import io.runnel.broker.fetch.FetchSessionCache;
import io.runnel.broker.partition.FetchPurgatory;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.LogCleaner;
import io.runnel.broker.partition.Partition;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.producer.ProducerIdManager;
import io.runnel.broker.protocol.ApiHandler;
import io.runnel.broker.replication.ReplicaFetcherManager;
import io.runnel.broker.security.ScramCredentials;
import io.runnel.broker.txn.TransactionApis;
import io.runnel.broker.txn.TransactionConfig;
import io.runnel.broker.txn.TransactionCoordinator;
import io.runnel.broker.replication.ReplicationQuotas;
import io.runnel.broker.security.MetadataScramCredentials;
import io.runnel.broker.security.ScramBootstrap;
import io.runnel.broker.security.ScramCredentials;
import io.runnel.broker.protocol.SupportedApis;
import io.runnel.broker.txn.TransactionVerifier;
import io.runnel.broker.txn.TxnMarkerChannel;
import io.runnel.broker.txn.TxnMarkerWriter;
import io.vertx.core.Vertx;

/**
 * One Runnel broker: assembles storage, metadata, partitions and the Kafka listeners, and starts
 * and stops them in dependency order. Plain Java on Vert.x, so tests can run several brokers in one
 * JVM; the Quarkus application ({@code io.runnel.broker.app}) is a thin shell around it.
 *
 * <p>Start order: log dirs → controller listener (quorum peers must reach it to elect) → metadata
 * log replay, once a quorum leader is known (which loads and recovers partition logs) → client
 * listeners → broker registration (directly in a quorum of one, else with the active controller,
 * heartbeating from then on) → ready. Stop order is the reverse, beginning with a controlled
 * shutdown and ending with the clean-shutdown marker so that the next start skips recovery.
 * Threading: start/close from one non-event-loop thread.
 */
public final class Broker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Broker.class);

    private final BrokerConfig config;
    private final GroupConfig groupConfig;
    private final TransactionConfig transactionConfig;
    private final Vertx vertx;
    private final Time time;
    private final BrokerMetrics metrics;
    private final io.runnel.broker.quota.QuotaMetrics quotaMetrics;
    /** Client quotas on the client listeners' requests, from the cluster metadata's quotas. */
    private io.runnel.broker.quota.ClientQuotas clientQuotas;
    /** Connection limits of the client listeners, and connection-rate quotas of client addresses. */
    private io.runnel.broker.quota.ConnectionQuotas connectionQuotas;
    private IoThreadPool ioThreads;
    private LogManager logManager;
    private QuorumMetadataLog metadataLog;
    private MetadataController controller;
    /** Where SCRAM authentication finds credentials: the metadata's, set with the controller, unless a test set others first. */
    private ScramCredentials scramCredentials;
    private ReplicaManager replicaManager;
    /** Who may do what (ACLs from the metadata); every check passes unless authorizer.class.name is set. */
    private Authorization authorization;
    private LogCleaner logCleaner;
    private GroupCoordinator groupCoordinator;
    private TransactionCoordinator transactionCoordinator;
    /** Transaction markers: written here for partitions this broker leads, sent to their leaders otherwise. */
    private TxnMarkerChannel txnMarkers;
    private KafkaServer server;
    /** The controller listener, on nodes with the controller role and a network quorum. */
    private KafkaServer controllerServer;
    /** In a multi-node cluster: the link to the active controller, and this broker's registration and heartbeats over it. */
    private ControllerChannel controllerChannel;
    private BrokerLifecycleManager lifecycle;
    /** How long a stopping broker waits for the controller to agree to its controlled shutdown. */
    static final long CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5_000;
    private long retentionTimerId = -1;
    private long lagTimerId = -1;
    private long isrTimerId = -1;
    private long scramBootstrapTimerId = -1;
    /** In a multi-node cluster: the fetchers that copy the partitions this broker follows. */
    private ReplicaFetcherManager replicaFetchers;
    /** The replication throttles (kafka-reassign-partitions --throttle), as the metadata sets them. */
    private ReplicationQuotas replicationQuotas;
    private final ConsumerLagMetrics lagMetrics;
    private final ConsumerGroupMetrics groupMetrics;
    /** How often consumer-group lag gauges are recomputed. */
    static final long LAG_REFRESH_INTERVAL_MS = 10_000;
    /** How often a controller checks whether it is active and a bootstrap SCRAM credential is still missing. */
    static final long SCRAM_BOOTSTRAP_CHECK_MS = 1_000;
    /** How long start() waits for the bootstrapped SCRAM credentials to reach this node's image. */
    static final long SCRAM_BOOTSTRAP_WAIT_MS = 30_000;
    private volatile boolean ready;

    public Broker(BrokerConfig config, Vertx vertx, MeterRegistry registry, Time time) {
        this(config, GroupConfig.DEFAULT, vertx, registry, time);
    }

    public Broker(BrokerConfig config, GroupConfig groupConfig, Vertx vertx, MeterRegistry registry, Time time) {
        this(config, groupConfig, TransactionConfig.DEFAULT, vertx, registry, time);
    }

    public Broker(BrokerConfig config, GroupConfig groupConfig, TransactionConfig transactionConfig, Vertx vertx, MeterRegistry registry,
                  Time time) {
        this.config = config;
        this.groupConfig = groupConfig;
        this.transactionConfig = transactionConfig;
        this.vertx = vertx;
        this.time = time;
        this.metrics = new BrokerMetrics(registry);
        this.quotaMetrics = new io.runnel.broker.quota.QuotaMetrics(registry);
        this.lagMetrics = new ConsumerLagMetrics(registry);
        this.groupMetrics = new ConsumerGroupMetrics(registry);
    }

    /**
     * Replaces where SCRAM authentication on SASL listeners finds users' credentials (the cluster
     * metadata's by default); for tests, before {@link #start()}.
     */
    public void scramCredentials(ScramCredentials credentials) {
        this.scramCredentials = java.util.Objects.requireNonNull(credentials);
    }

    /** Starts the broker and returns once it accepts clients. */
    public void start() {
        long startNanos = System.nanoTime();
        Path firstLogDir = config.logDirs().get(0);
        String clusterId = null;
        for (Path dir : config.logDirs()) clusterId = MetaProperties.ensure(dir, clusterId == null ? config.clusterId() : clusterId, config.nodeId());

        ioThreads = new IoThreadPool(config.numIoThreads());
        metrics.ioThreads(ioThreads);
        logManager = new LogManager(config.logDirs(), time);
        logManager.onFlush(metrics::logFlushed);
        metadataLog = openMetadataLog(clusterId, firstLogDir);
        MetadataController[] controllerRef = new MetadataController[1];
        replicationQuotas = new ReplicationQuotas(config.nodeId());
        if (config.cluster().isSingleNode()) {
            replicaManager = new ReplicaManager(config, logManager, ioThreads, new FetchPurgatory(), metrics, time);
        } else {
            int requestTimeoutMs = Integer.parseInt(config.quorumSettings().get("controller.quorum.request.timeout.ms"));
            controllerChannel = new ControllerChannel(config.nodeId(), config.controllerChannel(),
                    config.cluster().voters(), metadataLog.quorum()::leaderAndEpoch, requestTimeoutMs, config.connectionsMaxIdleMs(), time);
            // The controller is created just below; these only ask it for this broker's epoch once running.
            replicaFetchers = new ReplicaFetcherManager(config, () -> controllerRef[0].brokerEpoch(), replicationQuotas, time);
            replicaManager = new ReplicaManager(config, logManager, ioThreads, new FetchPurgatory(), metrics, time,
                    new AlterPartitionSender(config.nodeId(), () -> controllerRef[0].brokerEpoch(), controllerChannel), replicaFetchers);
        }
        controller = controllerRef[0] = new MetadataController(config, clusterId, metadataLog);
        authorization = Authorization.of(config.authorizer(), this::listenerProtocol);
        controller.addListener(authorization); // first: the replayed image's ACLs are loaded before any listener serves
        if (scramCredentials == null) scramCredentials = new MetadataScramCredentials(controller::image);
        if (controllerChannel != null) controller.forwardTo(controllerChannel);
        controller.addListener((previous, current) -> replicationQuotas.update(current));
        controller.addListener(replicaManager);
        if (config.cluster().isController() && config.controllerListener().isPresent()) {
            // Before the log is replayed: the other quorum members must reach this one to elect a leader.
            controllerServer = new KafkaServer(vertx, config, List.of(config.controllerListener().get()), controllerApis(), metrics);
            controllerServer.start().join();
        }
        controller.start().join();
        metrics.brokerGauges(config.logDirs(), config.nodeId(), controller::image, () -> metadataLog.leaderEpoch() >= 0);
        metrics.underMinIsrGauge(replicaManager::underMinIsrPartitions);

        SupportedApis apis = supportedApis();
        groupCoordinator.start(); // loads __consumer_offsets if it exists; else it is created on first FindCoordinator
        transactionCoordinator.start(); // the same for __transaction_state
        clientQuotas = new io.runnel.broker.quota.ClientQuotas(config.quotas(), () -> controller.image().clientQuotas(), quotaMetrics, time);
        // The inter-broker listener carries replication: exempt from max.connections, as in Kafka. A single node has none.
        String interBrokerListener = config.interBrokerChannel() == null || config.cluster().isSingleNode() ? null : config.interBrokerListener();
        connectionQuotas = new io.runnel.broker.quota.ConnectionQuotas(config.quotas(), interBrokerListener, quotaMetrics,
                () -> controller.image().clientQuotas(), time);
        server = new KafkaServer(vertx, config, config.clientListeners(), apis, metrics, scramCredentials, clientQuotas, connectionQuotas);
        server.start().join();
        register(clusterId);
        if (!config.scramBootstrapCredentials().isEmpty() && config.cluster().isController()) {
            // Until the active controller has written them; after that each check is a few image lookups.
            ScramBootstrap scramBootstrap = new ScramBootstrap(config.scramBootstrapCredentials(), controller,
                    new MetadataScramCredentials(controller::image), () -> metadataLog.leaderEpoch() >= 0,
                    command -> vertx.executeBlocking(() -> {
                        command.run();
                        return null;
                    }, false));
            scramBootstrap.writeMissing();
            scramBootstrapTimerId = vertx.setPeriodic(SCRAM_BOOTSTRAP_CHECK_MS, id -> scramBootstrap.writeMissing());
        }
        if (!config.scramBootstrapCredentials().isEmpty()) awaitScramBootstrap();
        retentionTimerId = vertx.setPeriodic(config.logRetentionCheckIntervalMs(), id -> replicaManager.runRetention());
        lagTimerId = vertx.setPeriodic(LAG_REFRESH_INTERVAL_MS, id -> refreshConsumerLag());
        if (replicaFetchers != null) {
            long checkMs = Math.max(1, config.cluster().replicaLagTimeMaxMs() / 2);
            isrTimerId = vertx.setPeriodic(checkMs, id -> replicaManager.maybeShrinkIsrs());
        }
        logCleaner = new LogCleaner(replicaManager, config.logCleaner(), metrics, time);
        logCleaner.start();
        ready = true;
        LOG.infof("Runnel broker %d of cluster %s ready in %d ms (log dirs %s)", config.nodeId(), clusterId,
                (System.nanoTime() - startNanos) / 1_000_000, config.logDirs());
    }

    /**
     * Ready means usable: a client using a bootstrapped SCRAM credential must not be refused by a
     * node that has not seen it yet. Bounded, since only controllers given the setting write it:
     * past the bound the node starts anyway, with a warning.
     */
    private void awaitScramBootstrap() {
        MetadataScramCredentials known = new MetadataScramCredentials(controller::image);
        long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SCRAM_BOOTSTRAP_WAIT_MS);
        while (config.scramBootstrapCredentials().stream().anyMatch(c -> known.lookup(c.user(), c.mechanism()).isEmpty())) {
            if (System.nanoTime() > deadlineNanos) {
                LOG.warnf("Bootstrapped SCRAM credentials %s are not all in the metadata after %d ms; starting anyway (is "
                        + "runnel.scram.bootstrap.credentials set on the active controller?)", config.scramBootstrapCredentials(), SCRAM_BOOTSTRAP_WAIT_MS);
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private QuorumMetadataLog openMetadataLog(String clusterId, Path logDir) {
        if (config.cluster().isSingleNode())
            return QuorumMetadataLog.singleNode(config.nodeId(), clusterId, logDir, config.quorumSettings(), time);
        return QuorumMetadataLog.networked(config.nodeId(), clusterId, logDir, config.cluster().voters(),
                config.controllerChannel(), config.quorumSettings(), config.connectionsMaxIdleMs(), time);
    }

    /**
     * What the controller listener serves: the quorum's own APIs between its members, and what
     * brokers ask the active controller (registration, heartbeats, forwarded writes).
     */
    private SupportedApis controllerApis() {
        SupportedApis[] self = new SupportedApis[1];
        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler(() -> self[0]));
        QuorumRequestHandler quorum = new QuorumRequestHandler(metadataLog.quorum(), null);
        for (ApiKeys api : QuorumRequestHandler.QUORUM_APIS) handlers.put(api, quorum);
        handlers.put(ApiKeys.BROKER_REGISTRATION, new BrokerRegistrationHandler(controller));
        handlers.put(ApiKeys.BROKER_HEARTBEAT, new BrokerHeartbeatHandler(controller));
        // What brokers forward: topics they create themselves, producer id blocks.
        handlers.put(ApiKeys.CREATE_TOPICS, new CreateTopicsHandler(controller, config, false, authorization));
        handlers.put(ApiKeys.ALLOCATE_PRODUCER_IDS, new AllocateProducerIdsHandler(controller));
        handlers.put(ApiKeys.ALTER_PARTITION, new AlterPartitionHandler(controller));
        Map<ApiKeys, ApiHandler> writes = controllerWrites();
        handlers.replaceAll((api, handler) -> authorization.guard(api, handler, true));
        for (Map.Entry<ApiKeys, ApiHandler> write : writes.entrySet()) handlers.put(write.getKey(), write.getValue());
        // Writes other brokers forward, served as their clients' principals.
        handlers.put(ApiKeys.ENVELOPE, authorization.guard(ApiKeys.ENVELOPE, new EnvelopeHandler(writes), true));
        // Advertised in ApiVersions so that peers' SASL clients find them; the exchange itself is the connection's.
        handlers.put(ApiKeys.SASL_HANDSHAKE, new SaslIllegalStateHandler());
        handlers.put(ApiKeys.SASL_AUTHENTICATE, new SaslIllegalStateHandler());
        metrics.countErrors(handlers);
        self[0] = new SupportedApis(handlers);
        return self[0];
    }

    /**
     * The admin writes only the active controller can make: served there, forwarded to it from
     * every other broker (see {@link ForwardingHandler}).
     */
    private Map<ApiKeys, ApiHandler> controllerWrites() {
        Map<ApiKeys, ApiHandler> writes = new EnumMap<>(ApiKeys.class);
        writes.put(ApiKeys.DELETE_TOPICS, new DeleteTopicsHandler(controller, authorization));
        writes.put(ApiKeys.CREATE_PARTITIONS, new CreatePartitionsHandler(controller, authorization));
        writes.put(ApiKeys.ALTER_CONFIGS, new AlterConfigsHandler(controller, authorization));
        writes.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, new IncrementalAlterConfigsHandler(controller, authorization));
        writes.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, new AlterPartitionReassignmentsHandler(controller));
        writes.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, new ListPartitionReassignmentsHandler(controller));
        writes.put(ApiKeys.ELECT_LEADERS, new ElectLeadersHandler(controller));
        writes.put(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, new AlterUserScramCredentialsHandler(controller));
        writes.put(ApiKeys.CREATE_ACLS, new CreateAclsHandler(controller, authorization.enabled()));
        writes.put(ApiKeys.DELETE_ACLS, new DeleteAclsHandler(controller, authorization.enabled()));
        writes.put(ApiKeys.ALTER_CLIENT_QUOTAS, new io.runnel.broker.api.AlterClientQuotasHandler(controller));
        // Checked where they are served: on the active controller, as the client's principal (see EnvelopeHandler).
        writes.replaceAll((api, handler) -> authorization.guard(api, handler, false));
        return writes;
    }

    /** The active controller as clients should see it: the quorum leader, or -1 while there is none. */
    private int activeControllerId() {
        return metadataLog.quorum().leaderAndEpoch().leaderId().orElse(-1);
    }

    private SupportedApis supportedApis() {
        ProducerIdManager producerIds = new ProducerIdManager(controller);
        SupportedApis[] self = new SupportedApis[1];
        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler(() -> self[0]));
        handlers.put(ApiKeys.METADATA, new MetadataHandler(controller, config, this::activeControllerId, authorization));
        handlers.put(ApiKeys.CREATE_TOPICS, new CreateTopicsHandler(controller, config, true, authorization));
        Map<ApiKeys, ApiHandler> writes = controllerWrites();
        writes.forEach((api, handler) ->
                handlers.put(api, new ForwardingHandler(handler, () -> metadataLog.leaderEpoch() >= 0, controllerChannel)));
        FetchSessionCache fetchSessions = new FetchSessionCache(config.fetchSessions());
        metrics.fetchSessions(fetchSessions);
        handlers.put(ApiKeys.FETCH, new FetchHandler(controller, replicaManager, metrics, replicationQuotas, authorization, fetchSessions, time));
        handlers.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(controller, replicaManager, authorization));
        handlers.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(controller, replicaManager, authorization));
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(controller, this::activeControllerId, authorization));
        handlers.put(ApiKeys.DESCRIBE_QUORUM, new QuorumRequestHandler(metadataLog.quorum(), controllerChannel));
        handlers.put(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(controller, config, authorization));
        handlers.put(ApiKeys.DESCRIBE_TOPIC_PARTITIONS, new DescribeTopicPartitionsHandler(controller, authorization));
        handlers.put(ApiKeys.DESCRIBE_LOG_DIRS, new DescribeLogDirsHandler(config, replicaManager));
        handlers.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(controller, replicaManager, authorization));
        handlers.put(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(controller, replicaManager, authorization));
        handlers.put(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, new DescribeUserScramCredentialsHandler(controller));
        handlers.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, new io.runnel.broker.api.DescribeClientQuotasHandler(controller));
        handlers.put(ApiKeys.DESCRIBE_ACLS, new DescribeAclsHandler(authorization));
        // Reached only outside a SASL exchange (which the connection handles before dispatch): ILLEGAL_SASL_STATE.
        handlers.put(ApiKeys.SASL_HANDSHAKE, new SaslIllegalStateHandler());
        handlers.put(ApiKeys.SASL_AUTHENTICATE, new SaslIllegalStateHandler());
        groupCoordinator = GroupApis.register(handlers, controller, replicaManager, ioThreads, groupConfig, time, authorization);
        TxnMarkerWriter markerWriter = new TxnMarkerWriter(config.nodeId(), controller::image, replicaManager,
                groupCoordinator::completeTransaction, time);
        handlers.put(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(markerWriter));
        txnMarkers = new TxnMarkerChannel(config.nodeId(), config.interBrokerChannel(), controller::image, markerWriter,
                config.connectionsMaxIdleMs(), time);
        controller.addListener((previous, current) -> groupCoordinator.onImage(current)); // after the replica manager's
        // After the group APIs: replaces InitProducerId and FindCoordinator with their transactional versions.
        transactionCoordinator = TransactionApis.register(handlers, controller, replicaManager, ioThreads, producerIds, groupCoordinator,
                txnMarkers, transactionConfig, time);
        controller.addListener((previous, current) -> transactionCoordinator.onImage(current));
        handlers.put(ApiKeys.FIND_COORDINATOR, new io.runnel.broker.api.FindCoordinatorHandler(groupCoordinator, transactionCoordinator, controller,
                authorization));
        handlers.put(ApiKeys.PRODUCE, new ProduceHandler(controller, replicaManager, config, metrics,
                transactionConfig.partitionVerificationEnabled()
                        ? new TransactionVerifier(config.nodeId(), controller::image, transactionCoordinator, txnMarkers) : null,
                authorization));
        // Forwarded writes are checked by the active controller, not twice.
        handlers.replaceAll((api, handler) -> writes.containsKey(api) ? handler : authorization.guard(api, handler, false));
        metrics.countErrors(handlers);
        self[0] = new SupportedApis(handlers);
        return self[0];
    }

    /**
     * Registers this broker with the active controller and waits until it is accepted: directly
     * in a quorum of one, else over the controller listener, heartbeating from then on.
     */
    private void register(String clusterId) {
        List<BrokerImage.Endpoint> endpoints = advertisedListeners().stream()
                .map(l -> new BrokerImage.Endpoint(l.name(), l.host(), l.port(), advertisedProtocol(l.name()).id)).toList();
        if (config.cluster().isSingleNode()) {
            controller.registerBroker(new MetadataController.BrokerRegistration(config.nodeId(), Uuid.randomUuid(), endpoints, config.rack())).join();
            return;
        }
        lifecycle = new BrokerLifecycleManager(config.nodeId(), clusterId, config.rack(), config.cluster().brokerHeartbeatIntervalMs(),
                controllerChannel, () -> controller.image().offset());
        lifecycle.start(endpoints).join();
    }

    /** A listener's security protocol, for the authorizer's view of a request (PLAINTEXT for a name this node does not listen on). */
    private SecurityProtocol listenerProtocol(String listenerName) {
        return config.listeners().stream().anyMatch(l -> l.name().equals(listenerName)) ? config.security(listenerName).protocol()
                : SecurityProtocol.PLAINTEXT;
    }

    /** Who may do what: ACLs from the metadata, super users, or nothing checked when no authorizer is configured. */
    public Authorization authorization() {
        return authorization;
    }

    /** An advertised listener's security protocol: its listener's, else the protocol map's entry for that name. */
    private SecurityProtocol advertisedProtocol(String listenerName) {
        return config.listeners().stream().anyMatch(l -> l.name().equals(listenerName)) ? config.security(listenerName).protocol()
                : SecurityProtocol.PLAINTEXT;
    }

    /** The advertised listeners, with port 0 replaced by the port the same-named listener bound. */
    private List<BrokerConfig.Listener> advertisedListeners() {
        List<Integer> bound = server.boundPorts();
        return config.advertisedListeners().stream().map(a -> {
            if (a.port() != 0) return a;
            List<BrokerConfig.Listener> listeners = config.clientListeners();
            for (int i = 0; i < listeners.size(); i++) {
                if (listeners.get(i).name().equals(a.name())) return new BrokerConfig.Listener(a.name(), a.host(), bound.get(i));
            }
            throw new IllegalStateException("advertised listener " + a + " has port 0 and no listener named " + a.name());
        }).toList();
    }

    /** Ready: logs recovered, registered in the metadata log, listeners bound. */
    public boolean isReady() {
        return ready;
    }

    /** The bound port of each listener, in config order. */
    public List<Integer> boundPorts() {
        return server.boundPorts();
    }

    public String bootstrapServers() {
        return config.clientListeners().get(0).host() + ":" + boundPorts().get(0);
    }

    public LogCleaner logCleaner() {
        return logCleaner;
    }

    public ReplicaManager replicaManager() {
        return replicaManager;
    }

    public MetadataController controller() {
        return controller;
    }

    /**
     * Where authentication looks up SCRAM credentials: this broker's metadata image, always the
     * latest. Set by {@link #start()} before any listener is bound; null before that.
     */
    public ScramCredentials scramCredentials() {
        return scramCredentials;
    }

    /** Recomputes the consumer-group lag gauges from committed offsets and high watermarks, and the group state and member gauges. */
    public CompletableFuture<Void> refreshConsumerLag() {
        return groupCoordinator.committedOffsets().thenAccept(committed -> lagMetrics.update(committed, tp -> {
            Partition partition = replicaManager.partition(tp);
            return partition == null ? -1 : partition.highWatermark();
        })).thenCompose(v -> groupMetrics.refresh(groupCoordinator));
    }

    public GroupCoordinator groupCoordinator() {
        return groupCoordinator;
    }

    public TransactionCoordinator transactionCoordinator() {
        return transactionCoordinator;
    }

    @Override
    public void close() {
        ready = false;
        if (retentionTimerId >= 0) vertx.cancelTimer(retentionTimerId);
        if (lagTimerId >= 0) vertx.cancelTimer(lagTimerId);
        if (isrTimerId >= 0) vertx.cancelTimer(isrTimerId);
        if (scramBootstrapTimerId >= 0) vertx.cancelTimer(scramBootstrapTimerId);
        if (lifecycle != null) {
            // While everything still serves: the controller fences this broker now, not a session timeout later.
            lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_TIMEOUT_MS);
            lifecycle.close();
        }
        if (replicaFetchers != null) replicaFetchers.close();
        if (server != null) server.close();
        if (clientQuotas != null) clientQuotas.close();
        if (connectionQuotas != null) connectionQuotas.close();
        if (txnMarkers != null) txnMarkers.close();
        if (logCleaner != null) logCleaner.close(); // a pass in flight finishes its chunk; its install then finds the partitions gone or completes at next open
        // Before the partitions and I/O threads: the shards' timers would otherwise hold the I/O threads' shutdown.
        if (transactionCoordinator != null) transactionCoordinator.close(); // its marker retries stop before the partitions they write to
        if (groupCoordinator != null) groupCoordinator.close();
        if (replicaManager != null) replicaManager.close();
        if (controller != null) controller.close(); // a leading controller resigns here, so the controller listener stays up until then
        if (controllerServer != null) controllerServer.close();
        if (controllerChannel != null) controllerChannel.close();
        if (ioThreads != null) ioThreads.close();
        if (logManager != null) logManager.shutdown();
        LOG.infof("Runnel broker %d stopped cleanly", config.nodeId());
    }
}
