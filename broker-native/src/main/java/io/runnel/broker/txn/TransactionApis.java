package io.runnel.broker.txn;

import java.util.Map;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.utils.Time;

import io.runnel.broker.api.AddOffsetsToTxnHandler;
import io.runnel.broker.api.AddPartitionsToTxnHandler;
import io.runnel.broker.api.DescribeTransactionsHandler;
import io.runnel.broker.api.EndTxnHandler;
import io.runnel.broker.api.FindCoordinatorHandler;
import io.runnel.broker.api.InitProducerIdHandler;
import io.runnel.broker.api.ListTransactionsHandler;
import io.runnel.broker.group.GroupCoordinator;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.producer.ProducerIdManager;
import io.runnel.broker.protocol.ApiHandler;

/**
 * Wiring of the transaction coordinator into a broker: builds the {@link TransactionCoordinator}
 * and puts the handlers of its APIs into the broker's handler table, replacing InitProducerId
 * (which now also serves transactional ids) and FindCoordinator (which now also finds transaction
 * coordinators); call after {@code GroupApis.register}. The caller owns the returned coordinator:
 * {@link TransactionCoordinator#start()} after the metadata log is replayed,
 * {@link TransactionCoordinator#close()} before the group coordinator, the partitions and the I/O threads close.
 */
public final class TransactionApis {
    private TransactionApis() {}

    public static TransactionCoordinator register(Map<ApiKeys, ApiHandler> handlers, MetadataController controller, ReplicaManager replicas,
                                                  IoThreadPool ioThreads, ProducerIdManager producerIds, GroupCoordinator groupCoordinator,
                                                  TxnMarkerSender markers, TransactionConfig config, Time time) {
        TransactionCoordinator coordinator = new TransactionCoordinator(controller, replicas, ioThreads, producerIds::nextProducerId, markers,
                config, time);
        handlers.put(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(producerIds, coordinator));
        handlers.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(groupCoordinator, coordinator, controller));
        handlers.put(ApiKeys.ADD_PARTITIONS_TO_TXN, new AddPartitionsToTxnHandler(coordinator, controller));
        handlers.put(ApiKeys.ADD_OFFSETS_TO_TXN, new AddOffsetsToTxnHandler(coordinator, groupCoordinator));
        handlers.put(ApiKeys.END_TXN, new EndTxnHandler(coordinator));
        handlers.put(ApiKeys.DESCRIBE_TRANSACTIONS, new DescribeTransactionsHandler(coordinator));
        handlers.put(ApiKeys.LIST_TRANSACTIONS, new ListTransactionsHandler(coordinator));
        return coordinator;
    }
}
