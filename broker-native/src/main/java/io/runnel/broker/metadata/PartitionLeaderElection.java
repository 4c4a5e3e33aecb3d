package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The controller's leader and ISR decisions when brokers come and go, as KRaft makes them:
 * a broker that is fenced or shutting down leaves every ISR (never the last member, which is kept
 * so that the partition's committed data has a home to come back from) and hands its leaderships
 * to the first replica, in replica order, that is in the ISR and unfenced; with none, the
 * partition has no leader (offline) unless unclean election is allowed for its topic, which takes
 * any live replica and accepts losing what only the others had. A broker that returns leads the
 * offline partitions whose ISR it is in. Stateless: pure functions of an image.
 */
final class PartitionLeaderElection {
    /** {@link PartitionChangeRecord#leader()} for "no change". */
    static final int NO_LEADER_CHANGE = -2;
    static final int NO_LEADER = -1;

    private PartitionLeaderElection() {
    }

    /**
     * The partition changes that take {@code brokerId} out of ISRs and leaderships.
     *
     * @param unclean whether a topic allows unclean leader election
     */
    static List<ApiMessageAndVersion> awayFrom(MetadataImage image, int brokerId, Predicate<TopicImage> unclean) {
        Set<Integer> unusable = unusable(image);
        unusable.add(brokerId);
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsByName().values()) {
            for (PartitionImage p : topic.partitions().values()) {
                if (p.leader() != brokerId && !p.isr().contains(brokerId)) continue;
                List<Integer> isr = new ArrayList<>(p.isr());
                isr.remove(Integer.valueOf(brokerId));
                if (isr.isEmpty()) isr = new ArrayList<>(p.isr()); // keep the last member: it has the committed data
                int leader = p.leader();
                if (p.leader() == brokerId) {
                    leader = firstUsable(p.replicas(), isr, unusable);
                    if (leader == NO_LEADER && unclean.test(topic)) {
                        leader = firstUsable(p.replicas(), p.replicas(), unusable);
                        if (leader != NO_LEADER) isr = List.of(leader);
                    }
                }
                PartitionChangeRecord change = change(topic, p, leader, isr);
                if (change != null) records.add(new ApiMessageAndVersion(change, (short) 0));
            }
        }
        return records;
    }

    /** The partition changes that let a returning {@code brokerId} lead the offline partitions it may lead. */
    static List<ApiMessageAndVersion> onto(MetadataImage image, int brokerId, Predicate<TopicImage> unclean) {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        for (TopicImage topic : image.topicsByName().values()) {
            for (PartitionImage p : topic.partitions().values()) {
                if (p.leader() != NO_LEADER || !p.replicas().contains(brokerId)) continue;
                List<Integer> isr = p.isr();
                if (!isr.contains(brokerId)) {
                    if (!unclean.test(topic)) continue;
                    isr = List.of(brokerId);
                }
                records.add(new ApiMessageAndVersion(change(topic, p, brokerId, isr), (short) 0));
            }
        }
        return records;
    }

    /** An election's outcome for one partition: the change to commit (null for none) and the answer. */
    record Elected(PartitionChangeRecord change, Errors error, String message) {}

    /** Preferred election: the first replica leads, if it is in the ISR and alive. */
    static Elected electPreferred(TopicImage topic, PartitionImage p, Set<Integer> unusable) {
        int preferred = p.replicas().get(0);
        if (p.leader() == preferred) return new Elected(null, Errors.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.");
        if (!p.isr().contains(preferred) || unusable.contains(preferred))
            return new Elected(null, Errors.PREFERRED_LEADER_NOT_AVAILABLE, "Failed to elect leader for partition " + topic.name() + "-"
                    + p.partitionId() + " under strategy PreferredReplicaPartitionLeaderElectionStrategy");
        return new Elected(change(topic, p, preferred, p.isr()), Errors.NONE, null);
    }

    /** Unclean election: a partition without a live leader gets the first live replica, ISR or not. */
    static Elected electUnclean(TopicImage topic, PartitionImage p, Set<Integer> unusable) {
        if (p.leader() >= 0 && !unusable.contains(p.leader()))
            return new Elected(null, Errors.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.");
        int leader = firstUsable(p.replicas(), p.isr(), unusable);
        List<Integer> isr = p.isr();
        if (leader == NO_LEADER) {
            leader = firstUsable(p.replicas(), p.replicas(), unusable);
            isr = List.of(leader);
        }
        if (leader == NO_LEADER)
            return new Elected(null, Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE, "No live replica of " + topic.name() + "-" + p.partitionId());
        return new Elected(change(topic, p, leader, isr), Errors.NONE, null);
    }

    /** The fenced brokers of the image. */
    static Set<Integer> unusable(MetadataImage image) {
        Set<Integer> fenced = new HashSet<>();
        for (BrokerImage b : image.brokers().values()) if (b.fenced()) fenced.add(b.id());
        return fenced;
    }

    private static int firstUsable(List<Integer> replicas, List<Integer> eligible, Set<Integer> unusable) {
        for (int replica : replicas) if (eligible.contains(replica) && !unusable.contains(replica)) return replica;
        return NO_LEADER;
    }

    /** A change record with only what differs; null when nothing does. */
    static PartitionChangeRecord change(TopicImage topic, PartitionImage p, int leader, List<Integer> isr) {
        boolean leaderChanged = leader != p.leader();
        boolean isrChanged = !isr.equals(p.isr());
        if (!leaderChanged && !isrChanged) return null;
        PartitionChangeRecord record = new PartitionChangeRecord().setTopicId(topic.id()).setPartitionId(p.partitionId())
                .setLeader(leaderChanged ? leader : NO_LEADER_CHANGE);
        if (isrChanged) record.setIsr(List.copyOf(isr));
        return record;
    }
}
