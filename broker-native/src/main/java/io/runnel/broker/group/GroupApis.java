package io.runnel.broker.group;

import java.util.Map;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.utils.Time;

import io.runnel.broker.api.ConsumerGroupDescribeHandler;
import io.runnel.broker.api.ConsumerGroupHeartbeatHandler;
import io.runnel.broker.api.DeleteGroupsHandler;
import io.runnel.broker.api.DescribeGroupsHandler;
import io.runnel.broker.api.FindCoordinatorHandler;
import io.runnel.broker.api.HeartbeatHandler;
import io.runnel.broker.api.JoinGroupHandler;
import io.runnel.broker.api.LeaveGroupHandler;
import io.runnel.broker.api.ListGroupsHandler;
import io.runnel.broker.api.OffsetCommitHandler;
import io.runnel.broker.api.OffsetDeleteHandler;
import io.runnel.broker.api.OffsetFetchHandler;
import io.runnel.broker.api.SyncGroupHandler;
import io.runnel.broker.api.TxnOffsetCommitHandler;
import io.runnel.broker.metadata.MetadataController;
import io.runnel.broker.partition.IoThreadPool;
import io.runnel.broker.partition.ReplicaManager;
import io.runnel.broker.protocol.ApiHandler;

/**
 * Wiring of the group protocols into a broker: builds the {@link GroupCoordinator} and puts the
 * handlers of its APIs (the classic protocol's eleven, KIP-848's two and the transactional offset commit) into the broker's handler table. The caller owns the returned
 * coordinator: {@link GroupCoordinator#start()} after the metadata log is replayed,
 * {@link GroupCoordinator#close()} before the partitions and I/O threads close.
 */
public final class GroupApis {
    private GroupApis() {}

    public static GroupCoordinator register(Map<ApiKeys, ApiHandler> handlers, MetadataController controller, ReplicaManager replicas,
                                            IoThreadPool ioThreads, GroupConfig config, Time time) {
        return register(handlers, controller, replicas, ioThreads, config, time, io.runnel.broker.security.Authorization.disabled());
    }

    /** As above, with the topic checks inside the offset APIs made by {@code authorization}. */
    public static GroupCoordinator register(Map<ApiKeys, ApiHandler> handlers, MetadataController controller, ReplicaManager replicas,
                                            IoThreadPool ioThreads, GroupConfig config, Time time,
                                            io.runnel.broker.security.Authorization authorization) {
        GroupCoordinator coordinator = new GroupCoordinator(controller, replicas, ioThreads, config, time);
        handlers.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(coordinator, controller));
        handlers.put(ApiKeys.JOIN_GROUP, new JoinGroupHandler(coordinator));
        handlers.put(ApiKeys.SYNC_GROUP, new SyncGroupHandler(coordinator));
        handlers.put(ApiKeys.HEARTBEAT, new HeartbeatHandler(coordinator));
        handlers.put(ApiKeys.LEAVE_GROUP, new LeaveGroupHandler(coordinator));
        handlers.put(ApiKeys.OFFSET_COMMIT, new OffsetCommitHandler(coordinator, controller, authorization));
        handlers.put(ApiKeys.OFFSET_FETCH, new OffsetFetchHandler(coordinator, controller, authorization));
        handlers.put(ApiKeys.DESCRIBE_GROUPS, new DescribeGroupsHandler(coordinator));
        handlers.put(ApiKeys.LIST_GROUPS, new ListGroupsHandler(coordinator));
        handlers.put(ApiKeys.DELETE_GROUPS, new DeleteGroupsHandler(coordinator));
        handlers.put(ApiKeys.OFFSET_DELETE, new OffsetDeleteHandler(coordinator, controller, authorization));
        handlers.put(ApiKeys.TXN_OFFSET_COMMIT, new TxnOffsetCommitHandler(coordinator, controller, authorization));
        handlers.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, new ConsumerGroupHeartbeatHandler(coordinator));
        handlers.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, new ConsumerGroupDescribeHandler(coordinator));
        return coordinator;
    }
}
