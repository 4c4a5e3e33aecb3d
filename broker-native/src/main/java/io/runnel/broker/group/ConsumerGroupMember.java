package io.runnel.broker.group;

import java.util.List;

/**
 * One member of a KIP-848 group: who it is, what it subscribes to, and its
 * {@link MemberAssignmentState}. Immutable: a heartbeat builds the member it would leave behind,
 * and the shard swaps it in once the records that describe it are in the log.
 *
 * @param instanceId           {@code group.instance.id} of a static member, else null
 * @param subscribedTopicNames sorted, never null
 * @param subscribedTopicRegex a server-side regular expression (KIP-848), or null
 * @param serverAssignor       the assignor the member asked for, or null for the default
 */
record ConsumerGroupMember(String memberId, String instanceId, String rackId, String clientId, String clientHost,
                           List<String> subscribedTopicNames, String subscribedTopicRegex, String serverAssignor,
                           int rebalanceTimeoutMs, MemberAssignmentState assignment) {
    /** The epoch a static member reports when it leaves for a while (a restart) and wants its partitions kept. */
    static final int LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
    static final int LEAVE_GROUP_MEMBER_EPOCH = -1;

    ConsumerGroupMember {
        subscribedTopicNames = subscribedTopicNames == null ? List.of() : subscribedTopicNames.stream().sorted().distinct().toList();
    }

    static ConsumerGroupMember joining(String memberId, String instanceId) {
        return new ConsumerGroupMember(memberId, instanceId, null, "", "", List.of(), null, null, -1, MemberAssignmentState.INITIAL);
    }

    int memberEpoch() {
        return assignment.memberEpoch();
    }

    ConsumerGroupMember withAssignment(MemberAssignmentState next) {
        return new ConsumerGroupMember(memberId, instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex,
                serverAssignor, rebalanceTimeoutMs, next);
    }

    ConsumerGroupMember withId(String newMemberId) {
        return new ConsumerGroupMember(newMemberId, instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex,
                serverAssignor, rebalanceTimeoutMs, assignment);
    }

    /** Whether the persisted part other than the assignment differs (the member metadata record). */
    boolean metadataDiffers(ConsumerGroupMember other) {
        return other == null || !withAssignment(MemberAssignmentState.INITIAL).equals(other.withAssignment(MemberAssignmentState.INITIAL));
    }

    /** Whether what the member consumes differs: that changes the target assignment. */
    boolean subscriptionDiffers(ConsumerGroupMember other) {
        return other == null || !subscribedTopicNames.equals(other.subscribedTopicNames)
                || !java.util.Objects.equals(subscribedTopicRegex, other.subscribedTopicRegex)
                || !java.util.Objects.equals(serverAssignor, other.serverAssignor);
    }
}
