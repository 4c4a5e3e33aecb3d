package io.runnel.broker.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.RunningBroker;
import io.runnel.broker.protocol.RawKafkaClient;

/**
 * A broker restart keeps every transactional id: the coordinator reloads {@code __transaction_state}
 * at start (not on first use), with the same producer id, epoch and open transaction.
 */
class TransactionRestartTest {
    @TempDir
    Path dataDir;

    static RawKafkaClient connect(RunningBroker broker) throws Exception {
        String[] hostPort = broker.bootstrapServers().split(":");
        return new RawKafkaClient(hostPort[0], Integer.parseInt(hostPort[1]));
    }

    static <T extends ApiMessage> T untilLoaded(RawKafkaClient client, ApiKeys key, ApiMessage request, java.util.function.Function<T, Errors> error)
            throws Exception {
        @SuppressWarnings("unchecked")
        T response = (T) client.send(key, key.latestVersion(), request);
        for (int i = 0; i < 200 && Set.of(Errors.COORDINATOR_LOAD_IN_PROGRESS, Errors.COORDINATOR_NOT_AVAILABLE).contains(error.apply(response)); i++) {
            Thread.sleep(50);
            @SuppressWarnings("unchecked")
            T again = (T) client.send(key, key.latestVersion(), request);
            response = again;
        }
        return response;
    }

    @Test
    void anOpenTransactionIsThereAfterARestart() throws Exception {
        try (RunningBroker broker = new RunningBroker(dataDir, Map.of("transaction.state.log.num.partitions", "2"))) {
            InitProducerIdResponseData init;
            try (RawKafkaClient client = connect(broker)) {
                CreateTopicsRequestData create = new CreateTopicsRequestData().setTimeoutMs(10_000);
                create.topics().add(new CreateTopicsRequestData.CreatableTopic().setName("orders").setNumPartitions(1).setReplicationFactor((short) 1));
                client.send(ApiKeys.CREATE_TOPICS, ApiKeys.CREATE_TOPICS.latestVersion(), create);
                client.send(ApiKeys.FIND_COORDINATOR, ApiKeys.FIND_COORDINATOR.latestVersion(),
                        new FindCoordinatorRequestData().setKeyType((byte) 1).setCoordinatorKeys(List.of("t1")));
                init = untilLoaded(client, ApiKeys.INIT_PRODUCER_ID, new InitProducerIdRequestData().setTransactionalId("t1")
                        .setTransactionTimeoutMs(60_000), (InitProducerIdResponseData r) -> Errors.forCode(r.errorCode()));
                assertThat(init.errorCode()).isZero();
                AddPartitionsToTxnRequestData add = new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId("t1")
                        .setV3AndBelowProducerId(init.producerId()).setV3AndBelowProducerEpoch(init.producerEpoch());
                add.v3AndBelowTopics().add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName("orders").setPartitions(List.of(0)));
                var added = (AddPartitionsToTxnResponseData) client.send(ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 3, add);
                assertThat(added.resultsByTopicV3AndBelow().find("orders").resultsByPartition().find(0).partitionErrorCode()).isZero();
            }

            broker.restart();

            try (RawKafkaClient client = connect(broker)) {
                DescribeTransactionsResponseData described = untilLoaded(client, ApiKeys.DESCRIBE_TRANSACTIONS,
                        new DescribeTransactionsRequestData().setTransactionalIds(List.of("t1")),
                        (DescribeTransactionsResponseData r) -> Errors.forCode(r.transactionStates().get(0).errorCode()));
                DescribeTransactionsResponseData.TransactionState t1 = described.transactionStates().get(0);
                assertThat(Errors.forCode(t1.errorCode())).isEqualTo(Errors.NONE);
                assertThat(t1.transactionState()).isEqualTo("Ongoing");
                assertThat(t1.producerId()).isEqualTo(init.producerId());
                assertThat(t1.producerEpoch()).isEqualTo(init.producerEpoch());
                assertThat(t1.topics().find("orders").partitions()).containsExactly(0);
            }
        }
    }
}
