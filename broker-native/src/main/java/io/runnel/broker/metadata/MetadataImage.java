package io.runnel.broker.metadata;

import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.metadata.BrokerRegistrationChangeRecord;
import org.apache.kafka.common.metadata.ClientQuotaRecord;
import org.apache.kafka.common.metadata.ConfigRecord;
import org.apache.kafka.common.metadata.PartitionChangeRecord;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.ProducerIdsRecord;
import org.apache.kafka.common.metadata.RegisterBrokerRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.RemoveUserScramCredentialRecord;
import org.apache.kafka.common.metadata.AccessControlEntryRecord;
import org.apache.kafka.common.metadata.RemoveAccessControlEntryRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.common.metadata.UserScramCredentialRecord;
import org.apache.kafka.metadata.BrokerRegistrationFencingChange;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The cluster as the metadata log says it is at {@code offset}: brokers, topics (by name and by
 * id), partitions, config overrides, the next free producer id, SCRAM credentials, client quotas, ACLs. Immutable, so any thread may read
 * the current image without locks; the metadata thread publishes a new one after each batch.
 */
public record MetadataImage(
        long offset,
        String clusterId,
        SortedMap<String, TopicImage> topicsByName,
        Map<Uuid, TopicImage> topicsById,
        SortedMap<Integer, BrokerImage> brokers,
        long nextProducerId,
        Map<String, Map<String, String>> brokerConfigs,
        ScramImage scram,
        ClientQuotaImage clientQuotas,
        AclImage acls) {

    public static MetadataImage empty(String clusterId) {
        return new MetadataImage(-1, clusterId, new TreeMap<>(), Map.of(), new TreeMap<>(), 0, Map.of(), ScramImage.EMPTY, ClientQuotaImage.EMPTY, AclImage.EMPTY);
    }

    /** An image without client quotas and ACLs (as before they existed; for tests that build images by hand). */
    public MetadataImage(long offset, String clusterId, SortedMap<String, TopicImage> topicsByName, Map<Uuid, TopicImage> topicsById,
                         SortedMap<Integer, BrokerImage> brokers, long nextProducerId, Map<String, Map<String, String>> brokerConfigs,
                         ScramImage scram) {
        this(offset, clusterId, topicsByName, topicsById, brokers, nextProducerId, brokerConfigs, scram, ClientQuotaImage.EMPTY, AclImage.EMPTY);
    }

    public MetadataImage {
        topicsByName = Collections.unmodifiableSortedMap(topicsByName);
        topicsById = Collections.unmodifiableMap(topicsById);
        brokers = Collections.unmodifiableSortedMap(brokers);
        brokerConfigs = Map.copyOf(brokerConfigs); // the same instance when unchanged, so callers may cache on it
    }

    /** The settings broker {@code statics.nodeId()} runs with: its static config under the dynamic ones in this image. */
    public io.runnel.broker.config.EffectiveBrokerConfig brokerConfig(io.runnel.broker.config.BrokerConfig statics) {
        return new io.runnel.broker.config.EffectiveBrokerConfig(statics, brokerConfigs(""), brokerConfigs(Integer.toString(statics.nodeId())));
    }

    /** Dynamic broker configs of a BROKER resource: "" for the cluster-wide defaults, else a broker id. */
    public Map<String, String> brokerConfigs(String resourceName) {
        return brokerConfigs.getOrDefault(resourceName, Map.of());
    }

    public TopicImage topic(String name) {
        return topicsByName.get(name);
    }

    public TopicImage topic(Uuid id) {
        return topicsById.get(id);
    }

    /** Applies one committed batch and returns the image after it; {@code lastOffset} is the batch's last offset. */
    public MetadataImage apply(List<ApiMessageAndVersion> batch, long lastOffset) {
        Delta delta = new Delta(this);
        for (ApiMessageAndVersion record : batch) delta.replay(record);
        return delta.build(lastOffset);
    }

    /** Accumulates the changes of one batch over a base image. Confined to the metadata thread. */
    private static final class Delta {
        private final MetadataImage base;
        private final Map<String, TopicImage> topics;
        private final Map<Integer, BrokerImage> brokers;
        private final Map<String, Map<String, String>> brokerConfigs;
        private final ScramImage.Changes scram;
        private final ClientQuotaImage.Changes clientQuotas;
        private final AclImage.Changes acls;
        private long nextProducerId;

        Delta(MetadataImage base) {
            this.base = base;
            this.topics = new HashMap<>(base.topicsByName);
            this.brokers = new HashMap<>(base.brokers);
            this.brokerConfigs = new HashMap<>(base.brokerConfigs);
            this.nextProducerId = base.nextProducerId;
            this.scram = new ScramImage.Changes(base.scram);
            this.clientQuotas = new ClientQuotaImage.Changes(base.clientQuotas);
            this.acls = new AclImage.Changes(base.acls);
        }

        void replay(ApiMessageAndVersion record) {
            switch (record.message()) {
                case TopicRecord r -> topics.put(r.name(), new TopicImage(r.name(), r.topicId(), new TreeMap<>(), Map.of()));
                case PartitionRecord r -> putPartition(r.topicId(), new PartitionImage(r.partitionId(), r.replicas(), r.isr(),
                        r.leader(), r.leaderEpoch(), r.partitionEpoch(), r.addingReplicas(), r.removingReplicas()));
                case PartitionChangeRecord r -> changePartition(r);
                case RemoveTopicRecord r -> topics.values().removeIf(t -> t.id().equals(r.topicId()));
                case ConfigRecord r -> applyConfig(r);
                case RegisterBrokerRecord r -> brokers.put(r.brokerId(), new BrokerImage(r.brokerId(), r.incarnationId(),
                        r.brokerEpoch(), r.endPoints().stream().map(e -> new BrokerImage.Endpoint(e.name(), e.host(), e.port(),
                        e.securityProtocol())).toList(), r.rack(), r.fenced()));
                case BrokerRegistrationChangeRecord r -> changeBroker(r);
                case ProducerIdsRecord r -> nextProducerId = Math.max(nextProducerId, r.nextProducerId());
                case UserScramCredentialRecord r -> scram.replay(r);
                case RemoveUserScramCredentialRecord r -> scram.replay(r);
                case ClientQuotaRecord r -> clientQuotas.replay(r);
                case AccessControlEntryRecord r -> acls.replay(r);
                case RemoveAccessControlEntryRecord r -> acls.replay(r);
                default -> throw new IllegalStateException("unexpected metadata record " + record.message().getClass().getSimpleName());
            }
        }

        private TopicImage topicById(Uuid id) {
            return topics.values().stream().filter(t -> t.id().equals(id)).findFirst()
                    .orElseThrow(() -> new IllegalStateException("metadata record for unknown topic id " + id));
        }

        private void putPartition(Uuid topicId, PartitionImage partition) {
            TopicImage topic = topicById(topicId);
            TreeMap<Integer, PartitionImage> partitions = new TreeMap<>(topic.partitions());
            partitions.put(partition.partitionId(), partition);
            topics.put(topic.name(), new TopicImage(topic.name(), topic.id(), partitions, topic.configs()));
        }

        private void changeBroker(BrokerRegistrationChangeRecord r) {
            BrokerImage b = brokers.get(r.brokerId());
            if (b == null || b.epoch() != r.brokerEpoch()) return; // a change for an older registration
            BrokerRegistrationFencingChange change = BrokerRegistrationFencingChange.fromValue(r.fenced())
                    .orElseThrow(() -> new IllegalStateException("unknown fencing change " + r.fenced()));
            boolean fenced = change.asBoolean().orElse(b.fenced());
            brokers.put(b.id(), new BrokerImage(b.id(), b.incarnationId(), b.epoch(), b.endpoints(), b.rack(), fenced));
        }

        private void changePartition(PartitionChangeRecord r) {
            PartitionImage old = topicById(r.topicId()).partition(r.partitionId());
            if (old == null) throw new IllegalStateException("change for unknown partition " + r.topicId() + "-" + r.partitionId());
            boolean leaderChanged = r.leader() != -2 && r.leader() != old.leader();
            putPartition(r.topicId(), new PartitionImage(old.partitionId(),
                    r.replicas() != null ? r.replicas() : old.replicas(),
                    r.isr() != null ? r.isr() : old.isr(),
                    r.leader() != -2 ? r.leader() : old.leader(),
                    leaderChanged ? old.leaderEpoch() + 1 : old.leaderEpoch(),
                    old.partitionEpoch() + 1,
                    r.addingReplicas() != null ? r.addingReplicas() : old.addingReplicas(),
                    r.removingReplicas() != null ? r.removingReplicas() : old.removingReplicas()));
        }

        private void applyConfig(ConfigRecord r) {
            if (r.resourceType() == ConfigResource.Type.BROKER.id()) {
                Map<String, String> configs = new HashMap<>(brokerConfigs.getOrDefault(r.resourceName(), Map.of()));
                if (r.value() == null) configs.remove(r.name()); else configs.put(r.name(), r.value());
                brokerConfigs.put(r.resourceName(), Map.copyOf(configs));
                return;
            }
            if (r.resourceType() != ConfigResource.Type.TOPIC.id()) return;
            TopicImage topic = topics.get(r.resourceName());
            if (topic == null) return;
            Map<String, String> configs = new HashMap<>(topic.configs());
            if (r.value() == null) configs.remove(r.name()); else configs.put(r.name(), r.value());
            topics.put(topic.name(), new TopicImage(topic.name(), topic.id(), topic.partitions(), configs));
        }

        MetadataImage build(long offset) {
            Map<Uuid, TopicImage> byId = new HashMap<>();
            for (TopicImage t : topics.values()) byId.put(t.id(), t);
            return new MetadataImage(offset, base.clusterId, new TreeMap<>(topics), byId, new TreeMap<>(brokers), nextProducerId,
                    brokerConfigs.equals(base.brokerConfigs) ? base.brokerConfigs : Map.copyOf(brokerConfigs), scram.build(),
                    clientQuotas.build(),
                    acls.build());
        }
    }
}
