package io.runnel.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * Every version of the transaction coordinator's APIs, sent over a raw socket to a running
 * broker: each gets a well-formed answer a client of that version understands. The markers'
 * outcome is not checked here (ended transactions may still be PrepareAbort until the marker
 * channel is wired): this is about the wire, {@link TransactionShardTest} about the behaviour.
 */
class EveryTransactionApiVersionTest {
    static final String TOPIC = "txn-versions";

    @TempDir
    static Path dataDir;
    static RunningBroker broker;
    static RawKafkaClient client;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        broker = new RunningBroker(dataDir, Map.of("transaction.state.log.num.partitions", "3"));
        String[] hostPort = broker.bootstrapServers().split(":");
        port = Integer.parseInt(hostPort[1]);
        client = new RawKafkaClient(hostPort[0], port);
        CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
        create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(TOPIC).setNumPartitions(2).setReplicationFactor((short) 1));
        client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        broker.close();
    }

    static List<Short> versions(ApiKeys key) {
        List<Short> versions = new ArrayList<>();
        for (short v = key.oldestVersion(); v <= key.latestVersion(); v++) versions.add(v);
        return versions;
    }

    static short capped(ApiKeys key, int v) {
        return (short) Math.min(Math.max(v, key.oldestVersion()), key.latestVersion());
    }

    /** Sends until the answer is not "coordinator loading / not yet available" (the transaction topic is created and loaded on first use). */
    static <T extends ApiMessage> T untilAvailable(Supplier<T> send, java.util.function.Function<T, Errors> error) throws Exception {
        T response = send.get();
        for (int i = 0; i < 200 && Set.of(Errors.COORDINATOR_LOAD_IN_PROGRESS, Errors.COORDINATOR_NOT_AVAILABLE).contains(error.apply(response)); i++) {
            Thread.sleep(50);
            response = send.get();
        }
        return response;
    }

    static ApiMessage send(ApiKeys key, short version, ApiMessage body) {
        try {
            return client.send(key, version, body);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void findCoordinatorOfATransactionalIdAtEveryVersion() throws Exception {
        for (short v : versions(ApiKeys.FIND_COORDINATOR)) {
            if (v == 0) continue; // v0 has no key type: always a group
            FindCoordinatorRequestData request = new FindCoordinatorRequestData().setKeyType((byte) 1);
            if (v >= 4) request.setCoordinatorKeys(List.of("fc-a-" + v, "fc-b-" + v)); else request.setKey("fc-" + v);
            FindCoordinatorResponseData response = untilAvailable(() -> (FindCoordinatorResponseData) send(ApiKeys.FIND_COORDINATOR, v, request),
                    r -> Errors.forCode(v >= 4 ? r.coordinators().get(0).errorCode() : r.errorCode()));
            if (v >= 4) {
                assertThat(response.coordinators()).hasSize(2).allSatisfy(c -> {
                    assertThat(c.errorCode()).as("v%d", v).isZero();
                    assertThat(c.port()).isEqualTo(port);
                });
            } else {
                assertThat(response.errorCode()).as("v%d", v).isZero();
                assertThat(response.port()).isEqualTo(port);
            }
        }
    }

    @Test
    void aTransactionAtEveryVersionOfInitAddEndDescribeAndList() throws Exception {
        int rounds = Math.max(ApiKeys.INIT_PRODUCER_ID.latestVersion(), ApiKeys.END_TXN.latestVersion()) + 1;
        for (int i = 0; i < rounds; i++) {
            String id = "every-version-" + i;
            short initV = capped(ApiKeys.INIT_PRODUCER_ID, i);
            InitProducerIdResponseData init = untilAvailable(() -> (InitProducerIdResponseData) send(ApiKeys.INIT_PRODUCER_ID, initV,
                    new InitProducerIdRequestData().setTransactionalId(id).setTransactionTimeoutMs(60_000)), r -> Errors.forCode(r.errorCode()));
            assertThat(Errors.forCode(init.errorCode())).as("InitProducerId v%d", initV).isEqualTo(Errors.NONE);
            assertThat(init.producerEpoch()).isZero();

            short addV = capped(ApiKeys.ADD_PARTITIONS_TO_TXN, Math.min(i, 3));
            AddPartitionsToTxnRequestData add = new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(id)
                    .setV3AndBelowProducerId(init.producerId()).setV3AndBelowProducerEpoch(init.producerEpoch());
            add.v3AndBelowTopics().add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(TOPIC).setPartitions(List.of(0, 1)));
            AddPartitionsToTxnResponseData added = (AddPartitionsToTxnResponseData) send(ApiKeys.ADD_PARTITIONS_TO_TXN, addV, add);
            assertThat(added.resultsByTopicV3AndBelow().find(TOPIC).resultsByPartition()).as("AddPartitionsToTxn v%d", addV)
                    .hasSize(2).allSatisfy(p -> assertThat(Errors.forCode(p.partitionErrorCode())).isEqualTo(Errors.NONE));

            short offsetsV = capped(ApiKeys.ADD_OFFSETS_TO_TXN, i);
            AddOffsetsToTxnResponseData offsets = (AddOffsetsToTxnResponseData) send(ApiKeys.ADD_OFFSETS_TO_TXN, offsetsV,
                    new AddOffsetsToTxnRequestData().setTransactionalId(id).setProducerId(init.producerId())
                            .setProducerEpoch(init.producerEpoch()).setGroupId("g-" + i));
            assertThat(Errors.forCode(offsets.errorCode())).as("AddOffsetsToTxn v%d", offsetsV).isEqualTo(Errors.NONE);

            short endV = capped(ApiKeys.END_TXN, i);
            EndTxnResponseData ended = (EndTxnResponseData) send(ApiKeys.END_TXN, endV, new EndTxnRequestData().setTransactionalId(id)
                    .setProducerId(init.producerId()).setProducerEpoch(init.producerEpoch()).setCommitted(false));
            assertThat(Errors.forCode(ended.errorCode())).as("EndTxn v%d", endV).isEqualTo(Errors.NONE);

            // A fenced epoch: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before, as Kafka.
            EndTxnResponseData fenced = (EndTxnResponseData) send(ApiKeys.END_TXN, endV, new EndTxnRequestData().setTransactionalId(id)
                    .setProducerId(init.producerId()).setProducerEpoch((short) (init.producerEpoch() + 5)).setCommitted(false));
            assertThat(Errors.forCode(fenced.errorCode())).as("EndTxn v%d", endV)
                    .isEqualTo(endV >= 2 ? Errors.PRODUCER_FENCED : Errors.INVALID_PRODUCER_EPOCH);
        }
        for (short v : versions(ApiKeys.DESCRIBE_TRANSACTIONS)) {
            DescribeTransactionsResponseData described = (DescribeTransactionsResponseData) send(ApiKeys.DESCRIBE_TRANSACTIONS, v,
                    new DescribeTransactionsRequestData().setTransactionalIds(List.of("every-version-0", "never-seen", "")));
            assertThat(described.transactionStates()).hasSize(3);
            assertThat(described.transactionStates().get(0).errorCode()).as("v%d", v).isZero();
            assertThat(described.transactionStates().get(0).transactionState()).isIn("PrepareAbort", "CompleteAbort");
            assertThat(Errors.forCode(described.transactionStates().get(1).errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);
            assertThat(Errors.forCode(described.transactionStates().get(2).errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        }
        for (short v : versions(ApiKeys.LIST_TRANSACTIONS)) {
            ListTransactionsRequestData request = new ListTransactionsRequestData().setStateFilters(List.of("PrepareAbort", "CompleteAbort", "NoSuchState"));
            ListTransactionsResponseData listed = (ListTransactionsResponseData) send(ApiKeys.LIST_TRANSACTIONS, v, request);
            assertThat(listed.errorCode()).as("v%d", v).isZero();
            assertThat(listed.unknownStateFilters()).containsExactly("NoSuchState");
            assertThat(listed.transactionStates()).extracting(ListTransactionsResponseData.TransactionState::transactionalId).contains("every-version-0");
        }
    }

    @Test
    void verifyOnlyAndBatchedAddPartitionsAtEveryBrokerVersion() throws Exception {
        String id = "batched";
        InitProducerIdResponseData init = untilAvailable(() -> (InitProducerIdResponseData) send(ApiKeys.INIT_PRODUCER_ID,
                ApiKeys.INIT_PRODUCER_ID.latestVersion(), new InitProducerIdRequestData().setTransactionalId(id).setTransactionTimeoutMs(60_000)),
                r -> Errors.forCode(r.errorCode()));
        for (short v : versions(ApiKeys.ADD_PARTITIONS_TO_TXN)) {
            if (v < 4) continue;
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
            topics.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(TOPIC).setPartitions(List.of(0)));
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection transactions = new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
            transactions.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction().setTransactionalId(id)
                    .setProducerId(init.producerId()).setProducerEpoch(init.producerEpoch()).setVerifyOnly(false).setTopics(topics.duplicate()));
            AddPartitionsToTxnResponseData added = (AddPartitionsToTxnResponseData) send(ApiKeys.ADD_PARTITIONS_TO_TXN, v,
                    new AddPartitionsToTxnRequestData().setTransactions(transactions));
            assertThat(added.resultsByTransaction().find(id).topicResults().find(TOPIC).resultsByPartition().find(0).partitionErrorCode())
                    .as("v%d", v).isZero();

            AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection both = new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
            both.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(TOPIC).setPartitions(List.of(0, 1)));
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection verify = new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
            verify.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction().setTransactionalId(id)
                    .setProducerId(init.producerId()).setProducerEpoch(init.producerEpoch()).setVerifyOnly(true).setTopics(both));
            AddPartitionsToTxnResponseData verified = (AddPartitionsToTxnResponseData) send(ApiKeys.ADD_PARTITIONS_TO_TXN, v,
                    new AddPartitionsToTxnRequestData().setTransactions(verify));
            var partitions = verified.resultsByTransaction().find(id).topicResults().find(TOPIC).resultsByPartition();
            assertThat(Errors.forCode(partitions.find(0).partitionErrorCode())).as("v%d", v).isEqualTo(Errors.NONE);
            assertThat(Errors.forCode(partitions.find(1).partitionErrorCode())).as("v%d", v).isEqualTo(Errors.TRANSACTION_ABORTABLE);
        }
    }
}
